import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { asymmetricKey, critProblem, decodeJsonObject, hmacKey, parseCompact, publicKeyFromJwk } from './jws.js';
import { b64 } from './test-helpers.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');
const data = Buffer.from('eyJhbGciOiJFUzI1NiJ9.e30');

// --- a key verifies the one algorithm it was built for ------------------------------------------

for (const [alg, key, kind] of [
  ['ES256', rsa.publicKey, 'an RSA key'],
  ['ES256', p384.publicKey, 'a P-384 key'],
  ['ES384', p256.publicKey, 'a P-256 key'],
  ['ES256', ed.publicKey, 'an Ed25519 key'],
  ['RS256', p256.publicKey, 'an EC key'],
  ['PS256', ed.publicKey, 'an Ed25519 key'],
  ['EdDSA', rsa.publicKey, 'an RSA key'],
  ['EdDSA', p256.publicKey, 'an EC key'],
] as const) {
  test(`${alg} cannot be bound to ${kind}`, () => {
    assert.throws(() => asymmetricKey(alg, key), TypeError);
  });
}

test('an RSA key under 2048 bits cannot be bound', () => {
  assert.throws(() => asymmetricKey('RS256', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey), /2048/);
});

test('a private key cannot be bound', () => {
  assert.throws(() => asymmetricKey('RS256', rsa.privateKey), /public key/);
});

test('HS256 and none are not asymmetric algorithms', () => {
  assert.throws(() => asymmetricKey('HS256', rsa.publicKey), TypeError);
  assert.throws(() => asymmetricKey('none', rsa.publicKey), TypeError);
});

test('an HMAC key is only for HS algorithms', () => {
  assert.throws(() => hmacKey('RS256', Buffer.alloc(32)), TypeError);
});

test('a bound key reports its algorithm', () => {
  assert.equal(asymmetricKey('PS384', rsa.publicKey).alg, 'PS384');
});

// --- signatures -------------------------------------------------------------------------------------

test('RS256 verifies a PKCS#1 v1.5 signature, PS256 does not accept it', () => {
  const signature = sign('sha256', data, rsa.privateKey);
  assert.equal(asymmetricKey('RS256', rsa.publicKey).verify(data, signature), true);
  assert.equal(asymmetricKey('PS256', rsa.publicKey).verify(data, signature), false);
});

test('ES256 takes r ‖ s of exactly 64 bytes, not DER', () => {
  const key = asymmetricKey('ES256', p256.publicKey);
  assert.equal(key.verify(data, sign('sha256', data, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' })), true);
  assert.equal(key.verify(data, sign('sha256', data, p256.privateKey)), false);
});

test('EdDSA verifies an Ed25519 signature', () => {
  assert.equal(asymmetricKey('EdDSA', ed.publicKey).verify(data, sign(null, data, ed.privateKey)), true);
});

test('a signature OpenSSL cannot parse is false, never an exception', () => {
  for (const alg of ['RS256', 'PS512'] as const) assert.equal(asymmetricKey(alg, rsa.publicKey).verify(data, Buffer.from('x')), false);
  assert.equal(asymmetricKey('EdDSA', ed.publicKey).verify(data, Buffer.alloc(0)), false);
});

test('an HMAC of another length is false without throwing', () => {
  const key = hmacKey('HS384', Buffer.alloc(48, 1));
  assert.equal(key.verify(data, Buffer.alloc(32)), false);
  assert.equal(key.verify(data, Buffer.alloc(0)), false);
});

test('the secret is copied: changing the caller\'s buffer changes nothing', () => {
  const secret = Buffer.alloc(32, 7);
  const key = hmacKey('HS256', secret);
  const mac = createHmac('sha256', Buffer.alloc(32, 7)).update(data).digest();
  secret.fill(0);
  assert.equal(key.verify(data, mac), true);
});

// --- keys from JWKs -----------------------------------------------------------------------------------

test('a JWK\'s other members (alg, use, kid, d) do not change the key built from it', () => {
  const jwk = { ...p256.publicKey.export({ format: 'jwk' }), alg: 'RS256', use: 'enc', kid: 'k', d: p256.privateKey.export({ format: 'jwk' }).d };
  const key = publicKeyFromJwk(jwk);
  assert.equal(key.type, 'public');
  assert.ok(key.equals(p256.publicKey));
});

test('a JWK whose point is not on its curve cannot be built', () => {
  const jwk = p256.publicKey.export({ format: 'jwk' });
  assert.throws(() => publicKeyFromJwk({ ...jwk, y: jwk.x }));
});

// --- the compact serialisation --------------------------------------------------------------------

const header = b64('{"alg":"RS256"}');
const payload = b64('{"sub":"alice"}');

test('a compact JWS is split, its header decoded and the signing input kept as received', () => {
  const jws = parseCompact(`${header}.${payload}.AQID`);
  assert.ok(jws !== undefined);
  assert.deepEqual(jws.header, { alg: 'RS256' });
  assert.equal(jws.signingInput.toString('latin1'), `${header}.${payload}`);
  assert.equal(jws.payload, payload);
  assert.deepEqual([...jws.signature], [1, 2, 3]);
});

test('an empty signature is parsed (and fails verification later)', () => {
  assert.equal(parseCompact(`${header}.${payload}.`)?.signature.length, 0);
});

for (const [name, token] of [
  ['two segments', `${header}.${payload}`],
  ['four segments', `${header}.${payload}.AQID.AQID`],
  ['an empty header', `.${payload}.AQID`],
  ['an empty payload', `${header}..AQID`],
  ['= padding', `${header}.${payload}.AQI=`],
  ['a + from the base64 alphabet', `${header}.${payload}.A+ID`],
  ['a / from the base64 alphabet', `${header}.${payload}.A/ID`],
  ['whitespace', `${header}.${payload}.AQ ID`],
  ['a signature of 4n+1 characters', `${header}.${payload}.AQIDB`],
  // 15 bytes of JSON are 20 characters: one more encodes no whole byte.
  ['a header of 4n+1 characters', `${header}A.${payload}.AQID`],
  ['a header that is an array', `${b64('["RS256"]')}.${payload}.AQID`],
  ['a header of invalid UTF-8', `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${payload}.AQID`],
] as const) {
  test(`${name} is not a compact JWS`, () => {
    assert.equal(parseCompact(token), undefined);
  });
}

test('decodeJsonObject drops a leading byte order mark, as jose does', () => {
  assert.deepEqual(decodeJsonObject(b64('\ufeff{"a":1}')), { a: 1 });
});

// --- crit -------------------------------------------------------------------------------------------

for (const [name, h, expected] of [
  ['no crit', {}, undefined],
  ['b64 true', { crit: ['b64'], b64: true }, undefined],
  ['an unknown extension', { crit: ['x'], x: 1 }, 'unsupported_crit'],
  ['a standard parameter', { crit: ['alg'] }, 'unsupported_crit'],
  ['an empty list', { crit: [] }, 'malformed'],
  ['not a list', { crit: 'b64', b64: true }, 'malformed'],
  ['b64 false (an unencoded payload)', { crit: ['b64'], b64: false }, 'malformed'],
  ['b64 listed but absent', { crit: ['b64'] }, 'malformed'],
] as const) {
  test(`crit: ${name} → ${expected ?? 'fine'}`, () => {
    assert.equal(critProblem(h), expected);
  });
}
