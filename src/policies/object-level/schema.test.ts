import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BindingSchema, LookupSchema, ObjectLevelSchema, ResponseCheckSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(ObjectLevelSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

const URL = 'https://api.internal/tasks/{taskId}';

test('a binding gets its defaults, and so does the policy', () => {
  const config = { binding: { name: 'userId' } };
  assert.equal(validate(config), true);
  assert.deepEqual(config, { binding: { name: 'userId', source: 'path', equals: 'user.id' }, denyAs: 'not_found', bypassRoles: [], bypassPermissions: [] });
});

test('a lookup gets a short cache, a bounded size and a short timeout by default', () => {
  const config = { lookup: { url: URL, ownerField: 'ownerId' } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.lookup, { url: URL, ownerField: 'ownerId', owner: 'user.id', attributes: [], cacheTtlSec: 5, cacheMaxEntries: 1000, timeoutMs: 2000, maxResponseBytes: 65_536 });
});

test('a response check filters lists by default', () => {
  const config = { response: { ownerField: 'ownerId' } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.response, { ownerField: 'ownerId', owner: 'user.id', onList: 'filter' });
});

test('all three blocks may be combined, each with its methods', () => {
  const config = {
    binding: { source: 'body', name: 'account.id', equals: 'user.attributes.account', methods: ['POST'] },
    lookup: { url: URL, ownerField: 'meta.owner', attributes: ['department'], methods: ['PATCH', 'DELETE'] },
    response: { ownerField: 'ownerId', listPath: 'data.items', onList: 'deny', methods: ['GET'] },
    denyAs: 'forbidden',
    bypassRoles: ['admin'],
  };
  assert.equal(validate(config), true);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ owner: 'user.id' }), [['', 'additionalProperties']]);
});

test('an unknown key inside a block is refused', () => {
  assert.deepEqual(errorsOf({ lookup: { url: URL, ownerField: 'ownerId', ttl: 5 } }), [['/lookup', 'additionalProperties']]);
});

test('a binding without a name is refused', () => {
  assert.deepEqual(errorsOf({ binding: { source: 'path' } }), [['/binding', 'required']]);
});

test('a binding source other than path, query or body is refused', () => {
  assert.deepEqual(errorsOf({ binding: { source: 'header', name: 'x-user' } }), [['/binding/source', 'enum']]);
});

test('a dotted path with an empty segment is refused', () => {
  assert.deepEqual(errorsOf({ binding: { name: 'a..b' } }), [['/binding/name', 'pattern']]);
});

test('a principal reference other than user.id or user.attributes.* is refused', () => {
  assert.deepEqual(errorsOf({ binding: { name: 'userId', equals: 'user.name' } }), [['/binding/equals', 'pattern']]);
});

test('a lookup URL that is not http(s) is refused', () => {
  assert.deepEqual(errorsOf({ lookup: { url: 'ftp://files.internal/x', ownerField: 'o' } }), [['/lookup/url', 'pattern']]);
});

test('a lookup URL with a placeholder in the host is refused', () => {
  assert.deepEqual(errorsOf({ lookup: { url: 'https://{tenant}.internal/x', ownerField: 'o' } }), [['/lookup/url', 'pattern']]);
});

test('a lookup URL without a path is refused', () => {
  assert.deepEqual(errorsOf({ lookup: { url: 'https://api.internal', ownerField: 'o' } }), [['/lookup/url', 'pattern']]);
});

test('a cache longer than five minutes is refused (the cache must stay short)', () => {
  assert.deepEqual(errorsOf({ lookup: { url: URL, ownerField: 'o', cacheTtlSec: 3600 } }), [['/lookup/cacheTtlSec', 'maximum']]);
});

test('a lookup timeout over 30 seconds is refused', () => {
  assert.deepEqual(errorsOf({ lookup: { url: URL, ownerField: 'o', timeoutMs: 60_000 } }), [['/lookup/timeoutMs', 'maximum']]);
});

test('an unbounded cache is refused', () => {
  assert.deepEqual(errorsOf({ lookup: { url: URL, ownerField: 'o', cacheMaxEntries: 0 } }), [['/lookup/cacheMaxEntries', 'minimum']]);
});

test('a response check without ownerField is refused', () => {
  assert.deepEqual(errorsOf({ response: { listPath: 'tasks' } }), [['/response', 'required']]);
});

test('an onList other than filter or deny is refused', () => {
  assert.deepEqual(errorsOf({ response: { ownerField: 'o', onList: 'drop' } }), [['/response/onList', 'enum']]);
});

test('a denyAs other than not_found or forbidden is refused', () => {
  assert.deepEqual(errorsOf({ binding: { name: 'x' }, denyAs: 'gone' }), [['/denyAs', 'enum']]);
});

test('an empty methods list is refused (omit it for the default)', () => {
  assert.deepEqual(errorsOf({ binding: { name: 'x', methods: [] } }), [['/binding/methods', 'minItems']]);
});

test('a lower-case method is refused', () => {
  assert.deepEqual(errorsOf({ response: { ownerField: 'o', methods: ['get'] } }), [['/response/methods/0', 'enum']]);
});

test('a bypass role with a space is refused', () => {
  assert.deepEqual(errorsOf({ binding: { name: 'x' }, bypassRoles: ['super admin'] }), [['/bypassRoles/0', 'pattern']]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf({ binding: { name: '' }, response: { ownerField: 'o', onList: 'x' } }), [['/binding/name', 'minLength'], ['/binding/name', 'pattern'], ['/response/onList', 'enum']]);
});

test('every field is described', () => {
  const schemas = [ObjectLevelSchema, BindingSchema, LookupSchema, ResponseCheckSchema];
  for (const schema of schemas) {
    for (const [name, field] of Object.entries(schema.properties)) {
      assert.ok(typeof (field as { description?: unknown }).description === 'string', name);
    }
  }
});
