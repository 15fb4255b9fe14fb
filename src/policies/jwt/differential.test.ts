/**
 * Differential test of the policy's synchronous verifier (node:crypto) against jose's jwtVerify.
 *
 * Every token of a corpus (valid tokens of each algorithm, forgeries, malformed encodings, claim
 * boundaries at ±1 s of the clock tolerance, …) goes through three verdicts:
 * - ours: the policy's authenticate();
 * - reference: jose's jwtVerify with the options the policy used to pass it, wrapped in the
 *   policy's documented additions (size cap, strict base64url segments, refused key headers, alg
 *   allowlist and kid lookup before jose; iat not in the future and a subject after it). Ours
 *   must equal it, reason included;
 * - bare jose: jwtVerify alone, with the token's key. Ours never accepts what it refuses; where
 *   it accepts and ours refuses, the entry says so (`stricter`), so every divergence is listed.
 * Each entry also states the expected verdict, so that the three cannot agree on a wrong one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, KeyObject, sign as nodeSign } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { OutboundClient } from '../../core/outbound.js';
import { NO_OUTBOUND } from '../../core/outbound.js';
import type { CompiledPolicy } from '../../core/policy.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy from './index.js';
import { AUDIENCE, b64, ISSUER, jwtConfig, signatureOf, signingKey, type HmacSigner, type SigningKey } from './test-helpers.js';
import { createJwtAuthenticator, type JwtFailureReason } from './verifier.js';

/** A fixed clock half a second past a whole second, so that rounding the time matters. */
const T = 1_760_000_000_500;
const NOW = Math.floor(T / 1000);
const TOL = 30;
const SECRET = 'a-differential-secret-of-more-than-32-bytes';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
const keys = new Map<string, SigningKey>();
// For each published key an unpublished one of the same algorithm under the same kid: a forger's.
const strangers = new Map<string, SigningKey>();
for (const alg of ASYMMETRIC) {
  keys.set(alg, await signingKey(alg, `k-${alg}`));
  strangers.set(alg, await signingKey(alg, `k-${alg}`));
}
const key = (alg: string) => keys.get(alg)!;
const published: readonly JWK[] = [...keys.values()].map((k) => k.jwk);
const hs = (alg: HmacSigner['alg'], secret = SECRET): HmacSigner => ({ alg, secret });

type ScenarioName = 'jwks' | 'strict' | 'secret';
const SCENARIOS: Readonly<Record<ScenarioName, Readonly<Record<string, unknown>>>> = {
  jwks: { algorithms: [...ASYMMETRIC], jwksUri: 'https://idp.test/jwks.json' },
  strict: { algorithms: ['RS256', 'ES256'], jwksUri: 'https://idp.test/jwks.json', audience: [AUDIENCE, 'reports-api'], maxTokenAgeSec: 600, requiredClaims: ['jti'], typ: 'at+jwt' },
  secret: { secret: SECRET, algorithms: ['HS256', 'HS384', 'HS512'] },
};

// --- the corpus ---------------------------------------------------------------------------------

type Verdict = 'accepted' | JwtFailureReason;
interface Entry {
  readonly scenario: ScenarioName;
  readonly name: string;
  readonly token: string;
  readonly expect: Verdict;
  /** Ours refuses for this reason while bare jose accepts: a documented policy addition. */
  readonly stricter?: JwtFailureReason;
}
const corpus: Entry[] = [];
const add = (scenario: ScenarioName, name: string, token: string, expect: Verdict, stricter?: JwtFailureReason) => {
  corpus.push({ scenario, name, token, expect, ...(stricter === undefined ? {} : { stricter }) });
};

