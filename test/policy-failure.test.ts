/**
 * A policy that fails unexpectedly: the request is refused (fail closed) with 500
 * gateway.internal_error, nothing of the error reaches the client, and the operator finds the
 * error in the log under the request's id.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { definePolicy, type CompiledPolicy } from '../src/core/policy.js';
import { builtinPolicies } from '../src/policies/index.js';
import { problemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const INTERNAL = 'db password=hunter2 at /srv/app/secret.ts:42';

/** A test policy whose handlers fail in the way `mode` says. */
const faulty = definePolicy({
  name: 'faulty',
  phase: 'authorize',
  description: 'Fails on purpose (tests only).',
  schema: Type.Object({ mode: Type.Union([Type.Literal('throw'), Type.Literal('reject'), Type.Literal('response')], { description: 'How it fails.' }) }, { additionalProperties: false }),
  errors: {},
  compile(config): CompiledPolicy {
    if (config.mode === 'throw') return { onRequest: () => { throw new Error(INTERNAL); } };
    if (config.mode === 'reject') return { onRequest: () => Promise.reject(new Error(INTERNAL)) };
    return { onResponse: () => { throw new Error(INTERNAL); } };
  },
});

async function failing(t: TestContext, mode: 'throw' | 'reject' | 'response'): Promise<TestGateway> {
  const gw = await startTestGateway({
    policies: [...builtinPolicies, faulty],
    config: { routes: [{ path: '/api/*', methods: ['GET'], upstream: 'api', public: true, policies: { faulty: { mode } } }] },
  });
  t.after(() => gw.close());
  return gw;
}

test('a policy that throws gives 500 gateway.internal_error', async (t) => {
  const gw = await failing(t, 'throw');
  problemOf(await send(`${gw.url}/api/x`, { ca: gw.ca }), 500, 'gateway.internal_error');
});

test('a policy that throws does not let the request through', async (t) => {
  const gw = await failing(t, 'throw');
  await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(gw.upstream.requests.length, 0);
});

test('nothing of the thrown error reaches the client', async (t) => {
  const gw = await failing(t, 'throw');
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.doesNotMatch(r.text, /hunter2|secret\.ts|stack|\bat \//);
});

test('a policy whose promise rejects gives 500 gateway.internal_error', async (t) => {
  const gw = await failing(t, 'reject');
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  problemOf(r, 500, 'gateway.internal_error');
  assert.doesNotMatch(r.text, /hunter2/);
});

test('the error is logged with the request id and the failing policy', async (t) => {
  const gw = await failing(t, 'throw');
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  const line = await gw.waitForLog((l) => l.event === 'internal_error');
  assert.equal(line.requestId, r.headers['x-request-id']);
  assert.equal(line.source, 'faulty');
});

test('the failure is in the access log as gateway.internal_error', async (t) => {
  const gw = await failing(t, 'throw');
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  const line = await gw.waitForLog((l) => l.event === 'request' && l.requestId === r.headers['x-request-id']);
  assert.equal(line.status, 500);
  assert.equal(line.decision, 'gateway.internal_error');
});

test('a response hook that throws gives 500 gateway.internal_error, not the upstream answer', async (t) => {
  const gw = await failing(t, 'response');
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  problemOf(r, 500, 'gateway.internal_error');
  assert.doesNotMatch(r.text, /hunter2/);
});

test('the gateway keeps serving after a response hook threw', async (t) => {
  const gw = await failing(t, 'response');
  await send(`${gw.url}/api/x`, { ca: gw.ca });
  problemOf(await send(`${gw.url}/nowhere`, { ca: gw.ca }), 404, 'route.not_found');
});
