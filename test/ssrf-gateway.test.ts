// The ssrf policy in a real gateway, on the demo's webhook registration (POST /api/v1/webhooks
// with a JSON body { "url": … }). URLs use literal addresses and internal names, so the gateway's
// own resolver is never asked about a name (no real DNS in tests).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { builtinPolicies } from '../src/policies/index.js';
import ssrf from '../src/policies/ssrf/index.js';
import { problemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

// Until the registry lists ssrf itself.
const POLICIES = builtinPolicies.some((p) => p.name === ssrf.name) ? builtinPolicies : [...builtinPolicies, ssrf];

async function gateway(t: TestContext): Promise<TestGateway> {
  const gw = await startTestGateway({
    tls: false,
    policies: POLICIES,
    config: {
      routes: [{
        path: '/api/v1/webhooks',
        methods: ['POST'],
        upstream: 'api',
        public: true,
        policies: { ssrf: { fields: [{ in: 'body', name: '/url' }], required: true } },
      }],
    },
  });
  t.after(() => gw.close());
  return gw;
}

function register(gw: TestGateway, url: unknown) {
  return send(`${gw.url}/api/v1/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, events: ['task.created'] }) });
}

test('a public https webhook URL is forwarded', async (t) => {
  const gw = await gateway(t);
  assert.equal((await register(gw, 'https://93.184.215.14/hooks/portcullis')).status, 200);
  await gw.upstream.recorded(1);
  assert.equal((JSON.parse(gw.upstream.requests[0]!.body.toString()) as { url: string }).url, 'https://93.184.215.14/hooks/portcullis');
});

test('loopback, metadata and encoded forms get 403 and never reach the upstream', async (t) => {
  const gw = await gateway(t);
  const urls = ['https://127.0.0.1/', 'https://0x7f.1/', 'https://2130706433/', 'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/latest/meta-data/', 'https://metadata.google.internal/computeMetadata/v1/', 'https://localhost/'];
  for (const url of urls) problemOf(await register(gw, url), 403, 'ssrf.blocked_address');
  assert.equal(gw.upstream.requests.length, 0);
});

test('garbage, plain http and a missing URL get 400', async (t) => {
  const gw = await gateway(t);
  for (const url of ['not a url', 'http://93.184.215.14/', undefined]) problemOf(await register(gw, url), 400, 'ssrf.invalid_url');
  assert.equal(gw.upstream.requests.length, 0);
});

test('the refusal does not echo the URL, and the audit line names the field and the reason only', async (t) => {
  const gw = await gateway(t);
  const reply = await register(gw, 'https://169.254.169.254/latest/meta-data/iam');
  assert.doesNotMatch(reply.text, /169\.254|meta-data/);
  const line = await gw.waitForLog((l) => l.event === 'audit' && l.type === 'ssrf');
  assert.deepEqual([line.outcome, line.rule, line.reason, JSON.stringify(line).includes('169.254')], ['failure', 'ssrf: body /url', 'address', false]);
});
