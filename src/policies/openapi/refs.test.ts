import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../core/config-error.js';
import { loadOpenApiDocument, type LoadedApiDocument } from './document.js';
import { MAX_PROBLEMS } from './document-problems.js';
import { duplicateKeyAt } from './document-files.js';
import { lookup, parseRef, type RefTarget } from './refs-pointer.js';

const AT = ['openapi', 'document'];
const base = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'));
after(() => rmSync(base, { recursive: true, force: true }));
let dirs = 0;

/** Writes files into a fresh directory and returns its path. */
function tree(files: Record<string, string>): string {
  const dir = join(base, String(++dirs));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A 3.1 document whose GET /x answers 200 with `schema`, plus `components` (JSON text). */
function doc(schema: unknown, components: Record<string, unknown> = {}): string {
  return JSON.stringify({
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: { '/x': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema } } } } } } },
    components: { schemas: components },
  });
}

function load(dir: string, name = 'openapi.yaml'): LoadedApiDocument {
  return loadOpenApiDocument(join(dir, name), AT);
}

function problems(dir: string, name = 'openapi.yaml'): string[] {
  try {
    load(dir, name);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => i.message);
  }
  assert.fail('loaded');
}

function target(ref: string): RefTarget {
  const t = parseRef(ref, '/srv/api/paths/tasks.yaml');
  if (typeof t === 'string') assert.fail(t);
  return t;
}

function refusal(ref: string): string {
  const t = parseRef(ref, '/srv/api/openapi.yaml');
  if (typeof t !== 'string') assert.fail(`${ref} was accepted`);
  return t;
}

test('a local ref stays in the referring file', () => {
  assert.deepEqual(target('#/components/schemas/Task'), { file: '/srv/api/paths/tasks.yaml', segments: ['components', 'schemas', 'Task'], where: { file: '/srv/api/paths/tasks.yaml', pointer: '/components/schemas/Task' } });
});

test('a relative file ref is resolved against the referring file\'s directory', () => {
  assert.equal(target('../common.yaml#/components/parameters/Limit').file, '/srv/api/common.yaml');
});

test('~1 and ~0 are unescaped in the pointer', () => {
  assert.deepEqual(target('#/paths/~1tasks~1{id}/a~0b').segments, ['paths', '/tasks/{id}', 'a~b']);
});

test('the fragment is percent-decoded before it is read as a pointer', () => {
  assert.deepEqual(target('#/components/schemas/T%C3%A2che%20list').segments, ['components', 'schemas', 'Tâche list']);
});

test('the file name is percent-decoded', () => {
  assert.equal(target('my%20schemas/task.yaml').file, '/srv/api/paths/my schemas/task.yaml');
});

test('an https ref is refused as remote', () => {
  assert.match(refusal('https://example.com/a.yaml#/x'), /remote reference/);
});

test('a network-path ref (//host) is refused as remote', () => {
  assert.match(refusal('//example.com/a.yaml'), /remote reference/);
});

test('a file: ref is refused', () => {
  assert.match(refusal('file:///etc/passwd'), /only relative file references/);
});

test('malformed percent-encoding is refused', () => {
  assert.match(refusal('#/components/%E0%A4%A'), /percent-encoding/);
});

test('lookup walks arrays by index', () => {
  assert.equal(lookup({ a: [{ b: 1 }, { b: 2 }] }, ['a', '1', 'b']), 2);
});

test('lookup refuses an index with a leading zero', () => {
  assert.notEqual(lookup({ a: [1, 2] }, ['a', '01']), 2);
});

