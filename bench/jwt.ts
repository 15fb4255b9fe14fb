/**
 * JWT material for the benchmark: an RS256 key pair made with node:crypto at the start of a run,
 * N distinct signed tokens (the load generators cycle through them, as the shared harness's
 * bench.lua does), the JWK set the upstream serves, and tokens a correct verifier must refuse
 * (for the functional checks). Also the jwt policy's YAML, shared by run.ts and peer.ts so both
 * benchmark the same policy configuration.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Issuer and audience of the bench's tokens (the shared harness's BENCH_JWT_ISS / BENCH_JWT_AUD defaults). */
export const JWT_ISSUER = 'https://issuer.bench.local';
export const JWT_AUDIENCE = 'bench-api';
/** The `kid` of the bench's key (the shared harness's gen-keys.js uses the same). */
export const JWT_KID = 'bench-rs256';

/** What {@link generateJwtMaterial} wrote. */
export interface JwtMaterial {
  /** Number of distinct valid tokens. */
  readonly count: number;
  /** One valid token per line. */
  readonly tokensFile: string;
  /** `{"keys":[…]}` with the public key (kid, alg RS256, use sig). */
  readonly jwksFile: string;
  /** The public key as SPKI PEM (for the undici floor, like the shared harness's peers). */
  readonly publicKeyFile: string;
  /** A valid token (the first of the file). */
  readonly valid: string;
  /** Tokens that must be refused with 401, by what is wrong with them. */
  readonly bad: Readonly<Record<'signed by another key' | 'expired' | 'wrong aud' | 'wrong iss', string>>;
}

const b64u = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function signRs256(key: KeyObject, payload: Readonly<Record<string, unknown>>): string {
  const input = `${b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: JWT_KID }))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(sign('RSA-SHA256', Buffer.from(input), key))}`;
}

/**
 * Generates an RSA-2048 key pair and `count` tokens (distinct `sub` and `jti`; exp one hour
 * ahead) into `dir`.
 *
 * @example
 * ```ts
 * const jwt = generateJwtMaterial('bench/run/jwt', 1000);
 * // jwt.tokensFile: 1000 lines; jwt.jwksFile: what GET /jwks on the upstream returns
 * ```
 */
export function generateJwtMaterial(dir: string, count: number): JwtMaterial {
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const now = Math.floor(Date.now() / 1000);
  const claims = (i: number, extra: Readonly<Record<string, unknown>> = {}) => ({
    iss: JWT_ISSUER, aud: JWT_AUDIENCE, sub: `user-${i}`, scope: 'orders:read orders:write',
    iat: now, nbf: now - 60, exp: now + 3600, jti: randomUUID(), ...extra,
  });
  const tokens = Array.from({ length: count }, (_, i) => signRs256(privateKey, claims(i)));
  const files = {
    tokensFile: join(dir, 'tokens-rs256.txt'),
    jwksFile: join(dir, 'jwks.json'),
    publicKeyFile: join(dir, 'rs256-public.pem'),
  };
  writeFileSync(files.tokensFile, `${tokens.join('\n')}\n`);
  writeFileSync(files.jwksFile, `${JSON.stringify({ keys: [jwkFromPublicKey(publicKey, JWT_KID, 'RS256')] })}\n`);
  writeFileSync(files.publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    count,
    ...files,
    valid: tokens[0]!,
    bad: {
      'signed by another key': signRs256(other.privateKey, claims(1)),
      expired: signRs256(privateKey, claims(1, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 })),
      'wrong aud': signRs256(privateKey, claims(1, { aud: 'someone-else' })),
      'wrong iss': signRs256(privateKey, claims(1, { iss: 'https://evil.example' })),
    },
  };
}

/**
 * A public key (KeyObject or PEM text) as a JWK with `kid`, `alg` and `use: sig`.
 *
 * @example
 * ```ts
 * jwkFromPublicKey(readFileSync('rs256-public.pem', 'utf8'), 'bench-rs256', 'RS256'); // { kty: 'RSA', n, e, kid, alg, use }
 * ```
 */
export function jwkFromPublicKey(key: KeyObject | string, kid: string, alg: string): Record<string, unknown> {
  const object = typeof key === 'string' ? createPublicKey(key) : key;
  return { ...object.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

/** What the bench's jwt policy varies. */
export interface JwtPolicyOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly algorithms: readonly string[];
  /** The verification cache's bound; absent: the policy's default (10000). 0 disables it. */
  readonly maxEntries?: number;
}

/**
 * The jwt policy's config as a YAML flow mapping, for a route's `policies`.
 *
 * @example
 * ```ts
 * `{ path: "/s2/*", methods: [GET], upstream: api, policies: { jwt: ${jwtPolicyYaml({ issuer, audience, jwksUri, algorithms: ['RS256'] })} } }`
 * ```
 */
export function jwtPolicyYaml(o: JwtPolicyOptions): string {
  const cache = o.maxEntries === undefined ? '' : `, cache: { maxEntries: ${o.maxEntries} }`;
  return `{ issuer: ${JSON.stringify(o.issuer)}, audience: ${JSON.stringify(o.audience)}, jwksUri: ${JSON.stringify(o.jwksUri)}, algorithms: [${o.algorithms.join(', ')}]${cache} }`;
}
