import { test } from 'node:test';
import assert from 'node:assert/strict';
import policy from './index.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import type { Principal } from '../../core/principal.js';

const alice: Principal = { id: 'alice', kind: 'user', roles: ['editor', 'viewer'], scopes: [], attributes: { department: 'engineering', clearance: 2, note: 'a\r\nx-admin: yes' }, method: 'jwt' };

function run(identityHeaders: Record<string, string>, principal: Principal | undefined) {
  const compiled = policy.compile({ request: { identityHeaders } }, compileEnvFor(policy));
  const ctx = fakeContext();
  ctx.principal = principal;
  void compiled.onRequest?.(ctx);
  return { compiled, headers: ctx.upstreamHeaders ?? [] };
}

test('identity headers carry the principal\'s fields to the upstream', () => {
  assert.deepEqual(run({ 'X-User-Id': 'id', 'x-user-department': 'attributes.department' }, alice).headers, ['x-user-id', 'alice', 'x-user-department', 'engineering']);
});

test('lists are joined with commas and numbers written as text', () => {
  assert.deepEqual(run({ 'x-user-roles': 'roles', 'x-user-clearance': 'attributes.clearance' }, alice).headers, ['x-user-roles', 'editor,viewer', 'x-user-clearance', '2']);
});

test('a client-sent copy of every identity header is stripped', () => {
  assert.deepEqual(run({ 'X-User-Id': 'id' }, alice).compiled.stripRequestHeaders, ['x-user-id']);
});

test('without a principal no identity header is sent', () => {
  assert.deepEqual(run({ 'x-user-id': 'id' }, undefined).headers, []);
});

test('a value with CR/LF is percent-encoded, never a second header', () => {
  const [, value] = run({ 'x-user-note': 'attributes.note' }, alice).headers;
  assert.equal(value, 'a%0D%0Ax-admin%3A%20yes');
});

test('a missing attribute leaves its header out', () => {
  assert.deepEqual(run({ 'x-user-team': 'attributes.team' }, alice).headers, []);
});