const json = (value: unknown) => b64(JSON.stringify(value));
const claims = (over: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: NOW - 60, exp: NOW + 600, ...over }).filter(([, v]) => v !== undefined));
const headerOf = (signer: SigningKey | HmacSigner, over: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries({ alg: signer.alg, ...('kid' in signer ? { kid: signer.kid } : {}), ...over }).filter(([, v]) => v !== undefined));
/** Signs `header.payload`, both segments exactly as given. */
const seal = async (signer: SigningKey | HmacSigner, header: string, payload: string) => `${header}.${payload}.${(await signatureOf(signer, `${header}.${payload}`)).toString('base64url')}`;
const token = (signer: SigningKey | HmacSigner, header: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => seal(signer, json(headerOf(signer, header)), json(claims(over)));
const rawPayload = (signer: SigningKey | HmacSigner, payload: string | Buffer) => seal(signer, json(headerOf(signer)), Buffer.from(payload).toString('base64url'));
const parts = (t: string) => t.split('.') as [string, string, string];
const withSignature = (t: string, sig: Buffer | string) => `${parts(t)[0]}.${parts(t)[1]}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
const sigOf = (t: string) => Buffer.from(parts(t)[2], 'base64url');
/** The longest prefix of a segment whose length is a multiple of 4. */
const fourN = (segment: string) => segment.slice(0, segment.length - (segment.length % 4));
/** JSON text, spaces appended to make whole groups of three bytes, as base64url (4n characters). */
const wholeGroups = (text: string) => b64(`${text}${' '.repeat((3 - (Buffer.byteLength(text) % 3)) % 3)}`);
/** A segment with `=` padding: its text made a length that needs some, then padded. */
const padded = (text: string) => {
  const body = Buffer.byteLength(text) % 3 === 0 ? `${text} ` : text;
  const seg = b64(body);
  return `${seg}${'='.repeat((4 - (seg.length % 4)) % 4)}`;
};

// Each algorithm: the valid token, and what an attacker can do to its signature and header.
for (const alg of ASYMMETRIC) {
  const k = key(alg);
  const valid = await token(k);
  const sig = sigOf(valid);
  const flipped = Buffer.from(sig);
  flipped[flipped.length >> 1]! ^= 0x01;
  add('jwks', `${alg} valid`, valid, 'accepted');
  add('jwks', `${alg} without kid (the only key for it)`, await token(k, { kid: undefined }), 'accepted');
  add('jwks', `${alg} payload altered after signing`, `${parts(valid)[0]}.${json(claims({ sub: 'admin' }))}.${parts(valid)[2]}`, 'bad_signature');
  add('jwks', `${alg} one signature bit flipped`, withSignature(valid, flipped), 'bad_signature');
  add('jwks', `${alg} signature truncated by a byte`, withSignature(valid, sig.subarray(0, -1)), 'bad_signature');
  add('jwks', `${alg} signature extended by a byte`, withSignature(valid, Buffer.concat([sig, Buffer.of(0)])), 'bad_signature');
  add('jwks', `${alg} empty signature`, withSignature(valid, ''), 'bad_signature');
  add('jwks', `${alg} signed by another key under the same kid`, await token(strangers.get(alg)!), 'bad_signature');
  const other = alg.startsWith('ES') ? 'RS256' : 'ES256';
  add('jwks', `${alg} key named in a header that says ${other}`, await token(k, { alg: other }), 'key_alg_mismatch');
  add('jwks', `${alg} signature segment of 4n+1 characters`, withSignature(valid, `${fourN(parts(valid)[2])}A`), 'malformed');
  // '=' padding is legal base64 only when the byte count is not a multiple of 3.
  const paddable = sig.length % 3 !== 0;
  add('jwks', `${alg} signature with = padding`, withSignature(valid, `${parts(valid)[2]}${'='.repeat((4 - (parts(valid)[2].length % 4)) % 4) || '='}`), 'malformed', paddable ? 'malformed' : undefined);
  if (paddable) {
    // The unused low bits of the last character: both decoders ignore them.
    const s = parts(valid)[2];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    add('jwks', `${alg} signature with non-zero trailing bits`, withSignature(valid, `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1)!) ^ 1]}`), 'accepted');
  }
}

// Signatures that OpenSSL must judge, not just parse.
{
  const es = key('ES256');
  const valid = await token(es);
  const sig = sigOf(valid);
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
  const highS = Buffer.concat([sig.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
  add('jwks', 'ES256 with s replaced by n - s (JWS has no low-S rule)', withSignature(valid, highS), 'accepted');
  add('jwks', 'ES256 with r = s = 0', withSignature(valid, Buffer.alloc(64)), 'bad_signature');
  const der = nodeSign('sha256', Buffer.from(`${parts(valid)[0]}.${parts(valid)[1]}`), { key: KeyObject.from(es.privateKey), dsaEncoding: 'der' });
  add('jwks', 'ES256 with a DER signature', withSignature(valid, der), 'bad_signature');
  const ps = key('PS256');
  const psInput = `${json(headerOf(ps))}.${json(claims())}`;
  const maxSalt = nodeSign('sha256', Buffer.from(psInput), { key: KeyObject.from(ps.privateKey), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN });
  add('jwks', 'PS256 with a salt longer than the digest', `${psInput}.${maxSalt.toString('base64url')}`, 'bad_signature');
  add('jwks', 'Ed25519 header with the kid of an EdDSA key', await token(key('EdDSA'), { alg: 'Ed25519' }), 'key_alg_mismatch', 'key_alg_mismatch');
  add('jwks', 'EdDSA header with the kid of an Ed25519 key', await token(key('Ed25519'), { alg: 'EdDSA' }), 'key_alg_mismatch', 'key_alg_mismatch');
  add('jwks', 'RS256 header with the kid of a PS256 key', await token(key('PS256'), { alg: 'RS256' }), 'key_alg_mismatch');
}

// The compact serialisation.
{
  const rs = key('RS256');
  const valid = await token(rs);
  const [h, p, s] = parts(valid);
  add('jwks', 'two segments', `${h}.${p}`, 'malformed');
  add('jwks', 'four segments', `${valid}.${s}`, 'malformed');
  add('jwks', 'five segments (a JWE shape)', `${h}.${p}.${s}.${s}.${s}`, 'malformed');
  add('jwks', 'empty header segment', `.${p}.${s}`, 'malformed');
  add('jwks', 'empty payload segment', await seal(rs, h, ''), 'malformed');
  add('jwks', 'a space inside the signature', `${h}.${p}.${s.slice(0, 8)} ${s.slice(8)}`, 'malformed', 'malformed');
  add('jwks', 'header segment with = padding', await seal(rs, padded(JSON.stringify(headerOf(rs))), p), 'malformed', 'malformed');
  add('jwks', 'payload segment with = padding', await seal(rs, h, padded(JSON.stringify(claims()))), 'malformed', 'malformed');
  // Six '?' (0x3f) or '>' (0x3e) in a row always fill one aligned group: 'Pz8/' or 'Pj4+'.
  const slashed = Buffer.from(JSON.stringify(headerOf(rs, { x: '??????' }))).toString('base64').replace(/=+$/, '');
  const plussed = Buffer.from(JSON.stringify(claims({ x: '>>>>>>' }))).toString('base64').replace(/=+$/, '');
  assert.ok(slashed.includes('/') && plussed.includes('+'));
  add('jwks', 'header with / from the base64 alphabet', await seal(rs, slashed, p), 'malformed');
  add('jwks', 'payload with + from the base64 alphabet', await seal(rs, h, plussed), 'malformed');
  // A whole JSON text and one character more: a lenient decoder would drop it and read the JSON.
  add('jwks', 'header segment of 4n+1 characters, signed', await seal(rs, `${wholeGroups(JSON.stringify(headerOf(rs)))}A`, p), 'malformed');
  add('jwks', 'payload segment of 4n+1 characters, signed', await seal(rs, h, `${wholeGroups(JSON.stringify(claims()))}A`), 'malformed');
  add('jwks', 'a token longer than maxTokenBytes', await token(rs, {}, { pad: 'x'.repeat(9000) }), 'token_too_large', 'token_too_large');
}

// The protected header.
{
  const rs = key('RS256');
  const p = json(claims());
  const sealH = (header: string | Buffer) => seal(rs, Buffer.from(header).toString('base64url'), p);
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    add('jwks', `alg ${alg}, no signature`, `${json({ alg, kid: rs.kid })}.${p}.`, 'alg_not_allowed');
    add('jwks', `alg ${alg}, a signature`, await sealH(JSON.stringify({ alg, kid: rs.kid })), 'alg_not_allowed');
  }
  for (const [name, alg] of [['empty', ''], ['lower case', 'rs256'], ['with a space', 'RS256 '], ['a number', 256], ['an array', ['RS256']], ['null', null]] as const) {
    add('jwks', `alg ${name}`, await sealH(JSON.stringify({ alg, kid: rs.kid })), 'alg_not_allowed');
  }
  add('jwks', 'no alg', await sealH(JSON.stringify({ kid: rs.kid })), 'alg_not_allowed');
  add('jwks', 'HS256 keyed with the RSA public key\'s modulus', await seal(hs('HS256', String(rs.jwk.n)), json({ alg: 'HS256', kid: rs.kid }), p), 'alg_not_allowed');
  for (const [name, header] of [['an array', '[]'], ['a string', '"RS256"'], ['a number', '1'], ['null', 'null'], ['not JSON', '{alg:RS256}']] as const) {
    add('jwks', `header ${name}`, await sealH(header), 'malformed');
  }
  add('jwks', 'header of invalid UTF-8', await sealH(Buffer.concat([Buffer.from(`{"alg":"RS256","kid":"${rs.kid}","x":"`), Buffer.of(0xff), Buffer.from('"}')])), 'malformed');
  add('jwks', 'header with a byte order mark', await sealH(`\ufeff${JSON.stringify(headerOf(rs))}`), 'accepted');
  add('jwks', 'duplicate alg, the last RS256', await sealH(`{"alg":"none","alg":"RS256","kid":"${rs.kid}"}`), 'accepted');
  add('jwks', 'duplicate alg, the last none', await sealH(`{"alg":"RS256","kid":"${rs.kid}","alg":"none"}`), 'alg_not_allowed');
  add('jwks', 'a __proto__ member carrying crit', await sealH(`{"alg":"RS256","kid":"${rs.kid}","__proto__":{"crit":["x"]}}`), 'accepted');
  add('jwks', 'typ is not checked unless configured', await token(rs, { typ: 'whatever' }), 'accepted');
  add('jwks', 'kid a number', await token(rs, { kid: 1 }), 'malformed', 'malformed');
  add('jwks', 'unknown kid', await token(rs, { kid: 'nobody' }), 'unknown_kid');
  for (const [name, value] of [['jku', 'http://127.0.0.1/jwks'], ['x5u', 'https://evil.test/c.pem'], ['jwk', rs.jwk], ['x5c', ['MIIB']]] as const) {
    add('jwks', `a ${name} header`, await token(rs, { [name]: value }), 'forbidden_header', 'forbidden_header');
  }
  const crit: Array<[string, Record<string, unknown>, Verdict]> = [
    ['an unknown extension', { crit: ['exp-policy'], 'exp-policy': 1 }, 'unsupported_crit'],
    ['a standard parameter', { crit: ['alg'] }, 'unsupported_crit'],
    ['empty', { crit: [] }, 'malformed'],
    ['a string', { crit: 'b64', b64: true }, 'malformed'],
    ['an empty name', { crit: [''] }, 'malformed'],
    ['a number', { crit: [1] }, 'malformed'],
    ['b64 true', { crit: ['b64'], b64: true }, 'accepted'],
    ['b64 twice', { crit: ['b64', 'b64'], b64: true }, 'accepted'],
    ['b64 false', { crit: ['b64'], b64: false }, 'malformed'],
    ['b64 absent', { crit: ['b64'] }, 'malformed'],
    ['b64 a string', { crit: ['b64'], b64: 'true' }, 'malformed'],
    ['unknown before b64', { crit: ['x', 'b64'], b64: true, x: 1 }, 'unsupported_crit'],
    ['unknown after b64', { crit: ['b64', 'x'], b64: true, x: 1 }, 'unsupported_crit'],
  ];
  for (const [name, header, expect] of crit) add('jwks', `crit ${name}`, await token(rs, header), expect);
}

