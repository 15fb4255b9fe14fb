import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileUrlTemplate } from './lookup.js';

function reason(template: string): string {
  try {
    compileUrlTemplate(template);
  } catch (error) {
    assert.ok(error instanceof TypeError);
    return error.message;
  }
  assert.fail('expected a TypeError');
}

test('a template without placeholders is its own URL', () => {
  assert.deepEqual(compileUrlTemplate('https://api.internal/me').build({}), { url: 'https://api.internal/me' });
});

test('several placeholders, in the path and the query, are substituted in order', () => {
  const t = compileUrlTemplate('https://api.internal/projects/{projectId}/tasks/{taskId}?view={view}');
  assert.deepEqual([t.names, t.build({ projectId: 'p 1', taskId: 't&2', view: 'full' })], [['projectId', 'taskId', 'view'], { url: 'https://api.internal/projects/p%201/tasks/t%262?view=full' }]);
});

test('a value is encoded so that it cannot add a path segment, a query or a fragment', () => {
  assert.deepEqual(compileUrlTemplate('https://api.internal/tasks/{id}').build({ id: '1/../admin?x#y' }), { url: 'https://api.internal/tasks/1%2F..%2Fadmin%3Fx%23y' });
});

test('an empty, . or .. value is refused by name', () => {
  const t = compileUrlTemplate('https://api.internal/tasks/{id}');
  assert.deepEqual(['', '.', '..'].map((id) => t.build({ id })), [{ bad: 'id' }, { bad: 'id' }, { bad: 'id' }]);
});

test('a stray closing brace is refused', () => {
  assert.equal(reason('https://api.internal/tasks/id}'), 'unbalanced \'}\' at character 30');
});

test('a placeholder in the host is refused', () => {
  assert.equal(reason('https://{tenant}.api.internal/tasks'), 'placeholders may only be in the path or query, never in the host');
});

test('a template with credentials is refused', () => {
  assert.equal(reason('https://user:pw@api.internal/tasks/{id}'), 'must not carry credentials');
});

test('a template that is not http(s) is refused', () => {
  assert.equal(reason('file:///etc/{name}'), 'must be an http or https URL');
});
