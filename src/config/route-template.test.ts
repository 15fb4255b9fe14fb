import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate } from './route-template.js';

function refused(template: string): void {
  assert.equal(typeof parseTemplate(template), 'string', template);
}

test('the root path is accepted', () => {
  assert.deepEqual(parseTemplate('/'), { routerPath: '/', params: [] });
});

test('literal segments are kept', () => {
  assert.deepEqual(parseTemplate('/api/v1/tasks'), { routerPath: '/api/v1/tasks', params: [] });
});

test('parameters become router parameters, in order', () => {
  assert.deepEqual(parseTemplate('/users/{userId}/tasks/{taskId}'), { routerPath: '/users/:userId/tasks/:taskId', params: ['userId', 'taskId'] });
});

test('a trailing wildcard is accepted', () => {
  assert.deepEqual(parseTemplate('/files/*'), { routerPath: '/files/*', params: [] });
});

test('a template without a leading slash is refused', () => {
  refused('tasks');
});

test('an empty parameter {} is refused', () => {
  refused('/tasks/{}');
});

test('a parameter inside a segment is refused', () => {
  refused('/tasks/id-{id}');
});

test('an unbalanced brace is refused', () => {
  refused('/tasks/{id');
});

test('a parameter name starting with a digit is refused', () => {
  refused('/tasks/{1id}');
});

test('the same parameter twice is refused', () => {
  refused('/a/{id}/b/{id}');
});

test('a wildcard before the last segment is refused', () => {
  refused('/files/*/meta');
});

test('a wildcard inside a segment is refused', () => {
  refused('/files/a*');
});

test('a .. segment is refused', () => {
  refused('/files/../admin');
});

test('a . segment is refused', () => {
  refused('/files/./admin');
});

test('an empty segment is refused', () => {
  refused('/files//admin');
});

test('a trailing slash is refused', () => {
  refused('/files/');
});

test('a colon, which the router reads as a parameter, is refused', () => {
  refused('/tasks/:id');
});

test('a percent sign is refused', () => {
  refused('/tasks/%2e%2e');
});
