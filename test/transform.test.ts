/**
 * The transform policy through the whole gateway: identity headers replacing a client's spoofed
 * copy (api-key principal), client-sent X-Internal-* never forwarded, the path rewritten for the
 * upstream, JSON fields removed and redacted in nested arrays with a consistent content-length,
 * and response headers renamed, removed and stripped.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { generateApiKey } from '../src/policies/api-key/key-format.js';
import { send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const key = generateApiKey();

const users = { users: [{ id: 1, email: 'ada@example.com', passwordHash: 'h1' }, { id: 2, email: 'bob@example.com', passwordHash: 'h2' }], meta: { internal: 'node-7', page: 1 } };

function upstream(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  req.once('end', () => {
    const body = req.url?.startsWith('/internal/v2/users') === true ? JSON.stringify(users) : JSON.stringify({ url: req.url });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-backend-version': '4.2',
      'x-backend-host': 'db-7.internal',
      'x-internal-node': 'node-7',
      'x-api-version': 'upstream-copy',
    });
    res.end(body);
  });
}

async function gateway(t: TestContext): Promise<TestGateway> {
  const gw = await startTestGateway({ upstream, yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${url}" } }
defaults:
  policies:
    api-key:
      keys:
        - { id: reporting-service, prefix: ${key.prefix}, hash: "${key.hash}", roles: [service] }
    transform:
      request:
        identityHeaders: { X-User-Id: id }
routes:
  - { path: /api/*, methods: [GET], upstream: api }
  - { path: /public/*, methods: [GET], upstream: api, public: true }
  - path: /v1/*
    methods: [GET]
    upstream: api
    public: true
    policies:
      transform:
        request:
          rewritePath: { stripPrefix: /v1, addPrefix: /internal/v2 }
        response:
          removeHeaders: [X-Backend-Host]
          renameHeaders: { X-Backend-Version: X-Api-Version }
          removeFields: ["users[].passwordHash", meta.internal]
          redactFields: { "users[].email": "***" }
` });
  t.after(() => gw.close());
  return gw;
}

test('a client-sent X-User-Id is replaced by the principal\'s', async (t) => {
  const gw = await gateway(t);
  const reply = await send(`${gw.url}/api/reports`, { ca: gw.ca, headers: { 'x-api-key': key.key, 'X-User-Id': 'admin' } });
  assert.equal(reply.status, 200);
  await gw.upstream.recorded(1);
  const got = gw.upstream.requests[0]!;
  assert.equal(got.headers['x-user-id'], 'reporting-service');
  assert.equal(got.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'x-user-id').length, 1);
});

test('on a public route without a principal a client-sent X-User-Id is stripped and none is set', async (t) => {
  const gw = await gateway(t);
  assert.equal((await send(`${gw.url}/public/info`, { ca: gw.ca, headers: { 'X-User-Id': 'admin' } })).status, 200);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers['x-user-id'], undefined);
});

test('client-sent X-Internal-* headers are not forwarded', async (t) => {
  const gw = await gateway(t);
  await send(`${gw.url}/public/info`, { ca: gw.ca, headers: { 'X-Internal-Debug': '1', 'x-internal-role': 'admin', 'x-trace': 'kept' } });
  await gw.upstream.recorded(1);
  const headers = gw.upstream.requests[0]!.headers;
  assert.deepEqual([headers['x-internal-debug'], headers['x-internal-role'], headers['x-trace']], [undefined, undefined, 'kept']);
});

test('the rewritten path reaches the upstream with the query as sent', async (t) => {
  const gw = await gateway(t);
  await send(`${gw.url}/v1/users?page=1`, { ca: gw.ca });
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.url, '/internal/v2/users?page=1');
});

test('response fields are removed and redacted in nested arrays, with a consistent content-length', async (t) => {
  const gw = await gateway(t);
  const reply = await send(`${gw.url}/v1/users`, { ca: gw.ca });
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.text), { users: [{ id: 1, email: '***' }, { id: 2, email: '***' }], meta: { page: 1 } });
  assert.equal(reply.headers['content-length'], String(reply.body.length));
  assert.equal(reply.text.includes('h1') || reply.text.includes('ada@'), false);
});

test('response headers are renamed and removed, and X-Internal-* stripped', async (t) => {
  const gw = await gateway(t);
  const reply = await send(`${gw.url}/v1/users`, { ca: gw.ca });
  assert.deepEqual(
    [reply.headers['x-api-version'], reply.headers['x-backend-version'], reply.headers['x-backend-host'], reply.headers['x-internal-node']],
    ['4.2', undefined, undefined, undefined],
  );
});

test('X-Internal-* response headers are stripped on routes with the default transform too', async (t) => {
  const gw = await gateway(t);
  const reply = await send(`${gw.url}/public/info`, { ca: gw.ca });
  assert.deepEqual([reply.status, reply.headers['x-internal-node'], reply.headers['x-backend-host']], [200, undefined, 'db-7.internal']);
});

test('a header value with CR/LF and a bad header name are refused at load, with their paths', async () => {
  const config = (transform: string) => (url: string) => `
server: { http: { host: 127.0.0.1, port: 0, redirect: false } }
upstreams: { api: { url: "${url}" } }
routes:
  - { path: /api/*, methods: [GET], upstream: api, public: true, policies: { transform: ${transform} } }
`;
  await assert.rejects(startTestGateway({ yaml: config('{ request: { setHeaders: { x-tenant: "a\\r\\nx-admin: 1" } } }') }), (error: Error) => {
    assert.equal(error.name, 'ConfigError');
    assert.match(error.message, /^routes\[0\]\.policies\.transform\.request\.setHeaders\.x-tenant: /);
    return true;
  });
  await assert.rejects(startTestGateway({ yaml: config('{ response: { renameHeaders: { x-a: "x b" } } }') }), /routes\[0\]\.policies\.transform\.response\.renameHeaders\.x-a: /);
  await assert.rejects(startTestGateway({ yaml: config('{ request: { setHeaders: { Host: evil } } }') }), /routes\[0\]\.policies\.transform\.request\.setHeaders\.Host: host is managed by the gateway/);
});