// The claims, at the tolerance boundaries (NOW is whole seconds; the clock is at NOW + 0.5).
{
  const rs = key('RS256');
  const cases: Array<[string, Record<string, unknown>, Verdict, JwtFailureReason?]> = [
    ['exp tolerance + 1 s ago', { exp: NOW - TOL - 1 }, 'token_expired'],
    ['exp exactly tolerance ago', { exp: NOW - TOL }, 'token_expired'],
    ['exp tolerance - 1 s ago', { exp: NOW - TOL + 1 }, 'accepted'],
    ['exp tolerance - 0.4 s ago', { exp: NOW - TOL + 0.4 }, 'accepted'],
    ['exp tolerance + 0.4 s ago', { exp: NOW - TOL - 0.4 }, 'token_expired'],
    ['exp missing', { exp: undefined }, 'missing_claim'],
    ['exp a string', { exp: String(NOW + 600) }, 'malformed'],
    ['exp null', { exp: null }, 'malformed'],
    ['nbf tolerance - 1 s ahead', { nbf: NOW + TOL - 1 }, 'accepted'],
    ['nbf exactly tolerance ahead', { nbf: NOW + TOL }, 'accepted'],
    ['nbf tolerance + 1 s ahead', { nbf: NOW + TOL + 1 }, 'not_yet_valid'],
    ['nbf tolerance + 0.4 s ahead', { nbf: NOW + TOL + 0.4 }, 'not_yet_valid'],
    ['nbf a string', { nbf: 'now' }, 'malformed'],
    ['iat exactly tolerance ahead', { iat: NOW + TOL }, 'accepted'],
    ['iat tolerance + 0.4 s ahead', { iat: NOW + TOL + 0.4 }, 'accepted'],
    ['iat tolerance + 0.6 s ahead', { iat: NOW + TOL + 0.6 }, 'not_yet_valid', 'not_yet_valid'],
    ['iat tolerance + 1 s ahead', { iat: NOW + TOL + 1 }, 'not_yet_valid', 'not_yet_valid'],
    ['iat missing', { iat: undefined }, 'accepted'],
    ['iat a string', { iat: 'today' }, 'malformed'],
    ['iss another', { iss: 'https://evil.test' }, 'wrong_issuer'],
    ['iss with a trailing slash', { iss: `${ISSUER}/` }, 'wrong_issuer'],
    ['iss in an array', { iss: [ISSUER] }, 'wrong_issuer'],
    ['iss null', { iss: null }, 'wrong_issuer'],
    ['iss missing', { iss: undefined }, 'missing_claim'],
    ['aud another', { aud: 'billing-api' }, 'wrong_audience'],
    ['aud in another case', { aud: AUDIENCE.toUpperCase() }, 'wrong_audience'],
    ['aud an array with ours', { aud: ['other', AUDIENCE] }, 'accepted'],
    ['aud an array with ours and a number', { aud: [42, AUDIENCE] }, 'accepted'],
    ['aud an array without ours', { aud: ['other'] }, 'wrong_audience'],
    ['aud an empty array', { aud: [] }, 'wrong_audience'],
    ['aud a number', { aud: 42 }, 'wrong_audience'],
    ['aud an object', { aud: { aud: AUDIENCE } }, 'wrong_audience'],
    ['aud missing', { aud: undefined }, 'missing_claim'],
    ['sub missing', { sub: undefined }, 'missing_claim', 'missing_claim'],
    ['sub a number', { sub: 42 }, 'missing_claim', 'missing_claim'],
    ['sub empty', { sub: '' }, 'missing_claim', 'missing_claim'],
  ];
  for (const [name, over, expect, stricter] of cases) add('jwks', name, await token(rs, {}, over), expect, stricter);
  const payloads: Array<[string, string | Buffer, Verdict]> = [
    ['payload an array', '[]', 'malformed'],
    ['payload a string', '"alice"', 'malformed'],
    ['payload a number', '42', 'malformed'],
    ['payload null', 'null', 'malformed'],
    ['payload not JSON', 'not json', 'malformed'],
    ['payload of invalid UTF-8', Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"'), Buffer.of(0xc3, 0x28), Buffer.from('"}')]), 'malformed'],
    ['payload with a byte order mark', `\ufeff${JSON.stringify(claims())}`, 'accepted'],
    ['payload exp 1e400 (Infinity)', JSON.stringify(claims()).replace(/"exp":\d+/, '"exp":1e400'), 'accepted'],
    ['duplicate exp, the last in the future', JSON.stringify(claims()).replace('"exp":', `"exp":${NOW - 3600},"exp":`), 'accepted'],
    ['duplicate exp, the last in the past', JSON.stringify(claims()).replace(/}$/, `,"exp":${NOW - 3600}}`), 'token_expired'],
    ['duplicate iss, the last ours', JSON.stringify(claims()).replace('"iss":', '"iss":"https://evil.test","iss":'), 'accepted'],
    ['iss only under __proto__', `{"__proto__":{"iss":"${ISSUER}"},${JSON.stringify(claims({ iss: undefined })).slice(1)}`, 'missing_claim'],
  ];
  for (const [name, payload, expect] of payloads) add('jwks', name, await rawPayload(rs, payload), expect);
}

