import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, type ConfigPath } from '../../core/config-error.js';
import { compileEnvFor } from '../test-helpers.js';
import policy from './index.js';
import { JwtSchema } from './schema.js';
import { AUDIENCE, ISSUER, jwtConfig } from './test-helpers.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(JwtSchema);
const MINIMAL = { issuer: ISSUER, audience: AUDIENCE, jwksUri: 'https://idp.test/jwks.json' };
const SECRET = 'x'.repeat(32);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

/** The ConfigError compile() throws, as [path, message]. */
function compileError(partial: Record<string, unknown>): [ConfigPath, string] {
  try {
    const compiled = policy.compile(jwtConfig(partial), compileEnvFor(policy));
    void compiled.close?.();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [error.issues[0]!.path, error.issues[0]!.message];
  }
  assert.fail('expected a ConfigError');
}

function warningsOf(partial: Record<string, unknown>): Array<[ConfigPath, string]> {
  const warnings: Array<[ConfigPath, string]> = [];
  const compiled = policy.compile(jwtConfig(partial), compileEnvFor(policy, { warn: (path, message) => warnings.push([path, message]) }));
  void compiled.close?.();
  return warnings;
}

// --- the schema -------------------------------------------------------------------------------

test('issuer, audience and a jwksUri are a complete config and get every default', () => {
  const config = { ...MINIMAL };
  assert.equal(validate(config), true);
  assert.deepEqual(config, {
    ...MINIMAL,
    discovery: false,
    algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    clockToleranceSec: 30,
    requiredClaims: [],
    maxTokenBytes: 8192,
    header: 'authorization',
    claims: { subject: 'sub', roles: 'roles', scopes: 'scope', clientId: 'client_id', attributes: {}, kind: { serviceValues: [] } },
    jwks: { refreshIntervalSec: 300, unknownKidCooldownSec: 30, maxStaleSec: 3600 },
    cache: { maxEntries: 10_000 },
  });
});

test('issuer and audience are required', () => {
  assert.deepEqual(errorsOf({ jwksUri: MINIMAL.jwksUri }), [['', 'required'], ['', 'required']]);
});

test('an audience list is accepted', () => {
  assert.equal(validate({ ...MINIMAL, audience: ['a', 'b'] }), true);
});

test('an empty audience list is refused', () => {
  assert.ok(errorsOf({ ...MINIMAL, audience: [] }).some(([path, keyword]) => path === '/audience' && keyword === 'minItems'));
});

test('an unknown key is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, jwks_uri: 'https://x' }), [['', 'additionalProperties']]);
});

for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
  test(`algorithm "${alg}" is refused by the schema`, () => {
    assert.deepEqual(errorsOf({ ...MINIMAL, algorithms: [alg] }), [['/algorithms/0', 'enum']]);
  });
}

test('an empty algorithm list is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, algorithms: [] }), [['/algorithms', 'minItems']]);
});

test('clockToleranceSec above 300 is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, clockToleranceSec: 301 }), [['/clockToleranceSec', 'maximum']]);
});

test('a negative clockToleranceSec is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, clockToleranceSec: -1 }), [['/clockToleranceSec', 'minimum']]);
});

test('maxTokenBytes above 64 KiB is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, maxTokenBytes: 65_537 }), [['/maxTokenBytes', 'maximum']]);
});

test('a jwksUri that is not an http(s) URL is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, jwksUri: 'file:///etc/keys.json' }), [['/jwksUri', 'pattern']]);
});

test('a realm with a quote is refused (it goes into a quoted-string)', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, realm: 'a"b' }), [['/realm', 'pattern']]);
});

test('an unknown key inside claims is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, claims: { role: 'x' } }), [['/claims', 'additionalProperties']]);
});

test('a negative cache size is refused', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, cache: { maxEntries: -1 } }), [['/cache/maxEntries', 'minimum']]);
});

test('an unknownKidCooldownSec of 0 is refused (it would let tokens hammer the IdP)', () => {
  assert.deepEqual(errorsOf({ ...MINIMAL, jwks: { unknownKidCooldownSec: 0 } }), [['/jwks/unknownKidCooldownSec', 'minimum']]);
});

test('every field is described, nested ones too', () => {
  const walk = (schema: TSchema, path: string) => {
    assert.ok(typeof schema.description === 'string' && schema.description.length > 0, path);
    for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) walk(child, `${path}.${name}`);
  };
  walk(JwtSchema, 'jwt');
});

// --- compile()'s cross-field rules ------------------------------------------------------------

test('no key source is a ConfigError', () => {
  assert.deepEqual(compileError({ issuer: ISSUER, audience: AUDIENCE }), [[], 'exactly one of jwksUri, discovery: true and secret must be set (none is)']);
});

test('two key sources are a ConfigError', () => {
  assert.deepEqual(compileError({ ...MINIMAL, discovery: true }), [[], 'exactly one of jwksUri, discovery: true and secret must be set (2 are)']);
});

test('HS256 without a secret is a ConfigError', () => {
  assert.deepEqual(compileError({ ...MINIMAL, algorithms: ['RS256', 'HS256'] }), [['algorithms'], 'HS256 need a shared secret; with a key set only asymmetric algorithms are accepted']);
});

test('a secret with the default (asymmetric) algorithms is a ConfigError', () => {
  assert.deepEqual(compileError({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET })[0], ['algorithms']);
});

test('a secret shorter than 32 bytes is a ConfigError', () => {
  assert.deepEqual(compileError({ issuer: ISSUER, audience: AUDIENCE, secret: 'x'.repeat(31), algorithms: ['HS256'] })[0], ['secret']);
});

test('a secret of 32 bytes compiles, with a warning on secret', () => {
  const warnings = warningsOf({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, algorithms: ['HS256'] });
  assert.deepEqual(warnings.map(([path]) => path), [['secret']]);
});

test('a key set compiles without warnings', () => {
  assert.deepEqual(warningsOf(MINIMAL), []);
});

test('an http jwksUri compiles with a warning on jwksUri', () => {
  assert.deepEqual(warningsOf({ ...MINIMAL, jwksUri: 'http://127.0.0.1:9000/jwks.json' }).map(([path]) => path), [['jwksUri']]);
});

test('discovery with an issuer that is not a URL is a ConfigError', () => {
  assert.deepEqual(compileError({ issuer: 'my-idp', audience: AUDIENCE, discovery: true })[0], ['issuer']);
});

test('maxStaleSec below refreshIntervalSec is a ConfigError', () => {
  assert.deepEqual(compileError({ ...MINIMAL, jwks: { refreshIntervalSec: 600, maxStaleSec: 300 } })[0], ['jwks', 'maxStaleSec']);
});
