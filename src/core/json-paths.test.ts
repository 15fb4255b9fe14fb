import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPathTree, jsonPointer, MAX_ARRAY_NESTING, parsePropertyPath, walkPaths } from './json-paths.js';

/** The pointers of every property a tree of `paths` finds in `value`. */
function found(paths: string[], value: unknown, caseInsensitive = false): string[] {
  const out: string[] = [];
  walkPaths(buildPathTree(paths.map((p) => [p, p] as const), { caseInsensitive }), value, (_parent, _key, _leaf, trail) => out.push(jsonPointer(trail)));
  return out;
}

test('a path is split into names once, [] dropped', () => {
  assert.deepEqual(parsePropertyPath('items[].owner.passwordHash'), ['items', 'owner', 'passwordHash']);
});

test('malformed paths are not parsed', () => {
  assert.deepEqual(['', 'a..b', '.a', 'a.', 'a[0]', 'a b', '[]'].map(parsePropertyPath), [undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
});

test('a top-level property is found', () => {
  assert.deepEqual(found(['ownerId'], { title: 'x', ownerId: 'bob' }), ['/ownerId']);
});

test('a nested property is found, its siblings are not', () => {
  assert.deepEqual(found(['meta.createdBy'], { meta: { createdBy: 'x', tags: [] }, createdBy: 'y' }), ['/meta/createdBy']);
});

test('a property of every array element is found, with its index', () => {
  assert.deepEqual(found(['items[].secret'], { items: [{ secret: 1 }, { other: 2 }, { secret: 3 }] }), ['/items/0/secret', '/items/2/secret']);
});

test('arrays are traversed with or without []', () => {
  assert.deepEqual(found(['items.secret'], { items: [{ secret: 1 }] }), ['/items/0/secret']);
});

test('rules apply to every element of a top-level array', () => {
  assert.deepEqual(found(['id'], [{ id: 1 }, { id: 2 }]), ['/0/id', '/1/id']);
});

test('nested arrays are followed', () => {
  assert.deepEqual(found(['m[][].id'], { m: [[{ id: 1 }], [{ id: 2 }]] }), ['/m/0/0/id', '/m/1/0/id']);
});

test('a rule on a property covers everything below it', () => {
  assert.deepEqual(found(['owner', 'owner.passwordHash'], { owner: { passwordHash: 'x' } }), ['/owner']);
});

test('a property of a scalar is not found', () => {
  assert.deepEqual(found(['meta.createdBy'], { meta: 'plain' }), []);
});

test('inherited properties are never found', () => {
  assert.deepEqual(found(['constructor', 'toString'], {}), []);
});

test('a case-insensitive tree finds every spelling the client used', () => {
  assert.deepEqual(found(['ownerId'], { OwnerId: 1, ownerid: 2, OWNERID: 3 }, true), ['/OwnerId', '/ownerid', '/OWNERID']);
});

test('a case-sensitive tree finds only the exact name', () => {
  assert.deepEqual(found(['ownerId'], { OwnerId: 1, ownerId: 2 }), ['/ownerId']);
});

test('pointers escape ~ and / (RFC 6901)', () => {
  assert.deepEqual(jsonPointer(['a/b', 'c~d', 0]), '/a~1b/c~0d/0');
});

test('arrays nested deeper than the limit stop the walk and report it', () => {
  let value: unknown = { id: 1 };
  for (let i = 0; i <= MAX_ARRAY_NESTING; i++) value = [value];
  assert.equal(walkPaths(buildPathTree([['id', true]]), value, () => undefined), false);
});

test('arrays nested up to the limit are walked', () => {
  let value: unknown = { id: 1 };
  for (let i = 0; i < MAX_ARRAY_NESTING; i++) value = [value];
  let hits = 0;
  assert.deepEqual([walkPaths(buildPathTree([['id', true]]), value, () => { hits++; }), hits], [true, 1]);
});

test('a visitor may delete what it visits', () => {
  const value = { a: 1, b: { c: 2, d: 3 } };
  walkPaths(buildPathTree([['a', 0], ['b.c', 0]]), value, (parent, key) => { delete parent[key]; });
  assert.deepEqual(value, { b: { d: 3 } });
});

test('an empty tree is marked so walks are skipped', () => {
  assert.equal(buildPathTree([]).empty, true);
});
