import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSchema, createValidatorAjv, MAX_POINTER_LENGTH, ViolationList } from './validators.js';

function violations(schema: unknown, value: unknown): string[] {
  const { validate } = compileSchema(createValidatorAjv(), schema, { dialect: '3.1', components: {}, direction: 'request', closeObjects: false });
  const list = new ViolationList(50);
  if (!validate(value)) list.addAjvErrors(validate.errors, (p) => ['body', p]);
  return list.items.map((v) => `${v.pointer}: ${v.reason}`);
}

test('a failed anyOf is one violation, not one per branch', () => {
  assert.deepEqual(violations({ properties: { a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } }, { a: true }), ['/a: must match at least one of the documented schemas']);
});

test('a failed oneOf is one violation', () => {
  assert.deepEqual(violations({ oneOf: [{ type: 'string', maxLength: 1 }, { type: 'string', minLength: 5 }] }, 'abc'), [': must match exactly one of the documented schemas']);
});

test('if/then reports the then keyword that failed, not the if', () => {
  assert.deepEqual(violations({ if: { properties: { kind: { const: 'a' } } }, then: { required: ['x'] } }, { kind: 'a' }), ['/x: is required']);
});

test('reasons name the limits of the schema', () => {
  assert.deepEqual(violations({ properties: { n: { type: 'integer', minimum: 1, multipleOf: 2 }, tags: { type: 'array', maxItems: 1, uniqueItems: true } } }, { n: -1, tags: ['a', 'a'] }),
    ['/n: must be at least 1', '/n: must be a multiple of 2', '/tags: must have at most 1 item', '/tags: must not contain duplicate items']);
});

test('a type array is named in words', () => {
  assert.deepEqual(violations({ type: ['string', 'null'] }, 1), [': must be of type string or null']);
});

test('the same violation is listed once', () => {
  const list = new ViolationList(10);
  list.add('query', '/a', 'is required');
  list.add('query', '/a', 'is required');
  assert.deepEqual([list.count, list.items.length], [1, 1]);
});

test('violations past the bound are counted but not listed', () => {
  const list = new ViolationList(2);
  for (const p of ['/a', '/b', '/c']) list.add('body', p, 'unknown property');
  assert.deepEqual([list.count, list.items.map((v) => v.pointer)], [3, ['/a', '/b']]);
});

test('a long pointer (an attacker\'s property name) is clipped', () => {
  const list = new ViolationList(2);
  list.add('body', `/${'k'.repeat(1000)}`, 'unknown property');
  assert.equal(list.items[0]?.pointer.length, MAX_POINTER_LENGTH);
});

test('a failed oneOf over components is one violation, not the components\' errors', () => {
  const components = { Cat: { type: 'object', required: ['meow'] }, Dog: { type: 'object', required: ['bark'] } };
  const { validate } = compileSchema(createValidatorAjv(), { properties: { name: { type: 'string' }, pet: { oneOf: [{ $ref: '#/components/schemas/Cat' }, { $ref: '#/components/schemas/Dog' }] } } }, { dialect: '3.1', components, direction: 'request', closeObjects: false });
  const list = new ViolationList(50);
  assert.equal(validate({ name: 1, pet: {} }), false);
  list.addAjvErrors(validate.errors, (p) => ['body', p]);
  assert.deepEqual(list.items.map((v) => `${v.pointer}: ${v.reason}`), ['/name: must be of type string', '/pet: must match exactly one of the documented schemas']);
});

test('Ajv errors past the bound are counted, not listed', () => {
  const { validate } = compileSchema(createValidatorAjv(), { type: 'array', items: { type: 'integer' } }, { dialect: '3.1', components: {}, direction: 'request', closeObjects: false });
  const list = new ViolationList(5);
  assert.equal(validate(Array.from({ length: 1500 }, () => 'x')), false);
  list.addAjvErrors(validate.errors, (p) => ['body', p]);
  assert.deepEqual([list.count, list.items.length], [1500, 5]);
});