test('a symlink below the directory that leads out of it is refused', () => {
  const outside = tree({ 'secret.yaml': 'type: string\n' });
  const dir = tree({ 'openapi.yaml': doc({ $ref: 'link.yaml' }) });
  symlinkSync(join(outside, 'secret.yaml'), join(dir, 'link.yaml'));
  assert.ok(problems(dir).some((m) => /link\.yaml" is a symbolic link to a file outside/.test(m)));
});

test('an absolute file ref inside the directory is allowed', () => {
  const dir = tree({ 'openapi.yaml': '', 'task.yaml': 'type: string\n' });
  writeFileSync(join(dir, 'openapi.yaml'), doc({ $ref: join(dir, 'task.yaml') }));
  assert.deepEqual(load(dir).operations[0]?.responses[0]?.content[0]?.schema, { type: 'string' });
});

test('a file larger than 10 MB is refused without being read', () => {
  const dir = tree({ 'openapi.yaml': doc({ $ref: 'big.yaml' }), 'big.yaml': '' });
  truncateSync(join(dir, 'big.yaml'), 10 * 1024 * 1024 + 1);
  assert.ok(problems(dir).some((m) => /big\.yaml" is larger than/.test(m)));
});

test('a file referenced from several places is reported once when it is missing', () => {
  const dir = tree({ 'openapi.yaml': doc({ type: 'object', properties: { a: { $ref: 'gone.yaml' }, b: { $ref: 'gone.yaml' } } }) });
  assert.equal(problems(dir).filter((m) => m.includes('gone.yaml')).length, 1);
});

test('a chain of inlined refs deeper than the bound is refused', () => {
  const components: Record<string, unknown> = {};
  for (let i = 0; i < 200; i++) components[`S${i}`] = { type: 'object', properties: { next: { $ref: `#/components/schemas/S${i + 1}` } } };
  components.S200 = { type: 'string' };
  const dir = tree({ 'openapi.yaml': doc({ $ref: '#/components/schemas/S0' }, components) });
  assert.ok(problems(dir).some((m) => /nested more than \d+ levels/.test(m)));
});

test('a schema whose refs would expand exponentially is refused', () => {
  const components: Record<string, unknown> = {};
  for (let i = 0; i < 24; i++) components[`S${i}`] = { type: 'object', properties: { a: { $ref: `#/components/schemas/S${i + 1}` }, b: { $ref: `#/components/schemas/S${i + 1}` } } };
  components.S24 = { type: 'string' };
  const dir = tree({ 'openapi.yaml': doc({ $ref: '#/components/schemas/S0' }, components) });
  assert.ok(problems(dir).some((m) => /^openapi\.yaml#\/paths\/~1x\/get\/responses\/200\/content\/application~1json\/schema: schema expands to more than/.test(m)));
});

test('a YAML alias that contains itself is refused, not walked forever', () => {
  const dir = tree({
    'openapi.yaml': [
      'openapi: 3.1.0',
      'info: { title: t, version: "1" }',
      'paths:',
      '  /x:',
      '    get:',
      '      responses:',
      '        "200":',
      '          description: ok',
      '          content:',
      '            application/json:',
      '              schema: &s { type: object, properties: { child: *s } }',
      '',
    ].join('\n'),
  });
  assert.deepEqual(problems(dir), ['openapi.yaml:11: YAML: an alias inside the node it names makes endless data']);
});

test('a file that refers to itself as a whole becomes a component named after the file', () => {
  const dir = tree({
    'openapi.yaml': doc({ $ref: 'schemas/tree-node.yaml' }),
    'schemas/tree-node.yaml': 'type: object\nproperties:\n  kids: { type: array, items: { $ref: "#" } }\n',
  });
  const op = load(dir).operations[0]!;
  assert.deepEqual(op.components, { 'tree-node': { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/components/schemas/tree-node' } } } } });
});

test('two recursive schemas with the same name in different files get distinct component names', () => {
  const dir = tree({
    'openapi.yaml': doc({ type: 'object', properties: { a: { $ref: '#/components/schemas/Node' }, b: { $ref: 'other.yaml#/components/schemas/Node' } } }, {
      Node: { type: 'object', properties: { next: { $ref: '#/components/schemas/Node' } } },
    }),
    'other.yaml': 'components:\n  schemas:\n    Node: { type: array, items: { $ref: "#/components/schemas/Node" } }\n',
  });
  assert.deepEqual(Object.keys(load(dir).operations[0]!.components), ['Node', 'Node_2']);
});

test('a component that reaches another component carries both', () => {
  const dir = tree({
    'openapi.yaml': doc({ $ref: '#/components/schemas/A' }, {
      A: { type: 'object', properties: { self: { $ref: '#/components/schemas/A' }, b: { $ref: '#/components/schemas/B' } } },
      B: { type: 'object', properties: { self: { $ref: '#/components/schemas/B' } } },
    }),
  });
  assert.deepEqual(Object.keys(load(dir).operations[0]!.components), ['A', 'B']);
});

test('at most the bounded number of problems is kept, and the rest are counted', () => {
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < MAX_PROBLEMS + 10; i++) paths[`bad${i}`] = {};
  const dir = tree({ 'openapi.yaml': JSON.stringify({ openapi: '3.0.3', info: { title: 't' }, paths }) });
  const messages = problems(dir);
  assert.deepEqual([messages.length, messages.at(-1)], [MAX_PROBLEMS + 1, 'and 10 more problems in the OpenAPI document']);
});

test('duplicateKeyAt finds a key repeated in an object, also when spelled with escapes', () => {
  assert.equal(duplicateKeyAt('{"a": {"b": 1, "c": [{"b": 2}]}, "\\u0061": 3}'), 33);
});

test('duplicateKeyAt accepts equal keys in different objects and equal string values', () => {
  assert.equal(duplicateKeyAt('{"a": "a", "b": {"a": ["a", {"a": 1}]}, "c": "\\"a"}'), -1);
});

test('a JSON document with a repeated key is refused with its line', () => {
  const dir = tree({ 'openapi.json': '{\n  "openapi": "3.1.0",\n  "info": { "title": "t" },\n  "paths": {},\n  "paths": {}\n}\n' });
  assert.deepEqual(problems(dir, 'openapi.json'), ['openapi.json:5: JSON: a key is repeated in one object (keys must be unique)']);
});

test('a JSON document with a syntax error is reported with its line', () => {
  const dir = tree({ 'openapi.json': '{\n  "openapi": "3.1.0",\n  "info": { "title": "t" ]\n}\n' });
  assert.match(problems(dir, 'openapi.json')[0] ?? '', /^openapi\.json:3: YAML: /);
});

test('a path item $ref that also declares operations is refused', () => {
  const dir = tree({
    'openapi.yaml': JSON.stringify({ openapi: '3.1.0', info: { title: 't' }, paths: { '/x': { $ref: 'item.yaml', get: { responses: {} } } } }),
    'item.yaml': 'get: { responses: {} }\n',
  });
  assert.ok(problems(dir).some((m) => m.startsWith('openapi.yaml#/paths/~1x: a path item with $ref must not also declare')));
});
