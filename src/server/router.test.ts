import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompiledRoute } from '../config/compile.js';
import { createRouter, type RouteLookup } from './router.js';

function route(template: string): CompiledRoute {
  return { name: template, template } as unknown as CompiledRoute;
}

const TASKS = route('/api/tasks');
const TASK = route('/api/tasks/{taskId}');
const FILES = route('/files/*');
const router = createRouter([TASKS, TASK, FILES], [['GET', 'POST'], ['GET', 'DELETE'], ['GET']]);

function matched(lookup: RouteLookup) {
  assert.ok(lookup !== undefined && 'route' in lookup, 'expected a match');
  return lookup;
}

test('a literal path matches its route', () => {
  assert.equal(matched(router.find('GET', '/api/tasks')).route, TASKS);
});

test('a parameter is captured', () => {
  assert.deepEqual({ ...matched(router.find('GET', '/api/tasks/42')).params }, { taskId: '42' });
});

test('a wildcard captures the rest of the path', () => {
  assert.equal(matched(router.find('GET', '/files/a/b.txt')).params['*'], 'a/b.txt');
});

test('an unknown path is no match', () => {
  assert.equal(router.find('GET', '/nope'), undefined);
});

test('a known path with another method gives the allowed methods, sorted', () => {
  assert.deepEqual(router.find('PUT', '/api/tasks/42'), { allow: 'DELETE, GET' });
});

test('an empty parameter is no match (a trailing slash does not reach the parametric route)', () => {
  assert.equal(router.find('GET', '/api/tasks/'), undefined);
});

test('an empty parameter does not produce a 405 either', () => {
  assert.equal(router.find('DELETE', '/api/tasks/'), undefined);
});

test('an empty wildcard still matches its prefix route', () => {
  assert.equal(matched(router.find('GET', '/files/')).route, FILES);
});

test('matching is case-sensitive', () => {
  assert.equal(router.find('GET', '/API/tasks'), undefined);
});

test('a malformed percent-encoding is no match, not an exception', () => {
  assert.doesNotThrow(() => router.find('GET', '/api/tasks/%E0%A4%A'));
});
