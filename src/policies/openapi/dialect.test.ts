import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMarked, normaliseSchema, SchemaError, type NormaliseOptions } from './dialect.js';
import { compileSchema, createValidatorAjv } from './validators.js';

const BASE: NormaliseOptions = { dialect: '3.1', components: {}, direction: 'request', closeObjects: false, knownFormats: new Set(['date', 'email']) };

function norm(schema: unknown, options: Partial<NormaliseOptions> = {}): unknown {
  return normaliseSchema(schema, { ...BASE, ...options }).schema;
}

function valid(schema: unknown, value: unknown, options: Partial<Omit<NormaliseOptions, 'knownFormats'>> = {}): boolean {
  const { validate } = compileSchema(createValidatorAjv(), schema, { ...BASE, ...options });
  return validate(value);
}

// ── keywords ─────────────────────────────────────────────────────────────────

test('annotations, OpenAPI-only keywords and extensions are dropped', () => {
  assert.deepEqual(norm({ type: 'string', description: 'd', example: 'x', examples: ['y'], xml: { name: 'a' }, externalDocs: { url: 'u' }, 'x-internal': true, deprecated: true }), { type: 'string' });
});

test('discriminator is dropped and the oneOf still decides', () => {
  const schema = { oneOf: [{ type: 'string' }, { type: 'integer' }], discriminator: { propertyName: 'kind' } };
  assert.deepEqual([valid(schema, 'a'), valid(schema, true)], [true, false]);
});

test('a 3.1 schema with OpenAPI keywords compiles in Ajv strict mode', () => {
  assert.equal(valid({ type: 'object', properties: { a: { type: 'string', example: 'x', 'x-foo': 1 } }, discriminator: { propertyName: 'a' } }, { a: 'x' }), true);
});

test('enum and const values are copied as data, not walked as schemas', () => {
  assert.deepEqual(norm({ enum: [{ description: 'kept', example: 1 }], const: { type: 'x' } }), { enum: [{ description: 'kept', example: 1 }], const: { type: 'x' } });
});

test('$dynamicRef is refused at load', () => {
  assert.throws(() => norm({ $dynamicRef: '#node' }), (e: unknown) => e instanceof SchemaError && e.where === '/$dynamicRef');
});

test('an array given as items is refused with its pointer', () => {
  assert.throws(() => norm({ properties: { a: { items: [{}] } } }), (e: unknown) => e instanceof SchemaError && e.where === '/properties/a/items');
});

test('a schema nested deeper than the bound is refused', () => {
  let schema: unknown = { type: 'string' };
  for (let i = 0; i < 70; i++) schema = { items: schema };
  assert.throws(() => norm(schema), (e: unknown) => e instanceof SchemaError && /deeper/.test(e.message));
});

// ── 3.0 ──────────────────────────────────────────────────────────────────────

test('3.0 nullable becomes a type array', () => {
  assert.deepEqual(norm({ type: 'string', nullable: true }, { dialect: '3.0' }), { type: ['string', 'null'] });
});

test('3.0 nullable adds null to an enum', () => {
  assert.equal(valid({ type: 'string', enum: ['a'], nullable: true }, null, { dialect: '3.0' }), true);
});

test('3.0 without nullable refuses null', () => {
  assert.equal(valid({ type: 'string' }, null, { dialect: '3.0' }), false);
});

test('3.0 nullable without a type has no effect (3.0.3)', () => {
  assert.deepEqual(norm({ nullable: true, minLength: 1 }, { dialect: '3.0' }), { minLength: 1 });
});

test('3.1 ignores nullable (not a 2020-12 keyword)', () => {
  assert.equal(valid({ type: 'string', nullable: true }, null), false);
});

test('3.0 boolean exclusiveMinimum takes the minimum', () => {
  assert.deepEqual(norm({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false }, { dialect: '3.0' }), { type: 'number', exclusiveMinimum: 0, maximum: 10 });
});

test('3.0 exclusiveMaximum refuses the bound itself', () => {
  assert.deepEqual([valid({ maximum: 10, exclusiveMaximum: true }, 10, { dialect: '3.0' }), valid({ maximum: 10, exclusiveMaximum: true }, 9, { dialect: '3.0' })], [false, true]);
});

test('3.0 ignores the siblings of a $ref', () => {
  const components = { Name: { type: 'string' } };
  assert.equal(valid({ $ref: '#/components/schemas/Name', maxLength: 1 }, 'long', { dialect: '3.0', components }), true);
});

// ── formats ──────────────────────────────────────────────────────────────────

test('an unknown format is dropped and reported', () => {
  const out = normaliseSchema({ type: 'string', format: 'isbn' }, BASE);
  assert.deepEqual([out.schema, out.unknownFormats], [{ type: 'string' }, ['isbn']]);
});

test('known formats are checked', () => {
  assert.deepEqual([valid({ type: 'string', format: 'date' }, '2026-02-30'), valid({ type: 'string', format: 'date' }, '2026-02-28')], [false, true]);
});

