import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PropertyLevelSchema, ReadRulesSchema, ReadVariantSchema, WriteRulesSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(PropertyLevelSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('write rules get their defaults: reject, case-insensitive, JSON only, POST/PUT/PATCH', () => {
  const config = { write: { serverOwned: ['id'] } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.write, { serverOwned: ['id'], allowForRoles: {}, onViolation: 'reject', caseInsensitive: true, allowNonJson: false, methods: ['POST', 'PUT', 'PATCH'] });
});

test('read rules get their defaults and apply to every method', () => {
  const config = { read: { remove: ['passwordHash'] } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.read, { remove: ['passwordHash'], mask: {}, perRole: {}, allowNonJson: false });
});

test('a per-role variant gets its defaults', () => {
  const config = { read: { remove: ['passwordHash'], perRole: { admin: {} } } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.read.perRole, { admin: { remove: [], mask: {} } });
});

test('nested paths, arrays and masks are accepted', () => {
  assert.equal(validate({ write: { serverOwned: ['meta.createdBy', 'items[].id', 'matrix[][].id'] }, read: { remove: ['owner.passwordHash', 'items[].secret'], mask: { email: '***', 'owner.email': '' } } }), true);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ writes: {} }), [['', 'additionalProperties']]);
});

test('an unknown key in the write rules is refused', () => {
  assert.deepEqual(errorsOf({ write: { readOnly: ['id'] } }), [['/write', 'additionalProperties']]);
});

test('a path with an empty segment is refused', () => {
  assert.deepEqual(errorsOf({ write: { serverOwned: ['meta..id'] } }), [['/write/serverOwned/0', 'pattern']]);
});

test('a path with a bracket index is refused (only [] is meant)', () => {
  assert.deepEqual(errorsOf({ read: { remove: ['items[0].secret'] } }), [['/read/remove/0', 'pattern']]);
});

test('a path with a space is refused', () => {
  assert.deepEqual(errorsOf({ read: { remove: ['password hash'] } }), [['/read/remove/0', 'pattern']]);
});

test('a repeated path is refused', () => {
  assert.deepEqual(errorsOf({ write: { serverOwned: ['id', 'id'] } }), [['/write/serverOwned', 'uniqueItems']]);
});

test('a mask whose key is not a path is refused', () => {
  assert.deepEqual(errorsOf({ read: { mask: { 'a b': '***' } } }), [['/read/mask', 'additionalProperties']]);
});

test('a mask value that is not a string is refused', () => {
  assert.deepEqual(errorsOf({ read: { mask: { email: null } } }), [['/read/mask/email', 'type']]);
});

test('an unknown key in a per-role variant is refused', () => {
  assert.deepEqual(errorsOf({ read: { perRole: { admin: { remove: [], allowNonJson: true } } } }), [['/read/perRole/admin', 'additionalProperties']]);
});

test('a role name with a space is refused', () => {
  assert.deepEqual(errorsOf({ write: { serverOwned: ['ownerId'], allowForRoles: { 'super admin': ['ownerId'] } } }), [['/write/allowForRoles', 'additionalProperties']]);
});

test('an onViolation other than reject or strip is refused', () => {
  assert.deepEqual(errorsOf({ write: { onViolation: 'ignore' } }), [['/write/onViolation', 'enum']]);
});

test('an empty write methods list is refused', () => {
  assert.deepEqual(errorsOf({ write: { methods: [] } }), [['/write/methods', 'minItems']]);
});

test('allowNonJson given as a string is refused', () => {
  assert.deepEqual(errorsOf({ read: { allowNonJson: 'yes' } }), [['/read/allowNonJson', 'type']]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf({ write: { serverOwned: ['a..b'], onViolation: 'x' }, read: { remove: [''] } }), [
    ['/write/serverOwned/0', 'pattern'],
    ['/write/onViolation', 'enum'],
    ['/read/remove/0', 'minLength'],
    ['/read/remove/0', 'pattern'],
  ]);
});

test('every field is described', () => {
  for (const schema of [PropertyLevelSchema, WriteRulesSchema, ReadRulesSchema, ReadVariantSchema]) {
    for (const [name, field] of Object.entries(schema.properties)) {
      assert.ok(typeof (field as { description?: unknown }).description === 'string', name);
    }
  }
});
