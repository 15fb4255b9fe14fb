import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition } from './cel.js';
import { createTimeSource } from './clock.js';

const NONE = { user: false, resource: false, request: false, query: false, time: false };

test('a condition on the method reads request but not its query', () => {
  assert.deepEqual(compileCondition('request.method == "GET"').uses, { ...NONE, request: true });
});

test('request.query read through has() counts as reading the query', () => {
  assert.deepEqual(compileCondition('has(request.query.page)').uses, { ...NONE, request: true, query: true });
});

test('request["query"] counts as reading the query', () => {
  assert.deepEqual(compileCondition('request["query"].page == "1"').uses, { ...NONE, request: true, query: true });
});

test('request used whole counts as reading the query', () => {
  assert.deepEqual(compileCondition('[request].size() == 1').uses, { ...NONE, request: true, query: true });
});

test('variables inside macros are found', () => {
  assert.deepEqual(compileCondition('user.roles.exists(r, r == resource.owner) && time.businessHours').uses, { ...NONE, user: true, resource: true, time: true });
});

test('a compiled condition evaluates with plain objects for user and resource', () => {
  assert.equal(compileCondition('user.department == resource.department').evaluate({ user: { department: 'sales' }, resource: { department: 'sales' } }), true);
});

test('a number from JSON (a CEL double) compares with an int literal', () => {
  assert.equal(compileCondition('user.clearance >= 2 && user.clearance < 3').evaluate({ user: { clearance: 2 } }), true);
});

test('matches() as a global function does not type-check', () => {
  assert.throws(() => compileCondition('matches(request.path, "a")'), /is not valid CEL: found no matching overload for 'matches\(string, string\)'/);
});

test('time fields are computed once per minute and now stays exact', () => {
  const timeAt = createTimeSource('UTC', { days: [1], start: '09:00', end: '17:00' });
  const a = timeAt(Date.parse('2026-06-01T10:00:05Z'));
  const b = timeAt(Date.parse('2026-06-01T10:00:59Z'));
  assert.deepEqual([a.minute, b.minute, b.now.toISOString()], [0n, 0n, '2026-06-01T10:00:59.000Z']);
});

test('a new minute gives new time fields', () => {
  const timeAt = createTimeSource('UTC', { days: [1], start: '09:00', end: '17:00' });
  timeAt(Date.parse('2026-06-01T10:00:59Z'));
  assert.equal(timeAt(Date.parse('2026-06-01T10:01:00Z')).minute, 1n);
});