// typ, required claims, max token age and several audiences.
for (const alg of ['RS256', 'ES256']) {
  const k = key(alg);
  const t = (header: Record<string, unknown>, over: Record<string, unknown> = {}) => token(k, { typ: 'at+jwt', ...header }, { jti: 'j-1', ...over });
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, Verdict]> = [
    ['valid', {}, {}, 'accepted'],
    ['typ application/at+jwt', { typ: 'application/at+jwt' }, {}, 'accepted'],
    ['typ in upper case', { typ: 'AT+JWT' }, {}, 'accepted'],
    ['typ Application/AT+JWT', { typ: 'Application/AT+JWT' }, {}, 'accepted'],
    ['typ JWT', { typ: 'JWT' }, {}, 'wrong_type'],
    ['typ missing', { typ: undefined }, {}, 'wrong_type'],
    ['typ a number', { typ: 1 }, {}, 'wrong_type'],
    ['typ with a space', { typ: 'at+jwt ' }, {}, 'wrong_type'],
    ['jti missing', {}, { jti: undefined }, 'missing_claim'],
    ['iat missing', {}, { iat: undefined }, 'missing_claim'],
    ['iat max age + tolerance ago', {}, { iat: NOW - 600 - TOL }, 'accepted'],
    ['iat max age + tolerance + 1 s ago', {}, { iat: NOW - 600 - TOL - 1 }, 'token_too_old'],
    ['iat tolerance ahead', {}, { iat: NOW + TOL }, 'accepted'],
    ['iat tolerance + 0.6 s ahead', {}, { iat: NOW + TOL + 0.6 }, 'not_yet_valid'],
    ['iat tolerance + 1 s ahead', {}, { iat: NOW + TOL + 1 }, 'not_yet_valid'],
    ['the second audience', {}, { aud: 'reports-api' }, 'accepted'],
    ['an array with the second audience', {}, { aud: ['x', 'reports-api'] }, 'accepted'],
    ['another audience', {}, { aud: 'x' }, 'wrong_audience'],
  ];
  for (const [name, header, over, expect] of cases) add('strict', `${alg} ${name}`, await t(header, over), expect);
}

