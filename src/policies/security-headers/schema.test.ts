import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecurityHeadersSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(SecurityHeadersSchema);

function valid(config: Record<string, unknown>): Record<string, unknown> {
  assert.equal(validate(config), true, JSON.stringify(validate.errors));
  return config;
}

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets every default', () => {
  assert.deepEqual(valid({}), {
    hsts: { maxAge: 31_536_000, includeSubDomains: true, preload: false },
    contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
    referrerPolicy: 'no-referrer',
    frameOptions: 'DENY',
    crossOriginResourcePolicy: 'same-origin',
    removeHeaders: [],
    noStoreWhenAuthenticated: true,
  });
});

test('two configs validated in turn do not share the default hsts object', () => {
  const a = valid({});
  const b = valid({});
  assert.notEqual(a.hsts, b.hsts);
});

test('hsts false is accepted', () => {
  assert.equal(valid({ hsts: false }).hsts, false);
});

test('a partial hsts object is accepted as given (compile fills the rest)', () => {
  assert.deepEqual(valid({ hsts: { preload: true } }).hsts, { preload: true });
});

test('hsts true is refused', () => {
  assert.deepEqual(errorsOf({ hsts: true }), [['/hsts', 'type'], ['/hsts', 'const'], ['/hsts', 'anyOf']]);
});

test('a negative hsts.maxAge is refused', () => {
  assert.deepEqual(errorsOf({ hsts: { maxAge: -1 } }), [['/hsts/maxAge', 'minimum'], ['/hsts', 'type'], ['/hsts', 'const'], ['/hsts', 'anyOf']]);
});

test('an unknown key inside hsts is refused', () => {
  assert.deepEqual(errorsOf({ hsts: { max_age: 1 } }), [['/hsts', 'additionalProperties'], ['/hsts', 'type'], ['/hsts', 'const'], ['/hsts', 'anyOf']]);
});

test('contentSecurityPolicy false is accepted', () => {
  assert.equal(valid({ contentSecurityPolicy: false }).contentSecurityPolicy, false);
});

test('an empty contentSecurityPolicy is accepted', () => {
  assert.equal(valid({ contentSecurityPolicy: '' }).contentSecurityPolicy, '');
});

test('a contentSecurityPolicy with a line break is refused', () => {
  assert.deepEqual(errorsOf({ contentSecurityPolicy: "default-src 'none'\r\nset-cookie: a=b" }), [['/contentSecurityPolicy', 'pattern'], ['/contentSecurityPolicy', 'type'], ['/contentSecurityPolicy', 'const'], ['/contentSecurityPolicy', 'anyOf']]);
});

test('an unknown referrerPolicy token is refused', () => {
  const errors = errorsOf({ referrerPolicy: 'never' });
  assert.deepEqual(errors.at(-1), ['/referrerPolicy', 'anyOf']);
  assert.ok(errors.every(([path]) => path === '/referrerPolicy'));
});

test('frameOptions in lower case is refused', () => {
  assert.deepEqual(errorsOf({ frameOptions: 'deny' }).at(-1), ['/frameOptions', 'anyOf']);
});

test('an unknown crossOriginResourcePolicy is refused', () => {
  assert.deepEqual(errorsOf({ crossOriginResourcePolicy: 'none' }).at(-1), ['/crossOriginResourcePolicy', 'anyOf']);
});

test('a removeHeaders entry that is not a header name is refused at its index', () => {
  assert.deepEqual(errorsOf({ removeHeaders: ['x-ok', 'bad name'] }), [['/removeHeaders/1', 'pattern']]);
});

test('noStoreWhenAuthenticated as a string is refused', () => {
  assert.deepEqual(errorsOf({ noStoreWhenAuthenticated: 'yes' }), [['/noStoreWhenAuthenticated', 'type']]);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ csp: "default-src 'none'" }), [['', 'additionalProperties']]);
});

test('every field is described', () => {
  for (const [name, field] of Object.entries(SecurityHeadersSchema.properties)) {
    assert.ok(typeof field.description === 'string' && field.description.length > 0, name);
  }
});
