import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticateStep, type AuthAuditEvent, type AuthMethod } from './authenticate-step.js';
import { fakeContext } from '../policies/test-helpers.js';
import { createDenial, type Denial } from '../core/problem.js';
import { CORE_ERRORS } from '../core/errors.js';
import type { Principal } from '../core/principal.js';

const alice: Principal = { id: 'alice', kind: 'user', roles: [], scopes: [], attributes: {}, method: 'test' };
const invalid = createDenial('authenticate.invalid_token', CORE_ERRORS['authenticate.invalid_token']);

function method(name: string, outcome: ReturnType<AuthMethod['authenticate']>, challenge?: string): AuthMethod {
  return { name, authenticate: () => outcome, challenge };
}

function run(methods: AuthMethod[], isPublic = false) {
  const events: AuthAuditEvent[] = [];
  const ctx = fakeContext();
  const result = authenticateStep(methods, isPublic, (e) => events.push(e)).run(ctx);
  return { ctx, events, result };
}

test('no credential on a non-public route is 401 authenticate.required', () => {
  const { result } = run([method('jwt', undefined)]);
  assert.equal((result as Denial).code, 'authenticate.required');
  assert.equal((result as Denial).status, 401);
});

test('the 401 carries one WWW-Authenticate challenge per method', () => {
  const { result } = run([method('jwt', undefined, 'Bearer realm="api"'), method('api-key', undefined, 'ApiKey header="X-API-Key"')]);
  assert.deepEqual((result as Denial).headers, ['www-authenticate', 'Bearer realm="api"', 'www-authenticate', 'ApiKey header="X-API-Key"']);
});

test('a missing credential is audited as a failure with reason missing_credentials', () => {
  const { events } = run([method('jwt', undefined)]);
  assert.deepEqual(events.map((e) => [e.outcome, e.method, e.reason]), [['failure', 'none', 'missing_credentials']]);
});

test('no credential on a public route continues anonymously', () => {
  const { result, ctx } = run([method('jwt', undefined)], true);
  assert.equal(result, undefined);
  assert.equal(ctx.principal, undefined);
});

test('a principal is set on the context and audited as a success', () => {
  const { result, ctx, events } = run([method('jwt', { principal: alice })]);
  assert.equal(result, undefined);
  assert.equal(ctx.principal, alice);
  assert.deepEqual(events.map((e) => [e.outcome, e.method]), [['success', 'jwt']]);
});

test('the first method that finds its credential decides: a refusal is not retried by the next', () => {
  let second = false;
  const { result, events } = run([method('jwt', { reason: 'token_expired', denial: invalid }), { name: 'api-key', authenticate: () => { second = true; return { principal: alice }; }, challenge: undefined }]);
  assert.equal((result as Denial).code, 'authenticate.invalid_token');
  assert.equal(second, false);
  assert.deepEqual(events.map((e) => e.reason), ['token_expired']);
});

test('a refused credential on a public route is still refused', () => {
  const { result } = run([method('jwt', { reason: 'bad_signature', denial: invalid })], true);
  assert.equal((result as Denial).code, 'authenticate.invalid_token');
});

test('a method without a credential hands over to the next one', () => {
  const { ctx } = run([method('jwt', undefined), method('api-key', { principal: alice })]);
  assert.equal(ctx.principal, alice);
});

test('an asynchronous method is awaited and the next method still runs after it', async () => {
  const { result, ctx } = run([{ name: 'introspection', authenticate: () => Promise.resolve(undefined), challenge: undefined }, method('api-key', { principal: alice })]);
  assert.ok(result instanceof Promise);
  assert.equal(await result, undefined);
  assert.equal(ctx.principal, alice);
});

test('synchronous methods give a synchronous answer (no microtask)', () => {
  const { result } = run([method('api-key', { principal: alice })]);
  assert.ok(!(result instanceof Promise));
});

test('two methods with the same challenge send it once', () => {
  const { result } = run([method('introspection', undefined, 'Bearer realm="api"'), method('jwt', undefined, 'Bearer realm="api"')]);
  assert.deepEqual((result as Denial).headers, ['www-authenticate', 'Bearer realm="api"']);
});
