import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SsrfSchema, UrlFieldSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(SsrfSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

const URL_FIELD = { in: 'body', name: '/url' };

test('one field is a complete config and gets every default', () => {
  const config = { fields: [URL_FIELD] };
  assert.equal(validate(config), true);
  assert.deepEqual(config, { fields: [URL_FIELD], schemes: ['https'], ports: [443], allowHosts: [], resolve: true, timeoutMs: 2000, required: false, maxUrls: 10 });
});

test('fields are required and may not be empty', () => {
  assert.deepEqual([errorsOf({}), errorsOf({ fields: [] })], [[['', 'required']], [['/fields', 'minItems']]]);
});

test('a field in an unknown place is refused', () => {
  assert.deepEqual(errorsOf({ fields: [{ in: 'cookie', name: 'u' }] }), [['/fields/0/in', 'enum']]);
});

test('a field without a name, or with an unknown key, is refused', () => {
  assert.deepEqual(errorsOf({ fields: [{ in: 'query' }, { in: 'query', name: 'u', kind: 'url' }] }), [['/fields/0', 'required'], ['/fields/1', 'additionalProperties']]);
});

test('a scheme other than http or https is refused', () => {
  assert.deepEqual(errorsOf({ fields: [URL_FIELD], schemes: ['gopher'] }), [['/schemes/0', 'enum']]);
});

test('port 0 and ports above 65535 are refused', () => {
  assert.deepEqual(errorsOf({ fields: [URL_FIELD], ports: [0, 65536] }), [['/ports/0', 'minimum'], ['/ports/1', 'maximum']]);
});

test('allowHosts takes names and dotted suffixes, lower case, nothing else', () => {
  assert.equal(validate({ fields: [URL_FIELD], allowHosts: ['hooks.slack.com', '.example.com', 'xn--bcher-kva.example'] }), true);
  assert.deepEqual(errorsOf({ fields: [URL_FIELD], allowHosts: ['*.example.com', 'Example.com', 'https://a.example'] }), [['/allowHosts/0', 'pattern'], ['/allowHosts/1', 'pattern'], ['/allowHosts/2', 'pattern']]);
});

test('timeoutMs above 30 s and maxUrls above 100 are refused', () => {
  assert.deepEqual(errorsOf({ fields: [URL_FIELD], timeoutMs: 30_001, maxUrls: 101 }), [['/timeoutMs', 'maximum'], ['/maxUrls', 'maximum']]);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ fields: [URL_FIELD], follow: true }), [['', 'additionalProperties']]);
});

test('every field is described', () => {
  for (const schema of [SsrfSchema, UrlFieldSchema]) {
    for (const [name, field] of Object.entries(schema.properties)) {
      const description = (field as { description?: unknown }).description;
      assert.ok(typeof description === 'string' && description.length > 0, name);
    }
  }
});