// The shared secret.
for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
  const valid = await token(hs(alg));
  const mac = sigOf(valid);
  add('secret', `${alg} valid`, valid, 'accepted');
  add('secret', `${alg} with a kid`, await token(hs(alg), { kid: 'any' }), 'accepted');
  add('secret', `${alg} another secret`, await token(hs(alg, `${SECRET}-other`)), 'bad_signature');
  add('secret', `${alg} MAC truncated`, withSignature(valid, mac.subarray(0, -1)), 'bad_signature');
  add('secret', `${alg} MAC extended`, withSignature(valid, Buffer.concat([mac, Buffer.of(0)])), 'bad_signature');
  add('secret', `${alg} empty MAC`, withSignature(valid, ''), 'bad_signature');
  add('secret', `${alg} payload altered`, `${parts(valid)[0]}.${json(claims({ sub: 'admin' }))}.${parts(valid)[2]}`, 'bad_signature');
  add('secret', `${alg} expired`, await token(hs(alg), {}, { exp: NOW - TOL - 1 }), 'token_expired');
}
add('secret', 'HS384 header with an HS256 MAC', await seal(hs('HS256'), json({ alg: 'HS384' }), json(claims())), 'bad_signature');
add('secret', 'RS256 where only a secret is configured', await token(key('RS256')), 'alg_not_allowed');
add('secret', 'alg none', `${json({ alg: 'none' })}.${json(claims())}.`, 'alg_not_allowed');

