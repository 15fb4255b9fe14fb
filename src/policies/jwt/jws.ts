/**
 * The compact JWS (RFC 7515 §7.1) of a JWT: parsed strictly and its signature checked with
 * node:crypto, synchronously. jose's jwtVerify goes through WebCrypto, whose every call is a
 * Promise settled on the thread pool (five to seven times the raw RS256 check); a KeyObject
 * prepared once per key and a direct `crypto.verify` cost the crypto and little else.
 *
 * Keys are bound to one algorithm when they are built, and built only when the key's type, curve
 * and size fit that algorithm, so a request can never pair an RSA key with `ES256` or a public
 * key with `HS256`: the per-request code only calls the key it was handed.
 */
import { constants, createHmac, createPublicKey, timingSafeEqual, verify, type JsonWebKey, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

/** What the signature check of one algorithm needs. */
interface AlgorithmSpec {
  /** How the key is used. */
  readonly family: 'RSA' | 'PSS' | 'EC' | 'OKP' | 'HMAC';
  /** node:crypto's digest name; null for EdDSA (the hash is part of the scheme). */
  readonly hash: string | null;
  /** The key's curve as node:crypto names it (EC: `namedCurve`; OKP: `asymmetricKeyType`). */
  readonly curve?: string;
  /** The exact length of an ECDSA signature (r ‖ s, RFC 7518 §3.4). */
  readonly signatureBytes?: number;
}

/** The JWS algorithms this module verifies (RFC 7518 §3, RFC 8037, RFC 9864 for `Ed25519`). */
const ALGORITHMS: ReadonlyMap<string, AlgorithmSpec> = new Map<string, AlgorithmSpec>([
  ['RS256', { family: 'RSA', hash: 'sha256' }],
  ['RS384', { family: 'RSA', hash: 'sha384' }],
  ['RS512', { family: 'RSA', hash: 'sha512' }],
  ['PS256', { family: 'PSS', hash: 'sha256' }],
  ['PS384', { family: 'PSS', hash: 'sha384' }],
  ['PS512', { family: 'PSS', hash: 'sha512' }],
  ['ES256', { family: 'EC', hash: 'sha256', curve: 'prime256v1', signatureBytes: 64 }],
  ['ES384', { family: 'EC', hash: 'sha384', curve: 'secp384r1', signatureBytes: 96 }],
  ['ES512', { family: 'EC', hash: 'sha512', curve: 'secp521r1', signatureBytes: 132 }],
  // jose (and so the JWKS import) knows Ed25519 only; Ed448 keys never get this far.
  ['EdDSA', { family: 'OKP', hash: null, curve: 'ed25519' }],
  ['Ed25519', { family: 'OKP', hash: null, curve: 'ed25519' }],
  ['HS256', { family: 'HMAC', hash: 'sha256' }],
  ['HS384', { family: 'HMAC', hash: 'sha384' }],
  ['HS512', { family: 'HMAC', hash: 'sha512' }],
]);

/** RFC 7518 §3.3 and §3.5: smaller RSA keys are refused, as jose refuses them. */
const MIN_RSA_BITS = 2048;

/** A key bound to the one algorithm it verifies. */
export interface VerificationKey {
  /** The JWS `alg` this key verifies, and no other. */
  readonly alg: string;
  /** Whether `signature` is a valid signature of `data` with this key and algorithm. Never throws. */
  verify(data: Buffer, signature: Buffer): boolean;
}

/**
 * A public KeyObject from a JWK, built from exactly the members that define the key (`kty`,
 * `crv`, `n`, `e`, `x`, `y`): whatever else the JWK carries cannot change what node:crypto
 * imports. Throws on a key node:crypto cannot import (a point off its curve, say).
 *
 * @example
 * ```ts
 * const keyObject = publicKeyFromJwk({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * ```
 */
export function publicKeyFromJwk(jwk: Readonly<Record<string, unknown>>): KeyObject {
  const members: JsonWebKey = {};
  for (const name of ['kty', 'crv', 'n', 'e', 'x', 'y'] as const) {
    const value = jwk[name];
    if (typeof value === 'string') members[name] = value;
  }
  return createPublicKey({ key: members, format: 'jwk' });
}

/**
 * Binds a public KeyObject to `alg`. Throws a TypeError when the key cannot verify it: an RSA
 * key under 2048 bits, a curve other than the algorithm's, a key of another type, a private key.
 *
 * @example
 * ```ts
 * const key = asymmetricKey('ES256', createPublicKey({ key: jwk, format: 'jwk' }));
 * key.verify(Buffer.from(signingInput, 'latin1'), signature) // true or false
 * ```
 */
export function asymmetricKey(alg: string, key: KeyObject): VerificationKey {
  const spec = ALGORITHMS.get(alg);
  if (spec === undefined || spec.family === 'HMAC') throw new TypeError(`${alg} is not an asymmetric JWS algorithm`);
  if (key.type !== 'public') throw new TypeError(`${alg} needs a public key, not a ${key.type} key`);
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const { hash } = spec;
  let check: (data: Buffer, signature: Buffer) => boolean;
  switch (spec.family) {
    case 'RSA':
    case 'PSS': {
      if (type !== 'rsa') throw new TypeError(`${alg} needs an RSA key, not ${type}`);
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw new TypeError(`${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`);
      // PKCS#1 v1.5 is node's default padding for RSA keys; PSS with the salt as long as the
      // digest is what RFC 7518 §3.5 (and WebCrypto's saltLength in jose) requires.
      const input: KeyObject | VerifyKeyObjectInput = spec.family === 'RSA' ? key : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
      check = (data, signature) => verify(hash, data, input, signature);
      break;
    }
    case 'EC': {
      if (type !== 'ec' || details.namedCurve !== spec.curve) throw new TypeError(`${alg} needs an EC key on ${spec.curve}, not ${type} ${details.namedCurve ?? ''}`.trimEnd());
      // JWS carries r ‖ s (IEEE P1363), never DER; anything but the exact length is refused
      // before OpenSSL sees it.
      const input: VerifyKeyObjectInput = { key, dsaEncoding: 'ieee-p1363' };
      const length = spec.signatureBytes;
      check = (data, signature) => signature.length === length && verify(hash, data, input, signature);
      break;
    }
    default: {
      if (type !== spec.curve) throw new TypeError(`${alg} needs an ${spec.curve} key, not ${type}`);
      check = (data, signature) => verify(null, data, key, signature);
    }
  }
  return Object.freeze({ alg, verify: (data: Buffer, signature: Buffer) => guarded(check, data, signature) });
}

/**
 * Binds a shared secret to an HS* algorithm. The MAC is compared in constant time; a MAC of
 * another length is simply wrong (timingSafeEqual would throw on it).
 *
 * @example
 * ```ts
 * const key = hmacKey('HS256', Buffer.from(secret, 'utf8'));
 * ```
 */
export function hmacKey(alg: string, secret: Buffer): VerificationKey {
  const spec = ALGORITHMS.get(alg);
  if (spec?.family !== 'HMAC') throw new TypeError(`${alg} is not an HMAC JWS algorithm`);
  const hash = spec.hash!;
  const bytes = Buffer.from(secret);
  const check = (data: Buffer, signature: Buffer) => {
    const mac = createHmac(hash, bytes).update(data).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  };
  return Object.freeze({ alg, verify: (data: Buffer, signature: Buffer) => guarded(check, data, signature) });
}

// A signature OpenSSL cannot even parse is a bad signature, as jose reports a throwing
// crypto.subtle.verify: one answer for every forgery.
function guarded(check: (data: Buffer, signature: Buffer) => boolean, data: Buffer, signature: Buffer): boolean {
  try {
    return check(data, signature);
  } catch {
    return false;
  }
}

/** A compact JWS split and its header decoded; the payload stays encoded until the signature holds. */
export interface CompactJws {
  /** The protected header, a JSON object. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The ASCII bytes of `header.payload` exactly as received: what the signature covers. */
  readonly signingInput: Buffer;
  /** The payload segment, still base64url. */
  readonly payload: string;
  /** The signature's bytes. */
  readonly signature: Buffer;
}

/**
 * Three base64url segments (RFC 7515 §2: the URL-safe alphabet, no padding, no whitespace); the
 * signature may be empty (it then fails like any wrong one).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Splits a compact JWS and decodes its protected header. Undefined when the token is not three
 * strict base64url segments or the header is not a JSON object: the caller's `malformed`.
 *
 * @example
 * ```ts
 * const jws = parseCompact(token);
 * if (jws !== undefined && key.verify(jws.signingInput, jws.signature)) decodeJsonObject(jws.payload);
 * ```
 */
export function parseCompact(token: string): CompactJws | undefined {
  if (!COMPACT_JWS.test(token)) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  // A segment of 4n+1 characters ends in a character that encodes no whole byte: not base64url,
  // whatever a lenient decoder would make of it.
  if (first % 4 === 1 || (second - first - 1) % 4 === 1 || (token.length - second - 1) % 4 === 1) return undefined;
  const header = decodeJsonObject(token.slice(0, first));
  if (header === undefined) return undefined;
  return {
    header,
    // The regex allows only ASCII, so latin1 is the exact byte string that was signed.
    signingInput: Buffer.from(token.slice(0, second), 'latin1'),
    payload: token.slice(first + 1, second),
    signature: Buffer.from(token.slice(second + 1), 'base64url'),
  };
}

// As jose decodes: invalid UTF-8 is refused rather than replaced, and a leading BOM is dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A base64url segment (already checked against the alphabet) decoded as a JSON object; undefined
 * for invalid UTF-8, invalid JSON, and any JSON value that is not an object.
 *
 * @example
 * ```ts
 * decodeJsonObject('eyJhIjoxfQ') // { a: 1 }
 * decodeJsonObject('WzFd')       // undefined ([1] is not an object)
 * ```
 */
export function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The `crit` header (RFC 7515 §4.1.11), judged as jose judges it for a JWT: absent is fine; it
 * must otherwise be a non-empty array of non-empty names, each understood. The only extension
 * understood is `b64` (RFC 7797), and for a JWT only with its default `true`: `b64: false`
 * (an unencoded payload) is malformed. Any other name, standard parameters included, is
 * `unsupported_crit`: a token that demands an extension we do not implement is refused.
 *
 * @example
 * ```ts
 * critProblem({ alg: 'RS256', crit: ['exp-policy'], 'exp-policy': 1 }) // 'unsupported_crit'
 * ```
 */
export function critProblem(header: Readonly<Record<string, unknown>>): 'malformed' | 'unsupported_crit' | undefined {
  const crit = header.crit;
  if (crit === undefined) return undefined;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name.length === 0)) return 'malformed';
  // In order, so that the first offending name decides, as in jose.
  for (const name of crit) {
    if (name !== 'b64') return 'unsupported_crit';
    if (!Object.hasOwn(header, 'b64')) return 'malformed';
  }
  return header.b64 === true ? undefined : 'malformed';
}
