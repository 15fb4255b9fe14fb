import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { createJwksCache, type JwksCache, type JwksCacheOptions, type KeyLookup } from './jwks-cache.js';
import { fakeClock, signingKey, startIdp, type FakeIdp } from './test-helpers.js';

const rs = await signingKey('RS256', 'rs-1');
const rs2 = await signingKey('RS256', 'rs-2');
const es = await signingKey('ES256', 'es-1');

const DEFAULTS = { algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'], refreshIntervalMs: 300_000, unknownKidCooldownMs: 30_000, maxStaleMs: 3_600_000 };

async function withIdp(keys: readonly JWK[], run: (idp: FakeIdp, make: (options?: Partial<JwksCacheOptions>) => JwksCache) => void | Promise<void>): Promise<void> {
  const idp = await startIdp(keys);
  const made: JwksCache[] = [];
  try {
    await run(idp, (options = {}) => {
      const cache = createJwksCache({ source: { jwksUri: idp.jwksUri }, outbound: idp.outbound, ...DEFAULTS, ...options });
      made.push(cache);
      return cache;
    });
  } finally {
    for (const c of made) c.close();
    await idp.close();
  }
}

function hasKey(lookup: KeyLookup): boolean {
  return 'key' in lookup;
}

test('creating the cache makes no request', () =>
  withIdp([rs.jwk], async (idp, make) => {
    make();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(idp.requests.length, 0);
  }));

test('ready() fetches the key set once and keys are found by kid and alg', () =>
  withIdp([rs.jwk, es.jwk], async (idp, make) => {
    const cache = make();
    await cache.ready();
    assert.equal(idp.requests.length, 1);
    assert.ok(hasKey(cache.find('rs-1', 'RS256')));
    assert.ok(hasKey(cache.find('es-1', 'ES256')));
  }));

test('a known kid with another algorithm is a key_alg_mismatch', () =>
  withIdp([rs.jwk], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find('rs-1', 'ES256'), { miss: 'key_alg_mismatch' });
  }));

test('an RSA key without alg is usable for each allowed RSA algorithm', () =>
  withIdp([{ ...rs.jwk, alg: undefined }], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.ok(hasKey(cache.find('rs-1', 'RS256')));
    assert.ok(hasKey(cache.find('rs-1', 'PS256')));
    assert.deepEqual(cache.find('rs-1', 'RS512'), { miss: 'key_alg_mismatch' });
  }));

test('an unknown kid is a miss', () =>
  withIdp([rs.jwk], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find('nope', 'RS256'), { miss: 'unknown_kid' });
  }));

test('without a kid, the only key for the algorithm is found', () =>
  withIdp([rs.jwk, es.jwk], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.ok(hasKey(cache.find(undefined, 'ES256')));
  }));

test('without a kid, two keys for the algorithm are ambiguous', () =>
  withIdp([rs.jwk, rs2.jwk], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find(undefined, 'RS256'), { miss: 'ambiguous_key' });
  }));

test('a key with use "enc" is ignored', () =>
  withIdp([rs.jwk, { ...rs2.jwk, use: 'enc' }], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find('rs-2', 'RS256'), { miss: 'unknown_kid' });
  }));

test('a key whose alg is outside the allowlist is ignored', () =>
  withIdp([rs.jwk, es.jwk], async (_idp, make) => {
    const cache = make({ algorithms: ['RS256'] });
    await cache.ready();
    assert.deepEqual(cache.find('es-1', 'ES256'), { miss: 'unknown_kid' });
  }));

test('a key whose key_ops exclude verify is ignored', () =>
  withIdp([rs.jwk, { ...rs2.jwk, key_ops: ['encrypt'] }], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find('rs-2', 'RS256'), { miss: 'unknown_kid' });
  }));

test('a published private key is ignored', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const leaked = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: 'leaked', alg: 'RS256' };
  return withIdp([rs.jwk, leaked], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find('leaked', 'RS256'), { miss: 'unknown_kid' });
  });
});

test('an RSA key under 2048 bits is ignored', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const weak = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak', alg: 'RS256' };
  return withIdp([rs.jwk, weak], async (_idp, make) => {
    const cache = make();
    await cache.ready();
    assert.deepEqual(cache.find('weak', 'RS256'), { miss: 'unknown_kid' });
  });
});

test('a key set with no usable key is a failed fetch', () =>
  withIdp([{ ...rs.jwk, use: 'enc' }], async (_idp, make) => {
    const cache = make();
    await assert.rejects(cache.ready(), { code: 'jwks.fetch_failed' });
    assert.equal(cache.usable(), false);
  }));

