/**
 * The admin API through a real gateway: probes and metrics open, everything else behind the
 * admin token, API keys managed through it and applied by reload, every action audited, and
 * metrics whose series stay bounded whatever paths clients send.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const TOKEN = 'admin-token-for-tests-0123456789';

async function gateway(t: TestContext): Promise<TestGateway & { admin: string }> {
  const gw = await startTestGateway({
    tls: false,
    fromFile: true,
    files: { 'keys.yaml': 'keys: []\n' },
    config: {
      admin: { host: '127.0.0.1', port: 0, tokenSha256: createHash('sha256').update(TOKEN).digest('hex'), keysFile: 'keys.yaml' },
      routes: [
        { path: '/api/*', methods: ['GET'], upstream: 'api', public: true },
        { path: '/keyed/*', methods: ['GET'], upstream: 'api', policies: { 'api-key': { keysFile: 'keys.yaml' }, rbac: { roles: { service: { permissions: ['read'] } }, require: ['read'] } } },
      ],
    },
  });
  t.after(() => gw.close());
  return Object.assign(gw, { admin: `http://127.0.0.1:${gw.gateway.admin!.port}` });
}

const auth = { authorization: `Bearer ${TOKEN}` };

test('/healthz answers without the token', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.admin}/healthz`);
  assert.equal(res.status, 200);
});

test('/readyz is 200 when the upstream accepts connections', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.admin}/readyz`);
  assert.equal(res.status, 200);
  assert.deepEqual((JSON.parse(res.text) as { upstreams: unknown }).upstreams, [{ name: 'api', up: true }]);
});

test('the running config needs the token, and a refused attempt is audited', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.admin}/config`, { headers: { authorization: 'Bearer wrong-token-0000000000' } });
  assert.equal(res.status, 401);
  await gw.waitForLog((l) => l.event === 'audit' && l.type === 'admin' && l.outcome === 'failure');
});

test('the running config is shown with secrets redacted', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.admin}/config`, { headers: auth });
  assert.equal(res.status, 200);
  const config = JSON.parse(res.text) as { admin: { tokenSha256: string } };
  assert.equal(config.admin.tokenSha256, '[redacted]');
});

test('a key created through the API works after it, and a revoked one stops working', async (t) => {
  const gw = await gateway(t);
  const created = await send(`${gw.admin}/keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'billing', roles: ['service'] }) });
  assert.equal(created.status, 201);
  const { key, prefix } = JSON.parse(created.text) as { key: string; prefix: string };
  assert.equal((await send(`${gw.url}/keyed/x`, { headers: { 'x-api-key': key } })).status, 200);
  const listed = JSON.parse((await send(`${gw.admin}/keys?prefix=${prefix.slice(0, 4)}`, { headers: auth })).text) as { keys: Array<{ prefix: string; hash?: string }> };
  assert.deepEqual(listed.keys.map((k) => [k.prefix, k.hash]), [[prefix, undefined]]);
  assert.equal((await send(`${gw.admin}/keys/${prefix}/revoke`, { method: 'POST', headers: auth })).status, 200);
  assert.equal((await send(`${gw.url}/keyed/x`, { headers: { 'x-api-key': key } })).status, 401);
  await gw.waitForLog((l) => l.event === 'audit' && l.type === 'admin' && typeof l.reason === 'string' && l.reason.startsWith('revoked key'));
});

test('a rotated key is replaced by a new one for the same client', async (t) => {
  const gw = await gateway(t);
  const created = JSON.parse((await send(`${gw.admin}/keys`, { method: 'POST', headers: auth, body: JSON.stringify({ id: 'billing', roles: ['service'] }) })).text) as { key: string; prefix: string };
  const rotated = await send(`${gw.admin}/keys/${created.prefix}/rotate`, { method: 'POST', headers: auth });
  assert.equal(rotated.status, 201);
  const next = JSON.parse(rotated.text) as { key: string; id: string };
  assert.equal(next.id, 'billing');
  assert.equal((await send(`${gw.url}/keyed/x`, { headers: { 'x-api-key': next.key } })).status, 200);
  assert.equal((await send(`${gw.url}/keyed/x`, { headers: { 'x-api-key': created.key } })).status, 401);
});

test('metrics count requests by route template, and random paths add no series', async (t) => {
  const gw = await gateway(t);
  for (let i = 0; i < 30; i++) await send(`${gw.url}/random-${i}-${Math.random().toString(36).slice(2)}`);
  for (let i = 0; i < 5; i++) await send(`${gw.url}/api/item-${i}`);
  const text = (await send(`${gw.admin}/metrics`)).text;
  const series = text.split('\n').filter((l) => l.startsWith('portcullis_requests_total{'));
  assert.equal(series.length, 2, series.join('\n'));
  assert.ok(series.some((l) => l.includes('route="/api/*"') && l.includes('status_class="2xx"') && l.endsWith(' 5')));
  assert.ok(series.some((l) => l.includes('route="(unmatched)"') && l.includes('decision="route.not_found"') && l.endsWith(' 30')));
  assert.ok(!text.includes('random-'));
});

test('an unknown admin endpoint is 404 even with the token', async (t) => {
  const gw = await gateway(t);
  assert.equal((await send(`${gw.admin}/nope`, { headers: auth })).status, 404);
});
