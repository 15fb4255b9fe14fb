import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RbacSchema, RoleSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(RbacSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets every default', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, { require: [], mode: 'all' });
});

test('a role entry gets its defaults', () => {
  const config = { roles: { viewer: {} } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.roles.viewer, { permissions: [], inherits: [] });
});

test('the demo table is accepted as written', () => {
  const config = {
    roles: {
      viewer: { permissions: ['read'] },
      editor: { permissions: ['write'], inherits: ['viewer'] },
      admin: { permissions: ['delete', 'manage_users'], inherits: ['editor'] },
    },
    require: ['delete'],
  };
  assert.equal(validate(config), true);
});

test('a route-level config with only require gets no roles, so it cannot hide the defaults\' table', () => {
  const config = { require: ['tasks:delete', 'users.manage'] };
  assert.equal(validate(config), true);
  assert.deepEqual(config, { require: ['tasks:delete', 'users.manage'], mode: 'all' });
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ requires: ['read'] }), [['', 'additionalProperties']]);
});

test('an unknown key in a role is refused', () => {
  assert.deepEqual(errorsOf({ roles: { viewer: { permission: ['read'] } } }), [['/roles/viewer', 'additionalProperties']]);
});

test('a role name with a space is refused', () => {
  assert.deepEqual(errorsOf({ roles: { 'super user': {} } }), [['/roles', 'additionalProperties']]);
});

test('a role name longer than 128 characters is refused', () => {
  assert.deepEqual(errorsOf({ roles: { [`r${'x'.repeat(128)}`]: {} } }), [['/roles', 'additionalProperties']]);
});

test('permissions given as a string are refused', () => {
  assert.deepEqual(errorsOf({ roles: { viewer: { permissions: 'read' } } }), [['/roles/viewer/permissions', 'type']]);
});

test('a permission with a space is refused', () => {
  assert.deepEqual(errorsOf({ require: ['read all'] }), [['/require/0', 'pattern']]);
});

test('an inherited role name with a space is refused', () => {
  assert.deepEqual(errorsOf({ roles: { editor: { inherits: ['a b'] } } }), [['/roles/editor/inherits/0', 'pattern']]);
});

test('a permission required twice is refused', () => {
  assert.deepEqual(errorsOf({ require: ['read', 'read'] }), [['/require', 'uniqueItems']]);
});

test('more than 30 required permissions are refused', () => {
  assert.deepEqual(errorsOf({ require: Array.from({ length: 31 }, (_, i) => `p${i}`) }), [['/require', 'maxItems']]);
});

test('a mode other than all or any is refused', () => {
  assert.deepEqual(errorsOf({ mode: 'some' }), [['/mode', 'enum']]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf({ mode: 'some', require: ['a b'] }), [['/require/0', 'pattern'], ['/mode', 'enum']]);
});

test('every field is described', () => {
  for (const [name, field] of [...Object.entries(RbacSchema.properties), ...Object.entries(RoleSchema.properties)]) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
