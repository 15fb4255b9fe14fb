import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, type ConfigPath } from '../../core/config-error.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy from './index.js';
import { IntrospectionSchema } from './schema.js';
import { introspectionConfig } from './test-helpers.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(IntrospectionSchema);
const MINIMAL = { endpoint: 'https://idp.test/introspect', clientId: 'gateway', clientSecretEnv: 'INTROSPECTION_SECRET' };

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

function compileError(partial: Record<string, unknown>): [ConfigPath, string] {
  try {
    void policy.compile(introspectionConfig(partial), compileEnvFor(policy)).close?.();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [error.issues[0]!.path, error.issues[0]!.message];
  }
  assert.fail('expected a ConfigError');
}

function warningsOf(partial: Record<string, unknown>): ConfigPath[] {
  const warnings: ConfigPath[] = [];
  void policy.compile(introspectionConfig(partial), compileEnvFor(policy, { warn: (path) => warnings.push(path) })).close?.();
  return warnings;
}

test('endpoint, clientId and a secret source are a complete config; the rest is defaulted', () => {
  const config: Record<string, unknown> = { ...MINIMAL };
  assert.equal(validate(config), true);
  assert.deepEqual(config, {
    ...MINIMAL,
    claims: { subject: 'sub', roles: 'roles', scopes: 'scope', clientId: 'client_id', attributes: {}, kind: { serviceValues: [] } },
    onlyOpaque: true,
    failureMode: 'closed',
    timeoutMs: 2000,
    maxResponseBytes: 65_536,
    maxTokenBytes: 8192,
    cacheTtlSec: 60,
    negativeCacheTtlSec: 5,
    cacheMaxEntries: 10_000,
    clockToleranceSec: 30,
  });
});

test('endpoint and clientId are required', () => {
  assert.deepEqual(errorsOf({ clientSecretEnv: 'X' }), [['', 'required'], ['', 'required']]);
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, secret: 'x' }), [['', 'additionalProperties']]);
});

test('an endpoint that is not an http(s) URL is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, endpoint: 'ftp://idp.test/introspect' }), [['/endpoint', 'pattern']]);
});

test('clientSecretEnv must be an environment variable name', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, clientSecretEnv: 'MY-SECRET' }), [['/clientSecretEnv', 'pattern']]);
});

test('failureMode is closed or open', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, failureMode: 'allow' }), [['/failureMode', 'enum']]);
});

test('cacheTtlSec is bounded to an hour', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, cacheTtlSec: 3601 }), [['/cacheTtlSec', 'maximum']]);
});

test('a realm with a quote is refused (it goes into a quoted-string)', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, realm: 'a"b' }), [['/realm', 'pattern']]);
});

test('neither clientSecret nor clientSecretEnv is refused at compile', () => {
  assert.deepEqual(compileError({ endpoint: MINIMAL.endpoint, clientId: 'gateway' }), [[], 'set exactly one of clientSecretEnv (preferred) and clientSecret']);
});

test('both clientSecret and clientSecretEnv is refused at compile', () => {
  assert.deepEqual(compileError({ ...MINIMAL, clientSecret: 'literal' }), [[], 'set exactly one of clientSecretEnv (preferred) and clientSecret']);
});

test('an endpoint with credentials in it is refused at compile', () => {
  assert.deepEqual(compileError({ ...MINIMAL, endpoint: 'https://user:pass@idp.test/introspect' }), [['endpoint'], 'must not carry credentials: use clientId and clientSecretEnv']);
});

test('a literal clientSecret is accepted with a warning', () => {
  assert.deepEqual(warningsOf({ endpoint: MINIMAL.endpoint, clientId: 'gateway', clientSecret: 'literal' }), [['clientSecret']]);
});

test('an unset clientSecretEnv variable is a warning at compile; ready() rejects; tokens get 503', async () => {
  delete process.env.INTROSPECTION_SECRET;
  assert.deepEqual(warningsOf(MINIMAL), [['clientSecretEnv']]);
  const compiled = policy.compile(introspectionConfig(MINIMAL), compileEnvFor(policy));
  await assert.rejects(compiled.ready!(), /INTROSPECTION_SECRET is not set/);
  const outcome = await compiled.authenticate!(fakeContext({ headers: { authorization: 'Bearer opaque-token' } }));
  assert.ok(outcome !== undefined && 'reason' in outcome);
  assert.deepEqual([outcome.reason, outcome.denial.status], ['introspection_secret_missing', 503]);
});

test('a plain http endpoint off loopback is a warning; on loopback (a local identity provider) it is not', () => {
  process.env.INTROSPECTION_SECRET = 's';
  try {
    assert.deepEqual(warningsOf({ ...MINIMAL, endpoint: 'http://idp.internal/introspect' }), [['endpoint']]);
    assert.deepEqual(warningsOf({ ...MINIMAL, endpoint: 'http://localhost:9000/token/introspection' }), []);
  } finally {
    delete process.env.INTROSPECTION_SECRET;
  }
});

test('every field is described', () => {
  const visit = (schema: TSchema, path: string) => {
    assert.ok(typeof schema.description === 'string' && schema.description.length > 0, path);
    for (const [name, field] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) visit(field, `${path}.${name}`);
  };
  visit(IntrospectionSchema, 'introspection');
});
