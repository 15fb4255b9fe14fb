// Portcullis around a node:http listener, beyond the shared scenario table: refusals never reach
// the handler, handler failures, the body handed over after the guard read it, responses written
// in pieces, trusted proxies, and run(req, res) used directly.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Type } from '@sinclair/typebox';
import { definePolicy, nodeHttpHandler, portcullis, type GuardedHandler, type PortcullisConfig, type PortcullisOptions } from '../src/index.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';
import { problemOf, send } from './helpers/client.js';

const key = generateApiKey();
const auth = { 'x-api-key': key.key };

function config(policies: NonNullable<PortcullisConfig['defaults']>['policies'] = {}): PortcullisConfig {
  return {
    defaults: { policies: { 'api-key': { keys: [{ id: 'alice', prefix: key.prefix, hash: key.hash, roles: ['user'] }] }, rbac: { require: [] }, ...policies } },
    routes: [{ path: '/api/tasks', methods: ['GET', 'POST'] }],
  };
}

async function serve(t: TestContext, handler: GuardedHandler, cfg = config(), options: PortcullisOptions = {}): Promise<string> {
  const guard = await portcullis(cfg, { logger: pino({ level: 'silent' }), ...options });
  const server = http.createServer(nodeHttpHandler(guard, handler));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await guard.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a refused request never reaches the handler', async (t) => {
  let calls = 0;
  const url = await serve(t, (_req, res) => { calls++; res.end(); });
  problemOf(await send(`${url}/api/tasks`), 401, 'authenticate.required');
  assert.equal(calls, 0);
});

test('a handler that throws is answered 500 gateway.internal_error', async (t) => {
  const url = await serve(t, () => { throw new Error('boom'); });
  problemOf(await send(`${url}/api/tasks`, { headers: auth }), 500, 'gateway.internal_error');
});

test('a handler that rejects is answered 500 gateway.internal_error', async (t) => {
  const url = await serve(t, () => Promise.reject(new Error('boom')));
  problemOf(await send(`${url}/api/tasks`, { headers: auth }), 500, 'gateway.internal_error');
});

test('on a body-reading route the handler gets req.body and req.rawBody', async (t) => {
  const url = await serve(t, (req, res) => res.end(JSON.stringify({ body: req.body, raw: req.rawBody?.toString() })), config({ 'property-level': { write: { serverOwned: ['id'] } } }));
  const reply = await send(`${url}/api/tasks`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"title":"a"}' });
  assert.deepEqual(JSON.parse(reply.text), { body: { title: 'a' }, raw: '{"title":"a"}' });
});

test('a response written in pieces is checked whole by a response-body policy', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.write('{"ownerId":"alice",');
    res.write('"secret":"s","title":"t"}');
    res.end();
  }, config({ 'property-level': { read: { remove: ['secret'] } } }));
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  assert.deepEqual(JSON.parse(reply.text), { ownerId: 'alice', title: 't' });
});

test('X-Forwarded-For is believed only from a trusted proxy (ip-filter on the client address)', async (t) => {
  const cfg = config({ 'ip-filter': { deny: ['203.0.113.0/24'] } });
  const trusting = await serve(t, (_req, res) => res.end('ok'), cfg, { trustedProxies: ['127.0.0.1'] });
  const naive = await serve(t, (_req, res) => res.end('ok'), cfg);
  const forwarded = { ...auth, 'x-forwarded-for': '203.0.113.7' };
  problemOf(await send(`${trusting}/api/tasks`, { headers: forwarded }), 403, 'ip-filter.denied');
  assert.equal((await send(`${naive}/api/tasks`, { headers: forwarded })).status, 200);
});

test('run(req, res) used directly: continue with the context, or refused with the answer sent', async (t) => {
  const guard = await portcullis(config(), { logger: pino({ level: 'silent' }) });
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const result = await guard.run(req, res);
      seen.push(result.outcome);
      if (result.outcome !== 'refused') res.end(result.context.principal?.id);
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await guard.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ok = await send(`${url}/api/tasks`, { headers: auth });
  const refused = await send(`${url}/api/tasks`);
  assert.deepEqual([ok.text, refused.status, seen], ['alice', 401, ['continue', 'refused']]);
});

test('a policy of your own (definePolicy) is configured, typed and run like a built-in one', async (t) => {
  const maintenance = definePolicy({
    name: 'maintenance',
    phase: 'request',
    description: 'Refuses every request while maintenance is on.',
    schema: Type.Object({ on: Type.Boolean({ description: 'Maintenance is on.', default: false }) }, { additionalProperties: false }),
    errors: { on: { status: 503, title: 'Service Unavailable', description: 'Down for maintenance.' } },
    compile(settings, env) {
      const refusal = env.deny('on');
      return { onRequest: () => (settings.on ? refusal : undefined) };
    },
  });
  const cfg: PortcullisConfig<{ maintenance: { on: boolean } }> = { ...config(), routes: [{ path: '/api/tasks', methods: ['GET'], policies: { maintenance: { on: true } } }] };
  const url = await serve(t, (_req, res) => res.end('open'), cfg, { policies: [maintenance] });
  problemOf(await send(`${url}/api/tasks`, { headers: auth }), 503, 'maintenance.on');
});
