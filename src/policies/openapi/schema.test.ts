import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenApiSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(OpenApiSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets every default (both directions enforced)', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, { request: 'enforce', response: 'enforce', rejectUnknownProperties: 'writes', rejectUnknownQueryParams: false, maxQueryPairs: 256, maxViolations: 20, checkResponseContentType: true, json: {} });
});

test('given values are kept', () => {
  const config = { request: 'monitor', response: 'off', rejectUnknownProperties: 'always', rejectUnknownQueryParams: true, maxQueryPairs: 10, maxViolations: 5, checkResponseContentType: false, json: { maxDepth: 8 } };
  assert.equal(validate(structuredClone(config)), true);
});

test('an unknown mode is refused', () => {
  assert.deepEqual(errorsOf({ response: 'warn' }), [['/response', 'enum']]);
});

test('an unknown rejectUnknownProperties value is refused', () => {
  assert.deepEqual(errorsOf({ rejectUnknownProperties: true }), [['/rejectUnknownProperties', 'type'], ['/rejectUnknownProperties', 'enum']]);
});

test('maxViolations 0 is refused', () => {
  assert.deepEqual(errorsOf({ maxViolations: 0 }), [['/maxViolations', 'minimum']]);
});

test('an unknown key in json is refused', () => {
  assert.deepEqual(errorsOf({ json: { depth: 3 } }), [['/json', 'additionalProperties']]);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ validateResponses: true }), [['', 'additionalProperties']]);
});

test('every field is described', () => {
  for (const [name, field] of Object.entries(OpenApiSchema.properties)) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
