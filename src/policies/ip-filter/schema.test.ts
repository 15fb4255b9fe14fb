import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpFilterSchema, MAX_INLINE_ENTRIES } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(IpFilterSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets empty lists', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, { allow: [], deny: [] });
});

test('given values are kept', () => {
  const config = { allow: ['10.0.0.0/8', '2001:db8::/32', '::ffff:10.0.0.0/104'], deny: ['203.0.113.9'], allowFile: 'allow.txt', denyFile: '/etc/portcullis/deny.txt' };
  assert.equal(validate(config), true);
  assert.deepEqual(config, { allow: ['10.0.0.0/8', '2001:db8::/32', '::ffff:10.0.0.0/104'], deny: ['203.0.113.9'], allowFile: 'allow.txt', denyFile: '/etc/portcullis/deny.txt' });
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ block: ['10.0.0.1'] }), [['', 'additionalProperties']]);
});

test('an entry that is not shaped like an address is refused at its index', () => {
  assert.deepEqual(errorsOf({ deny: ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'evil.example'] }), [['/deny/3', 'pattern']]);
});

test('an entry with a zone id or spaces is refused', () => {
  assert.deepEqual(errorsOf({ allow: ['fe80::1%eth0', ' 10.0.0.1'] }), [['/allow/0', 'pattern'], ['/allow/1', 'pattern']]);
});

test('a list that is a string instead of an array is refused', () => {
  assert.deepEqual(errorsOf({ allow: '10.0.0.0/8' }), [['/allow', 'type']]);
});

test('an inline list longer than the bound is refused', () => {
  assert.deepEqual(errorsOf({ deny: Array.from({ length: MAX_INLINE_ENTRIES + 1 }, () => '10.0.0.1') }), [['/deny', 'maxItems']]);
});

test('an empty file name is refused', () => {
  assert.deepEqual(errorsOf({ allowFile: '' }), [['/allowFile', 'minLength']]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf({ allow: ['x'], denyFile: 7 }), [['/allow/0', 'minLength'], ['/allow/0', 'pattern'], ['/denyFile', 'type']]);
});

test('every field is described', () => {
  for (const [name, field] of Object.entries(IpFilterSchema.properties)) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
