import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorsSchema, MAX_AGE_LIMIT } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(CorsSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets every default', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, { origins: [], originPatterns: [], allowNull: false, methods: ['GET', 'HEAD', 'POST'], allowedHeaders: [], exposedHeaders: [], credentials: false, maxAgeSec: 600 });
});

test('given values are kept as written (normalising is compile\'s job)', () => {
  const config = { origins: ['HTTPS://App.Example.com:443/'], originPatterns: ['https://*.example.com'], allowNull: true, methods: ['PUT'], allowedHeaders: ['Authorization', '*'], exposedHeaders: ['X-RateLimit-Remaining'], credentials: true, maxAgeSec: 0 };
  assert.equal(validate(config), true);
  assert.deepEqual(config.origins, ['HTTPS://App.Example.com:443/']);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ allowOrigins: ['https://a.example'] }), [['', 'additionalProperties']]);
});

test('OPTIONS and lower-case methods are refused', () => {
  assert.deepEqual(errorsOf({ methods: ['OPTIONS', 'put'] }), [['/methods/0', 'enum'], ['/methods/1', 'enum']]);
});

test('an empty method list is refused', () => {
  assert.deepEqual(errorsOf({ methods: [] }), [['/methods', 'minItems']]);
});

test('a header name with a space is refused', () => {
  assert.deepEqual(errorsOf({ allowedHeaders: ['x custom'] }), [['/allowedHeaders/0', 'pattern'], ['/allowedHeaders/0', 'const'], ['/allowedHeaders/0', 'anyOf']]);
});

test('a repeated origin is refused', () => {
  assert.deepEqual(errorsOf({ origins: ['https://a.example', 'https://a.example'] }), [['/origins', 'uniqueItems']]);
});

test('an empty origin is refused', () => {
  assert.deepEqual(errorsOf({ origins: [''] }), [['/origins/0', 'minLength']]);
});

test('maxAgeSec is bounded', () => {
  assert.deepEqual(errorsOf({ maxAgeSec: MAX_AGE_LIMIT + 1 }), [['/maxAgeSec', 'maximum']]);
  assert.deepEqual(errorsOf({ maxAgeSec: -1 }), [['/maxAgeSec', 'minimum']]);
});

test('credentials must be a boolean', () => {
  assert.deepEqual(errorsOf({ credentials: 'true', allowNull: 1 }), [['/allowNull', 'type'], ['/credentials', 'type']]);
});

test('every field is described', () => {
  for (const [name, field] of Object.entries(CorsSchema.properties)) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
