import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeyEntrySchema, ApiKeySchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(ApiKeySchema);

const HASH = `sha256:${'ab'.repeat(32)}`;

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

function withKey(entry: Record<string, unknown>): { keys: Array<Record<string, unknown>> } {
  return { keys: [{ id: 'ci', prefix: 'AbCd1234EfGh', hash: HASH, ...entry }] };
}

test('{} is a complete config and gets every default', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, { header: 'X-API-Key', keys: [], queryParamNames: ['api_key', 'apikey', 'api-key', 'x-api-key', 'key'] });
});

test('a key entry gets its defaults', () => {
  const config = withKey({});
  assert.equal(validate(config), true);
  assert.deepEqual(config.keys[0], { id: 'ci', prefix: 'AbCd1234EfGh', hash: HASH, roles: [], scopes: [], revoked: false, attributes: {} });
});

test('a complete key entry is kept as given', () => {
  const entry = { id: 'ci', prefix: 'AbCd1234', hash: HASH, roles: ['reader'], scopes: ['tasks:read'], routes: ['/tasks'], expiresAt: '2027-01-01T00:00:00Z', revoked: true, attributes: { team: 'ops' } };
  const config = { keys: [{ ...entry }] };
  assert.equal(validate(config), true);
  assert.deepEqual(config.keys[0], entry);
});

test('an unknown key in the policy config is refused', () => {
  assert.deepEqual(errorsOf({ keyHeader: 'x' }), [['', 'additionalProperties']]);
});

test('an unknown key in an entry is refused (a plain `key:` field must never be accepted)', () => {
  assert.deepEqual(errorsOf(withKey({ key: 'pk_AbCd1234EfGh_secret' })), [['/keys/0', 'additionalProperties']]);
});

test('an entry without a hash is refused', () => {
  assert.deepEqual(errorsOf({ keys: [{ id: 'ci', prefix: 'AbCd1234EfGh' }] }), [['/keys/0', 'required']]);
});

test('a hash without the sha256: scheme is refused', () => {
  assert.deepEqual(errorsOf(withKey({ hash: 'ab'.repeat(32) })), [['/keys/0/hash', 'pattern']]);
});

test('a hash in upper-case hex is refused', () => {
  assert.deepEqual(errorsOf(withKey({ hash: `sha256:${'AB'.repeat(32)}` })), [['/keys/0/hash', 'pattern']]);
});

test('a truncated hash is refused', () => {
  assert.deepEqual(errorsOf(withKey({ hash: `sha256:${'ab'.repeat(31)}` })), [['/keys/0/hash', 'pattern']]);
});

test('a prefix shorter than 8 characters is refused', () => {
  assert.deepEqual(errorsOf(withKey({ prefix: 'Ab12345' })), [['/keys/0/prefix', 'pattern']]);
});

test('a prefix with an underscore is refused (it would make the key ambiguous)', () => {
  assert.deepEqual(errorsOf(withKey({ prefix: 'Ab_12345' })), [['/keys/0/prefix', 'pattern']]);
});

test('an id with spaces is refused', () => {
  assert.deepEqual(errorsOf(withKey({ id: 'my client' })), [['/keys/0/id', 'pattern']]);
});

test('an expiresAt without a time zone is refused', () => {
  assert.deepEqual(errorsOf(withKey({ expiresAt: '2027-01-01T00:00:00' })), [['/keys/0/expiresAt', 'format']]);
});

test('an expiresAt that is only a date is refused', () => {
  assert.deepEqual(errorsOf(withKey({ expiresAt: '2027-01-01' })), [['/keys/0/expiresAt', 'format']]);
});

test('an empty routes list is refused (omit it to allow every route)', () => {
  assert.deepEqual(errorsOf(withKey({ routes: [] })), [['/keys/0/routes', 'minItems']]);
});

test('routes given as templates, with or without methods, are accepted', () => {
  assert.equal(validate(withKey({ routes: ['/tasks/{taskId}', 'GET,HEAD /tasks', '/files/*'] })), true);
});

test('a route given by a custom name is refused (only templates can be matched)', () => {
  assert.deepEqual(errorsOf(withKey({ routes: ['list-tasks'] })), [['/keys/0/routes/0', 'pattern']]);
});

test('a route with a lower-case method is refused', () => {
  assert.deepEqual(errorsOf(withKey({ routes: ['get /tasks'] })), [['/keys/0/routes/0', 'pattern']]);
});

test('revoked written as a string is refused', () => {
  assert.deepEqual(errorsOf(withKey({ revoked: 'yes' })), [['/keys/0/revoked', 'type']]);
});

test('a role with a space is refused', () => {
  assert.deepEqual(errorsOf(withKey({ roles: ['a b'] })), [['/keys/0/roles/0', 'pattern']]);
});

test('a header name with a space is refused', () => {
  assert.deepEqual(errorsOf({ header: 'X API Key' }), [['/header', 'pattern']]);
});

test('a query parameter name with = is refused', () => {
  assert.deepEqual(errorsOf({ queryParamNames: ['a=b'] }), [['/queryParamNames/0', 'pattern']]);
});

test('more than 10 000 inline keys are refused', () => {
  const keys = Array.from({ length: 10_001 }, () => ({ id: 'ci', prefix: 'AbCd1234EfGh', hash: HASH }));
  assert.deepEqual(errorsOf({ keys }), [['/keys', 'maxItems']]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf(withKey({ prefix: 'x', hash: 'y' })), [['/keys/0/prefix', 'pattern'], ['/keys/0/hash', 'pattern']]);
});

test('every field is described', () => {
  for (const [name, field] of [...Object.entries(ApiKeySchema.properties), ...Object.entries(ApiKeyEntrySchema.properties)]) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
