/**
 * Routes whose policies read bodies: the request body is buffered, parsed once and forwarded as
 * inspected (or as rewritten); the response body is buffered, handed to the hooks, and sent only
 * after them. A test policy stands in for the authorization and validation policies.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { definePolicy, type CompiledPolicy } from '../src/core/policy.js';
import { builtinPolicies } from '../src/policies/index.js';
import { problemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const inspector = definePolicy({
  name: 'inspector',
  phase: 'authorize',
  description: 'Reads and rewrites bodies (tests only).',
  schema: Type.Object({ mode: Type.String({ description: 'What it does.' }) }, { additionalProperties: false }),
  errors: { denied: { status: 403, title: 'Forbidden', description: 'test' } },
  compile(config, env): CompiledPolicy {
    const denied = env.deny('denied');
    switch (config.mode) {
      case 'deny-admin':
        return { requestBody: 'json', onRequest: (ctx) => ((ctx.body as { admin?: boolean } | undefined)?.admin === true ? denied : undefined) };
      case 'stamp':
        return { requestBody: 'json', onRequest: (ctx) => ctx.replaceBody({ ...(ctx.body as object), stamped: true }) };
      case 'strip-secret':
        return { onResponseBody: (_ctx, _head, body) => { if (body.isJson) { delete (body.value as { secret?: unknown }).secret; body.changed = true; } } };
      case 'deny-response':
        return { onResponseBody: () => denied };
      default:
        return {};
    }
  },
});

async function gateway(t: TestContext, mode: string, upstream?: Parameters<typeof startTestGateway>[0] extends infer O ? O extends { upstream?: infer U } ? U : never : never, extra: Record<string, unknown> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({
    tls: false,
    policies: [...builtinPolicies, inspector],
    upstream,
    config: { ...extra, routes: [{ path: '/api/*', methods: ['GET', 'POST'], upstream: 'api', public: true, policies: { inspector: { mode } } }] },
  });
  t.after(() => gw.close());
  return gw;
}

const json = { 'content-type': 'application/json' };

test('a policy sees the parsed JSON body and the upstream gets the same bytes', async (t) => {
  const gw = await gateway(t, 'deny-admin');
  const body = '{"title":"x","admin":false}';
  assert.equal((await send(`${gw.url}/api/tasks`, { method: 'POST', headers: json, body })).status, 200);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.body.toString(), body);
});

test('a policy refuses on what the body says', async (t) => {
  const gw = await gateway(t, 'deny-admin');
  problemOf(await send(`${gw.url}/api/tasks`, { method: 'POST', headers: json, body: '{"admin":true}' }), 403, 'inspector.denied');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a rewritten body reaches the upstream with a matching content-length', async (t) => {
  const gw = await gateway(t, 'stamp');
  await send(`${gw.url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":"x"}' });
  await gw.upstream.recorded(1);
  const got = gw.upstream.requests[0]!;
  assert.deepEqual([JSON.parse(got.body.toString()), got.headers['content-length']], [{ title: 'x', stamped: true }, String(got.body.length)]);
});

test('a chunked body is buffered and forwarded with a content-length', async (t) => {
  const gw = await gateway(t, 'stamp');
  await send(`${gw.url}/api/tasks`, { method: 'POST', headers: { ...json, 'transfer-encoding': 'chunked' }, body: '{"title":"x"}' });
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers['transfer-encoding'], undefined);
});

test('a body that is not valid JSON is 400 request.invalid_json', async (t) => {
  const gw = await gateway(t, 'deny-admin');
  problemOf(await send(`${gw.url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":' }), 400, 'request.invalid_json');
});

test('a body over the size limit is 413 without being buffered whole', async (t) => {
  const gw = await gateway(t, 'deny-admin', undefined, { defaults: { policies: { 'size-limit': { maxBodyBytes: 100 } } } });
  const reply = await send(`${gw.url}/api/tasks`, { method: 'POST', headers: { ...json, 'transfer-encoding': 'chunked' }, body: JSON.stringify({ pad: 'x'.repeat(5000) }) });
  problemOf(reply, 413, 'size-limit.body_too_large');
});

test('a response-body hook edits the JSON and the client gets a consistent content-length', async (t) => {
  const gw = await gateway(t, 'strip-secret', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"id":1,"secret":"s3cr3t"}');
  });
  const reply = await send(`${gw.url}/api/x`);
  assert.deepEqual([reply.status, JSON.parse(reply.text), reply.headers['content-length']], [200, { id: 1 }, String(reply.body.length)]);
});

test('a response-body hook that refuses replaces the whole response', async (t) => {
  const gw = await gateway(t, 'deny-response', (_req, res) => res.end('{"secret":"s3cr3t"}'));
  const reply = await send(`${gw.url}/api/x`);
  problemOf(reply, 403, 'inspector.denied');
  assert.equal(reply.text.includes('s3cr3t'), false);
});

test('a response larger than maxResponseBytes on an inspecting route is 502 and not sent', async (t) => {
  const gw = await gateway(t, 'strip-secret', (_req, res) => res.end(`{"pad":"${'x'.repeat(5000)}"}`), { upstreams: { api: { maxResponseBytes: 1024 } } });
  const reply = await send(`${gw.url}/api/x`);
  problemOf(reply, 502, 'proxy.response_too_large');
});

test('an inspecting route asks the upstream for an uncompressed response', async (t) => {
  const gw = await gateway(t, 'strip-secret');
  await send(`${gw.url}/api/x`, { headers: { 'accept-encoding': 'gzip' } });
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers['accept-encoding'], undefined);
});
