import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SizeLimitSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(SizeLimitSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets every default', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, { maxBodyBytes: 1_048_576, maxUrlLength: 8192, maxQueryParams: 256 });
});

test('given values are kept', () => {
  const config = { maxBodyBytes: 0, maxUrlLength: 1, maxQueryParams: 0 };
  assert.equal(validate(config), true);
  assert.deepEqual(config, { maxBodyBytes: 0, maxUrlLength: 1, maxQueryParams: 0 });
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ maxBody: 10 }), [['', 'additionalProperties']]);
});

test('a negative maxBodyBytes is refused', () => {
  assert.deepEqual(errorsOf({ maxBodyBytes: -1 }), [['/maxBodyBytes', 'minimum']]);
});

test('a fractional maxBodyBytes is refused', () => {
  assert.deepEqual(errorsOf({ maxBodyBytes: 1.5 }), [['/maxBodyBytes', 'type']]);
});

test('a size written as a string is refused', () => {
  assert.deepEqual(errorsOf({ maxBodyBytes: '1mb' }), [['/maxBodyBytes', 'type']]);
});

test('maxUrlLength 0 is refused', () => {
  assert.deepEqual(errorsOf({ maxUrlLength: 0 }), [['/maxUrlLength', 'minimum']]);
});

test('maxUrlLength above 1 MiB is refused', () => {
  assert.deepEqual(errorsOf({ maxUrlLength: 1_048_577 }), [['/maxUrlLength', 'maximum']]);
});

test('a negative maxQueryParams is refused', () => {
  assert.deepEqual(errorsOf({ maxQueryParams: -1 }), [['/maxQueryParams', 'minimum']]);
});

test('every mistake is reported, not just the first', () => {
  assert.deepEqual(errorsOf({ maxBodyBytes: -1, maxUrlLength: 0 }), [['/maxBodyBytes', 'minimum'], ['/maxUrlLength', 'minimum']]);
});

test('every field is described', () => {
  for (const [name, field] of Object.entries(SizeLimitSchema.properties)) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