test('a key set larger than maxBytes is refused', () =>
  withIdp([rs.jwk, rs2.jwk, es.jwk], async (_idp, make) => {
    const cache = make({ maxBytes: 512 });
    await assert.rejects(cache.ready(), (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'outbound.too_large');
  }));

test('a non-200 answer is a failed fetch', () =>
  withIdp([rs.jwk], async (idp, make) => {
    idp.setRaw(500, '{}');
    await assert.rejects(make().ready(), /HTTP 500/);
  }));

test('a body that is not JSON is a failed fetch', () =>
  withIdp([rs.jwk], async (idp, make) => {
    idp.setRaw(200, '<html>');
    await assert.rejects(make().ready(), /not JSON/);
  }));

test('a JSON body without a keys array is a failed fetch', () =>
  withIdp([rs.jwk], async (idp, make) => {
    idp.setRaw(200, '{"keys":{}}');
    await assert.rejects(make().ready(), /no "keys" array/);
  }));

test('a failed refetch keeps the previous keys', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const clock = fakeClock();
    const cache = make({ now: clock.now });
    await cache.ready();
    idp.setRaw(200, '{"keys":[]}');
    clock.advance(30_000);
    assert.equal(await cache.refetch(), false);
    assert.ok(hasKey(cache.find('rs-1', 'RS256')));
  }));

test('the first refetch() after ready() fetches at once (startup does not start the cooldown)', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const cache = make();
    await cache.ready();
    assert.equal(await cache.refetch(), true);
    assert.equal(idp.requests.length, 2);
  }));

test('refetch() within the cooldown of the previous one makes no request', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const clock = fakeClock();
    const cache = make({ now: clock.now });
    await cache.refetch();
    clock.advance(29_999);
    assert.equal(cache.refetch(), undefined);
    assert.equal(idp.requests.length, 1);
  }));

test('refetch() after the cooldown fetches again', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const clock = fakeClock();
    const cache = make({ now: clock.now });
    await cache.refetch();
    clock.advance(30_000);
    assert.equal(await cache.refetch(), true);
    assert.equal(idp.requests.length, 2);
  }));

test('concurrent refetches share one request', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const cache = make();
    const results = await Promise.all([cache.refetch(), cache.refetch(), cache.refetch()]);
    assert.deepEqual(results, [true, true, true]);
    assert.equal(idp.requests.length, 1);
  }));

test('keys stay usable while the IdP is down, up to maxStaleMs after the last success', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const clock = fakeClock();
    const cache = make({ now: clock.now });
    await cache.ready();
    idp.setDown(true);
    clock.advance(60_000);
    assert.equal(await cache.refetch(), false);
    clock.advance(3_600_000 - 60_000);
    assert.equal(cache.usable(), true);
  }));

test('keys are unusable once older than maxStaleMs', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const clock = fakeClock();
    const cache = make({ now: clock.now });
    await cache.ready();
    idp.setDown(true);
    clock.advance(3_600_001);
    assert.equal(cache.usable(), false);
  }));

test('onKeysRemoved is called when a key leaves the set', () =>
  withIdp([rs.jwk, rs2.jwk], async (idp, make) => {
    let removed = 0;
    const clock = fakeClock();
    const cache = make({ now: clock.now, onKeysRemoved: () => removed++ });
    await cache.ready();
    idp.setKeys([rs2.jwk]);
    clock.advance(30_000);
    assert.equal(await cache.refetch(), true);
    assert.equal(removed, 1);
  }));

test('onKeysRemoved is not called when a key is only added', () =>
  withIdp([rs.jwk], async (idp, make) => {
    let removed = 0;
    const clock = fakeClock();
    const cache = make({ now: clock.now, onKeysRemoved: () => removed++ });
    await cache.ready();
    idp.setKeys([rs.jwk, rs2.jwk]);
    clock.advance(30_000);
    assert.equal(await cache.refetch(), true);
    assert.equal(removed, 0);
  }));

test('discovery reads jwks_uri from the OpenID configuration', () =>
  withIdp([rs.jwk], async (idp, make) => {
    const cache = make({ source: { issuer: idp.origin } });
    await cache.ready();
    assert.deepEqual(idp.requests, ['/.well-known/openid-configuration', '/jwks.json']);
    assert.ok(hasKey(cache.find('rs-1', 'RS256')));
  }));

test('discovery refuses a document naming another issuer', () =>
  withIdp([rs.jwk], async (idp, make) => {
    idp.setIssuer('https://evil.test');
    await assert.rejects(make({ source: { issuer: idp.origin } }).ready(), /issuer/);
    assert.deepEqual(idp.requests, ['/.well-known/openid-configuration']);
  }));

test('after close(), refetch() makes no request', () =>
  withIdp([rs.jwk], (idp, make) => {
    const cache = make();
    cache.close();
    assert.equal(cache.refetch(), undefined);
    assert.equal(idp.requests.length, 0);
  }));