// ── direction ────────────────────────────────────────────────────────────────

const TASK = { type: 'object', required: ['id', 'title'], properties: { id: { type: 'string', readOnly: true }, title: { type: 'string' }, password: { type: 'string', writeOnly: true } } };

test('a request may not set a readOnly property', () => {
  assert.equal(valid(TASK, { id: 'x', title: 't' }), false);
});

test('a readOnly property is not required in a request', () => {
  assert.equal(valid(TASK, { title: 't', password: 'p' }), true);
});

test('a response may carry readOnly properties but not writeOnly ones', () => {
  assert.deepEqual([valid(TASK, { id: 'x', title: 't' }, { direction: 'response' }), valid(TASK, { id: 'x', title: 't', password: 'p' }, { direction: 'response' })], [true, false]);
});

test('readOnly is found through a component $ref and allOf', () => {
  const components = { Id: { type: 'string', readOnly: true } };
  assert.deepEqual([isMarked({ $ref: '#/components/schemas/Id' }, 'readOnly', components), isMarked({ allOf: [{ $ref: '#/components/schemas/Id' }] }, 'readOnly', components)], [true, true]);
});

test('readOnly inside not is left alone (forbidding there would invert it)', () => {
  assert.deepEqual(norm({ not: { properties: { id: { readOnly: true, type: 'string' } } } }), { not: { properties: { id: { type: 'string' } } } });
});

// ── closing objects ──────────────────────────────────────────────────────────

test('closing adds unevaluatedProperties false to objects that declare properties', () => {
  assert.deepEqual(norm({ type: 'object', properties: { a: { type: 'string' } } }, { closeObjects: true }), { type: 'object', properties: { a: { type: 'string' } }, unevaluatedProperties: false });
});

test('closing leaves schemas that say additionalProperties alone', () => {
  assert.equal(valid({ properties: { a: {} }, additionalProperties: true }, { b: 1 }, { closeObjects: true }), true);
});

test('closing leaves free-form objects (no properties) open', () => {
  assert.equal(valid({ type: 'object' }, { b: 1 }, { closeObjects: true }), true);
});

test('closing works with allOf: members stay open, the whole is closed', () => {
  const schema = { allOf: [{ properties: { a: { type: 'string' } } }, { properties: { b: { type: 'string' } } }] };
  assert.deepEqual([valid(schema, { a: 'x', b: 'y' }, { closeObjects: true }), valid(schema, { a: 'x', c: 'z' }, { closeObjects: true })], [true, false]);
});

test('closing reaches nested objects and array items', () => {
  const schema = { properties: { tags: { type: 'array', items: { properties: { name: {} } } } } };
  assert.equal(valid(schema, { tags: [{ name: 'a', extra: 1 }] }, { closeObjects: true }), false);
});

test('without closing undeclared properties pass', () => {
  assert.equal(valid({ properties: { a: {} } }, { b: 1 }), true);
});

// ── components ───────────────────────────────────────────────────────────────

const TREE = { Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } } };

test('a recursive component is validated through $defs', () => {
  assert.deepEqual([valid({ $ref: '#/components/schemas/Node' }, { name: 'a', children: [{ name: 'b', children: [] }] }, { components: TREE }), valid({ $ref: '#/components/schemas/Node' }, { children: [{ name: 1 }] }, { components: TREE })], [true, false]);
});

test('a recursive component is closed at every level when asked', () => {
  assert.equal(valid({ $ref: '#/components/schemas/Node' }, { children: [{ name: 'b', extra: true }] }, { components: TREE, closeObjects: true }), false);
});

test('a component used as an allOf member stays open inside a closed whole', () => {
  const components = { Base: { properties: { id: { type: 'string' } } } };
  const schema = { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { title: { type: 'string' } } }] };
  assert.deepEqual([valid(schema, { id: 'a', title: 't' }, { components, closeObjects: true }), valid(schema, { id: 'a', x: 1 }, { components, closeObjects: true })], [true, false]);
});

test('a reference to a component the document lacks is refused', () => {
  assert.throws(() => norm({ $ref: '#/components/schemas/Missing' }), (e: unknown) => e instanceof SchemaError && e.where === '/$ref');
});

test('component names with / and ~ are escaped in the rewritten pointer', () => {
  assert.equal(valid({ $ref: '#/components/schemas/a~1b~0c' }, 5, { components: { 'a/b~c': { type: 'integer' } } }), true);
});

test('a readOnly property declared in one allOf member is not required by another', () => {
  const components = { Base: { properties: { id: { type: 'string', readOnly: true } } } };
  const schema = { allOf: [{ $ref: '#/components/schemas/Base' }, { required: ['id', 'title'], properties: { title: { type: 'string' } } }] };
  assert.deepEqual([valid(schema, { title: 't' }, { components }), valid(schema, { id: 'x', title: 't' }, { components })], [true, false]);
});
