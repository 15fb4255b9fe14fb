import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { generateApiKey, hashApiKey, keyDigest, keyPrefix, MAX_KEY_LENGTH } from './key-format.js';

test('a generated key is pk_, a 12-character base62 prefix, _, and 43 base64url characters', () => {
  assert.match(generateApiKey().key, /^pk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
});

test('the secret of a generated key decodes to 32 bytes', () => {
  const { key } = generateApiKey();
  assert.equal(Buffer.from(key.slice(16), 'base64url').length, 32);
});

test('a generated key carries its prefix', () => {
  const { key, prefix } = generateApiKey();
  assert.equal(key.slice(3, 15), prefix);
});

test('a generated hash is sha256: and the hex SHA-256 of the whole key', () => {
  const { key, hash } = generateApiKey();
  assert.equal(hash, `sha256:${crypto.createHash('sha256').update(key).digest('hex')}`);
});

test('a thousand generated keys have distinct prefixes and secrets', () => {
  const keys = Array.from({ length: 1000 }, () => generateApiKey());
  assert.deepEqual([new Set(keys.map((k) => k.prefix)).size, new Set(keys.map((k) => k.key.slice(16))).size], [1000, 1000]);
});

test('prefix characters cover the whole base62 alphabet, roughly uniformly', () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) for (const c of generateApiKey().prefix) counts.set(c, (counts.get(c) ?? 0) + 1);
  // 24 000 characters over 62 symbols: about 387 each. A biased or truncated alphabet falls far outside this band.
  const values = [...counts.values()];
  assert.deepEqual([counts.size, Math.min(...values) > 250, Math.max(...values) < 550], [62, true, true]);
});

test('secret bytes look random: about half of the bits are set', () => {
  let ones = 0;
  for (let i = 0; i < 200; i++) for (const byte of Buffer.from(generateApiKey().key.slice(16), 'base64url')) for (let b = byte; b > 0; b >>= 1) ones += b & 1;
  // 51 200 bits; a fair source gives 25 600 ± ~113 (one standard deviation).
  assert.ok(Math.abs(ones - 25_600) < 1500, `${ones} of 51200 bits set`);
});

test('hashApiKey of a known key', () => {
  assert.equal(hashApiKey('abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('keyDigest is the 32-byte SHA-256', () => {
  assert.equal(keyDigest('abc').toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('keyPrefix extracts the prefix of a well-formed key', () => {
  assert.equal(keyPrefix(`pk_AbCd1234_${'x_-'.repeat(15)}`), 'AbCd1234');
});

test('keyPrefix refuses a value longer than MAX_KEY_LENGTH', () => {
  assert.equal(keyPrefix(`pk_AbCd1234_${'x'.repeat(MAX_KEY_LENGTH)}`), undefined);
});

test('keyPrefix refuses a prefix of 13 characters', () => {
  assert.equal(keyPrefix(`pk_AbCd1234EfGhI_${'x'.repeat(43)}`), undefined);
});

test('keyPrefix refuses whitespace inside the key', () => {
  assert.equal(keyPrefix(`pk_AbCd1234_${'x'.repeat(42)} `), undefined);
});
