import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, looksLikeJwt } from './bearer.js';

test('the token of a Bearer header', () => {
  assert.equal(bearerToken('Bearer abc-DEF_1.2~3+4/5=='), 'abc-DEF_1.2~3+4/5==');
});

test('the scheme is case-insensitive and extra spaces are tolerated', () => {
  assert.equal(bearerToken('bEaReR   abc  '), 'abc');
});

test('no header or another scheme is not a bearer credential (undefined)', () => {
  assert.equal(bearerToken(undefined), undefined);
  assert.equal(bearerToken('Basic dXNlcjpwYXNz'), undefined);
  assert.equal(bearerToken('Bearerabc'), undefined);
  assert.equal(bearerToken('Bear'), undefined);
});

test('a Bearer header with an empty or malformed token is null', () => {
  assert.equal(bearerToken('Bearer'), null);
  assert.equal(bearerToken('Bearer '), null);
  assert.equal(bearerToken('Bearer a b'), null);
  assert.equal(bearerToken('Bearer a,b'), null);
  assert.equal(bearerToken('Bearer =abc'), null);
});

test('a JWS (three segments, JSON header) and a JWE (five) look like JWTs', () => {
  const header = Buffer.from('{"alg":"RS256"}').toString('base64url');
  assert.equal(looksLikeJwt(`${header}.e30.c2ln`), true);
  assert.equal(looksLikeJwt(`${header}..iv.ct.tag`), true);
});

test('an unsigned JWT (empty signature) still looks like a JWT, so the jwt policy refuses it', () => {
  assert.equal(looksLikeJwt(`${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`), true);
});

test('opaque tokens do not look like JWTs', () => {
  assert.equal(looksLikeJwt('TL2aqi6ttX94vqweLx4SdNPPKTVm3szudPW03F6NXES'), false);
  assert.equal(looksLikeJwt('v4.local.c2VjcmV0'), false, 'a PASETO: three segments, but no JSON header');
  assert.equal(looksLikeJwt('a.b'), false);
  assert.equal(looksLikeJwt('a.b.c.d'), false);
  assert.equal(looksLikeJwt('.e30.c2ln'), false);
  assert.equal(looksLikeJwt('e30+.e30.c2ln'), false, 'not base64url');
});