// --- the three verdicts ---------------------------------------------------------------------------

const outbound: OutboundClient = { request: () => Promise.resolve({ status: 200, headers: {}, body: Buffer.from(JSON.stringify({ keys: published })) }), check: (...args) => NO_OUTBOUND.check(...args) };
const policies = new Map<ScenarioName, CompiledPolicy>();
for (const [name, config] of Object.entries(SCENARIOS) as Array<[ScenarioName, Record<string, unknown>]>) {
  const compiled = createJwtAuthenticator(jwtConfig({ issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: TOL, cache: { maxEntries: 0 }, ...config }), compileEnvFor(policy, { outbound }), { now: () => T });
  await compiled.ready!();
  policies.set(name, compiled);
}

after(async () => {
  for (const compiled of policies.values()) await compiled.close?.();
});

async function ours(scenario: ScenarioName, t: string): Promise<Verdict> {
  const outcome = await policies.get(scenario)!.authenticate!(fakeContext({ headers: { authorization: `Bearer ${t}` } }));
  assert.ok(outcome !== undefined, 'a Bearer token is always judged');
  return 'principal' in outcome ? 'accepted' : (outcome.reason as JwtFailureReason);
}

function joseOptions(scenario: ScenarioName): JWTVerifyOptions {
  const c = SCENARIOS[scenario];
  return {
    algorithms: c.algorithms as string[],
    issuer: ISSUER,
    audience: (c.audience as string[] | undefined) ?? AUDIENCE,
    clockTolerance: TOL,
    requiredClaims: ['exp', ...((c.requiredClaims as string[] | undefined) ?? [])],
    currentDate: new Date(T),
    ...(c.maxTokenAgeSec === undefined ? {} : { maxTokenAge: c.maxTokenAgeSec as number }),
    ...(c.typ === undefined ? {} : { typ: c.typ as string }),
  };
}

