// API keys through the whole gateway: refusals, the principal, and the key never leaving it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { problemOf, send } from './helpers/client.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';

const key = generateApiKey();

async function gatewayWithKey(t: TestContext, extra = ''): Promise<TestGateway> {
  const gw = await startTestGateway({ yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
log: { includeHeaders: true }
upstreams: { api: { url: "${url}" } }
defaults:
  policies:
    api-key:
      keys:
        - { id: reporting-service, prefix: ${key.prefix}, hash: "${key.hash}", roles: [service] }
routes:
  - { path: /api/*, methods: [GET], upstream: api }
${extra}` });
  t.after(() => gw.close());
  return gw;
}

test('a request without a key is 401 authenticate.required with an ApiKey challenge', async (t) => {
  const gw = await gatewayWithKey(t);
  const reply = await send(`${gw.url}/api/reports`, { ca: gw.ca });
  problemOf(reply, 401, 'authenticate.required');
  assert.equal(reply.headers['www-authenticate'], 'ApiKey header="X-API-Key"');
});

test('a wrong key is 401 authenticate.invalid_credentials and never reaches the upstream', async (t) => {
  const gw = await gatewayWithKey(t);
  const reply = await send(`${gw.url}/api/reports`, { ca: gw.ca, headers: { 'x-api-key': `${key.key.slice(0, -4)}AAAA` } });
  problemOf(reply, 401, 'authenticate.invalid_credentials');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a valid key is forwarded as the principal, without the key itself', async (t) => {
  const gw = await gatewayWithKey(t);
  const reply = await send(`${gw.url}/api/reports`, { ca: gw.ca, headers: { 'x-api-key': key.key } });
  assert.equal(reply.status, 200);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers['x-api-key'], undefined);
});

test('the access log names the principal and the audit log the key prefix, never the key', async (t) => {
  const gw = await gatewayWithKey(t);
  await send(`${gw.url}/api/reports`, { ca: gw.ca, headers: { 'x-api-key': key.key } });
  const access = await gw.waitForLog((l) => l.event === 'request');
  const audit = await gw.waitForLog((l) => l.event === 'audit' && l.type === 'authentication' && l.outcome === 'success');
  assert.deepEqual([access.principal, audit.method, audit.credential], ['reporting-service', 'api-key', key.prefix]);
  assert.equal(gw.logText().includes(key.key), false);
});

test('a refused key is audited with its precise reason while the client sees only the generic code', async (t) => {
  const gw = await gatewayWithKey(t);
  await send(`${gw.url}/api/reports`, { ca: gw.ca, headers: { 'x-api-key': `${key.key.slice(0, -4)}AAAA` } });
  const audit = await gw.waitForLog((l) => l.event === 'audit' && l.outcome === 'failure');
  assert.equal(audit.reason, 'bad_secret');
});

test('a key in the query string is refused even on a public route', async (t) => {
  const gw = await gatewayWithKey(t, '  - { path: /open/*, methods: [GET], upstream: api, public: true }\n');
  const reply = await send(`${gw.url}/open/x?api_key=${encodeURIComponent(key.key)}`, { ca: gw.ca });
  problemOf(reply, 401, 'authenticate.invalid_credentials');
});

test('a public route serves a request that carries no key', async (t) => {
  const gw = await gatewayWithKey(t, '  - { path: /open/*, methods: [GET], upstream: api, public: true }\n');
  assert.equal((await send(`${gw.url}/open/x`, { ca: gw.ca })).status, 200);
});
