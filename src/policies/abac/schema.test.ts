import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbacSchema, BusinessHoursSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(AbacSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

const CONDITION = 'user.department == resource.department';

test('a condition alone is a complete config and gets every default', () => {
  const config = { condition: CONDITION };
  assert.equal(validate(config), true);
  assert.deepEqual(config, {
    condition: CONDITION,
    timeZone: 'UTC',
    businessHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
    resource: {},
    denyAs: 'forbidden',
  });
});

test('a complete config is kept as given', () => {
  const config = { condition: CONDITION, timeZone: 'Europe/Berlin', businessHours: { days: [0, 6], start: '10:00', end: '24:00' }, resource: { classification: 2, owner: 'alice', public: false, tags: ['a'] }, denyAs: 'not_found' };
  const copy = structuredClone(config);
  assert.equal(validate(config), true);
  assert.deepEqual(config, copy);
});

test('a config without a condition is refused', () => {
  assert.deepEqual(errorsOf({}), [['', 'required']]);
});

test('an empty condition is refused', () => {
  assert.deepEqual(errorsOf({ condition: '' }), [['/condition', 'minLength']]);
});

test('a condition longer than 4096 characters is refused', () => {
  assert.deepEqual(errorsOf({ condition: `true${' && true'.repeat(600)}` }), [['/condition', 'maxLength']]);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, expression: 'true' }), [['', 'additionalProperties']]);
});

test('a denyAs other than forbidden or not_found is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, denyAs: 'hide' }), [['/denyAs', 'enum']]);
});

test('a business-hours start without a leading zero is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, businessHours: { start: '9:00' } }), [['/businessHours/start', 'pattern']]);
});

test('a business-hours end of 24:30 is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, businessHours: { end: '24:30' } }), [['/businessHours/end', 'pattern']]);
});

test('a day of the week 7 is refused (0 is Sunday)', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, businessHours: { days: [7] } }), [['/businessHours/days/0', 'maximum']]);
});

test('an unknown key in businessHours is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, businessHours: { timeZone: 'UTC' } }), [['/businessHours', 'additionalProperties']]);
});

test('a resource attribute name that is not a CEL identifier is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, resource: { 'data-class': 2 } }), [['/resource', 'additionalProperties']]);
});

test('a resource attribute that is an object is refused', () => {
  assert.deepEqual(errorsOf({ condition: CONDITION, resource: { owner: { id: 'alice' } } }), [
    ['/resource/owner', 'type'], ['/resource/owner', 'type'], ['/resource/owner', 'type'], ['/resource/owner', 'type'], ['/resource/owner', 'anyOf'],
  ]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf({ condition: '', denyAs: 'hide' }), [['/condition', 'minLength'], ['/denyAs', 'enum']]);
});

test('every field is described', () => {
  for (const [name, field] of [...Object.entries(AbacSchema.properties), ...Object.entries(BusinessHoursSchema.properties)]) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