/** jose's error as the policy's reason (the mapping the jose-based verifier used). */
function reasonFor(error: unknown): JwtFailureReason {
  const { code, claim, reason } = error as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'bad_signature';
    case 'ERR_JWT_EXPIRED': return claim === 'iat' ? 'token_too_old' : 'token_expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return 'missing_claim';
      if (reason === 'invalid') return 'malformed';
      return ({ iss: 'wrong_issuer', aud: 'wrong_audience', nbf: 'not_yet_valid', iat: 'not_yet_valid', typ: 'wrong_type' } as Partial<Record<string, JwtFailureReason>>)[claim as string] ?? 'claim_check_failed';
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'alg_not_allowed';
    case 'ERR_JOSE_NOT_SUPPORTED': return 'unsupported_crit';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID': return 'malformed';
    default: return 'verification_failed';
  }
}

async function joseVerdict(run: () => Promise<{ payload: JWTPayload }>): Promise<{ verdict: Verdict; claims?: JWTPayload }> {
  try {
    return { verdict: 'accepted', claims: (await run()).payload };
  } catch (error) {
    return { verdict: reasonFor(error) };
  }
}

/** The published key for a kid, or the only one for an alg (the policy's lookup rule). */
function lookup(kid: unknown, alg: string): JWK | 'unknown_kid' | 'key_alg_mismatch' | 'ambiguous_key' {
  if (kid !== undefined) {
    const jwk = published.find((j) => j.kid === kid);
    return jwk === undefined ? 'unknown_kid' : jwk.alg === alg ? jwk : 'key_alg_mismatch';
  }
  const candidates = published.filter((j) => j.alg === alg);
  return candidates.length === 1 ? candidates[0]! : candidates.length === 0 ? 'unknown_kid' : 'ambiguous_key';
}

