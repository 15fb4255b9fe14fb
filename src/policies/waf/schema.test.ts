import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from '@sinclair/typebox';
import { schemaValidator } from '../test-helpers.js';
import { RULE_CLASSES } from './detector.js';
import { WafClassesSchema, WafSchema } from './schema.js';

const validate = schemaValidator(WafSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets every default', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, {
    mode: 'block',
    paranoia: 1,
    threshold: 5,
    classes: Object.fromEntries(RULE_CLASSES.map((c) => [c, { enabled: true }])),
    inspect: { path: true, query: true, headers: ['user-agent', 'referer'], cookies: true, body: true, otherBodies: 'text', maxValues: 2000, maxValueLength: 8192, maxTotalLength: 262_144, maxDepth: 32 },
    exclusions: [],
  });
});

test('a class setting gets enabled true by default', () => {
  const config = { classes: { sqli: { threshold: 3 } } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.classes.sqli, { enabled: true, threshold: 3 });
});

test('the classes are exactly the rule classes', () => {
  assert.deepEqual(Object.keys(WafClassesSchema.properties).sort(), [...RULE_CLASSES].sort());
});

test('an unknown class is refused', () => {
  assert.deepEqual(errorsOf({ classes: { rce: {} } }), [['/classes', 'additionalProperties']]);
});

test('an unknown mode is refused', () => {
  assert.deepEqual(errorsOf({ mode: 'log' }), [['/mode', 'enum']]);
});

test('paranoia 5 is refused', () => {
  assert.deepEqual(errorsOf({ paranoia: 5 }), [['/paranoia', 'maximum']]);
});

test('threshold 0 is refused', () => {
  assert.deepEqual(errorsOf({ threshold: 0 }), [['/threshold', 'minimum']]);
});

test('a class threshold 0 is refused', () => {
  assert.deepEqual(errorsOf({ classes: { xss: { threshold: 0 } } }), [['/classes/xss/threshold', 'minimum']]);
});

test('a header name with a space is refused', () => {
  assert.deepEqual(errorsOf({ inspect: { headers: ['user agent'] } }), [['/inspect/headers/0', 'pattern']]);
});

test('maxValueLength below 64 is refused', () => {
  assert.deepEqual(errorsOf({ inspect: { maxValueLength: 10 } }), [['/inspect/maxValueLength', 'minimum']]);
});

test('an exclusion needs a location and a field', () => {
  assert.deepEqual(errorsOf({ exclusions: [{}] }), [['/exclusions/0', 'required'], ['/exclusions/0', 'required']]);
});

test('an exclusion at an unknown location is refused', () => {
  assert.deepEqual(errorsOf({ exclusions: [{ location: 'json', field: '/a' }] }), [['/exclusions/0/location', 'enum']]);
});

test('an exclusion of an unknown class is refused', () => {
  assert.deepEqual(errorsOf({ exclusions: [{ location: 'query', field: 'a', classes: ['rce'] }] }), [['/exclusions/0/classes/0', 'enum']]);
});

test('an exclusion with an empty class list is refused', () => {
  assert.deepEqual(errorsOf({ exclusions: [{ location: 'query', field: 'a', classes: [] }] }), [['/exclusions/0/classes', 'minItems']]);
});

test('every field is described', () => {
  const walk = (schema: TSchema, path: string): void => {
    assert.ok(typeof schema.description === 'string' && schema.description.length > 0, path);
    const props = (schema as { properties?: Record<string, TSchema> }).properties;
    for (const [name, field] of Object.entries(props ?? {})) walk(field, `${path}.${name}`);
    const items = (schema as { items?: TSchema }).items;
    if (items !== undefined) walk(items, `${path}[]`);
  };
  walk(WafSchema, 'waf');
});