const STRICT_SEGMENTS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** jose's jwtVerify inside the policy's documented additions. */
async function reference(scenario: ScenarioName, t: string): Promise<Verdict> {
  if (t.length > 8192) return 'token_too_large';
  if (!STRICT_SEGMENTS.test(t)) return 'malformed';
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(t);
  } catch {
    return 'malformed';
  }
  if (['jku', 'x5u', 'jwk', 'x5c'].some((name) => Object.hasOwn(header, name))) return 'forbidden_header';
  const { alg, kid } = header;
  if (typeof alg !== 'string' || !(SCENARIOS[scenario].algorithms as string[]).includes(alg)) return 'alg_not_allowed';
  if (kid !== undefined && typeof kid !== 'string') return 'malformed';
  let verificationKey: Awaited<ReturnType<typeof importJWK>>;
  if (scenario === 'secret') {
    verificationKey = new TextEncoder().encode(SECRET);
  } else {
    const found = lookup(kid, alg);
    if (typeof found === 'string') return found;
    verificationKey = await importJWK(found, alg);
  }
  const { verdict, claims: verified } = await joseVerdict(() => jwtVerify(t, verificationKey, joseOptions(scenario)));
  if (verdict !== 'accepted') return verdict;
  if (typeof verified!.iat === 'number' && verified!.iat > T / 1000 + TOL) return 'not_yet_valid';
  if (typeof verified!.sub !== 'string' || verified!.sub === '') return 'missing_claim';
  return 'accepted';
}

/** jose alone, with the key the token names (by kid, else the only one for its alg). */
async function bareJose(scenario: ScenarioName, t: string): Promise<Verdict> {
  const options = joseOptions(scenario);
  if (scenario === 'secret') return (await joseVerdict(() => jwtVerify(t, new TextEncoder().encode(SECRET), options))).verdict;
  // Called by jose once the header passed its own checks; a kid that is not a string is ignored.
  const resolve = (header: { kid?: unknown; alg?: string }) => {
    const found = typeof header.kid === 'string' ? published.find((j) => j.kid === header.kid) : lookup(undefined, header.alg ?? '');
    if (found === undefined || typeof found === 'string') throw new Error('no key for this token');
    return importJWK(found);
  };
  return (await joseVerdict(() => jwtVerify(t, resolve, options))).verdict;
}

for (const entry of corpus) {
  test(`${entry.scenario}: ${entry.name}`, async () => {
    const [mine, ref, bare] = await Promise.all([ours(entry.scenario, entry.token), reference(entry.scenario, entry.token), bareJose(entry.scenario, entry.token)]);
    assert.equal(mine, entry.expect, 'ours gives the expected verdict');
    assert.equal(ref, entry.expect, 'the jose reference gives the expected verdict');
    if (mine === 'accepted') assert.equal(bare, 'accepted', 'never accepts what jose refuses');
    assert.equal(bare === 'accepted' && mine !== 'accepted' ? mine : undefined, entry.stricter, 'refuses what jose accepts only where documented');
  });
}

test(`the corpus: ${corpus.length} tokens, every algorithm accepted and refused`, () => {
  assert.ok(corpus.length >= 200, `${corpus.length} tokens`);
  for (const alg of [...ASYMMETRIC, 'HS256', 'HS384', 'HS512']) {
    const mine = corpus.filter((e) => e.name.startsWith(`${alg} `));
    assert.ok(mine.some((e) => e.expect === 'accepted') && mine.some((e) => e.expect !== 'accepted'), alg);
  }
});

