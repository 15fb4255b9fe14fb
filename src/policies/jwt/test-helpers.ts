/**
 * Fixtures for the jwt tests: signing keys, hand-signed tokens, and a local identity provider
 * (JWKS and OpenID configuration on 127.0.0.1) that counts its requests and can rotate keys or go
 * down. Test-only (excluded from the build by name).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters } from 'jose';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { createOutboundClient } from '../../outbound/client.js';
import type { OutboundClient } from '../../core/outbound.js';
import { JwtSchema, type JwtConfig } from './schema.js';

/** A signing key and its public JWK as the IdP publishes it. */
export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

/**
 * A new key pair for `alg`, with its public JWK (`kid`, `alg`, `use: sig`).
 *
 * @example
 * ```ts
 * const rs = await signingKey('RS256', 'rs-1');
 * ```
 */
export async function signingKey(alg: string, kid: string, jwkExtras: Partial<JWK> = {}): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig', ...jwkExtras };
  return { alg, kid, privateKey, publicKey, jwk };
}

/** The issuer and audience every fixture token carries unless told otherwise. */
export const ISSUER = 'https://idp.test';
export const AUDIENCE = 'tasks-api';

/** What a fixture token should look like. */
export interface TokenOptions {
  /** Claims merged over the defaults (iss, aud, sub, iat, exp one hour on); `undefined` removes one. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Header parameters merged over `{ alg, kid }`; `kid: undefined` removes the kid. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** The clock the default iat/exp are relative to (ms). */
  readonly now?: number;
}

/**
 * A token signed with `key`.
 *
 * @example
 * ```ts
 * const token = await sign(rs, { claims: { exp: undefined } }); // no exp
 * ```
 */
export async function sign(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const nowSec = Math.floor((options.now ?? Date.now()) / 1000);
  const payload = withoutUndefined({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: nowSec, exp: nowSec + 3600, ...options.claims });
  const header = withoutUndefined({ alg: key.alg, kid: key.kid, ...options.header }) as unknown as JWTHeaderParameters;
  return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
}

/**
 * A token with any header and no real signature (alg none, malformed headers).
 *
 * @example
 * ```ts
 * unsigned({ alg: 'none' }, { sub: 'alice' }) // 'eyJ….eyJ….'
 * ```
 */
export function unsigned(header: Readonly<Record<string, unknown>>, claims: Readonly<Record<string, unknown>> = {}, signature = ''): string {
  const nowSec = Math.floor(Date.now() / 1000);
  const payload = { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: nowSec, exp: nowSec + 3600, ...claims };
  return `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}.${signature}`;
}

/** base64url of a UTF-8 string. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function withoutUndefined(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** A local identity provider serving a JWKS and an OpenID configuration. */
export interface FakeIdp {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** `<origin>/jwks.json`. */
  readonly jwksUri: string;
  /** How many requests it has answered (or dropped), by path. */
  readonly requests: string[];
  /** Publishes another key set (rotation). */
  setKeys(keys: readonly JWK[]): void;
  /** Serves this body verbatim (and this status) instead of the key set. */
  setRaw(status: number, body: string): void;
  /** Drops every connection without answering (unreachable) while true. */
  setDown(down: boolean): void;
  /** The issuer named in its OpenID configuration (default: the origin). */
  setIssuer(issuer: string): void;
  /** A client allowed to reach it (http to loopback is an explicit allowance). */
  readonly outbound: OutboundClient;
  close(): Promise<void>;
}

/**
 * Starts a fake IdP on 127.0.0.1:0.
 *
 * @example
 * ```ts
 * const idp = await startIdp([rs.jwk]);
 * const env = compileEnvFor(policy, { outbound: idp.outbound });
 * ```
 */
export async function startIdp(keys: readonly JWK[]): Promise<FakeIdp> {
  let body = JSON.stringify({ keys });
  let status = 200;
  let down = false;
  let issuer: string | undefined;
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (down) {
      req.socket.destroy();
      return;
    }
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: issuer ?? origin, jwks_uri: `${origin}/jwks.json` }));
      return;
    }
    if (req.url === '/jwks.json') {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createOutboundClient({ timeoutMs: 2000, maxResponseBytes: 1_048_576, allow: [origin] });
  return {
    origin,
    jwksUri: `${origin}/jwks.json`,
    requests,
    setKeys(next) {
      status = 200;
      body = JSON.stringify({ keys: next });
    },
    setRaw(nextStatus, nextBody) {
      status = nextStatus;
      body = nextBody;
    },
    setDown(value) {
      down = value;
    },
    setIssuer(value) {
      issuer = value;
    },
    outbound: client,
    async close() {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A settable clock.
 *
 * @example
 * ```ts
 * const clock = fakeClock(); clock.advance(3_600_000);
 * ```
 */
export function fakeClock(start = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const validate = (() => {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true });
  addFormats.default(ajv);
  return ajv.compile(JwtSchema);
})();

/**
 * A config as the loader would hand it to compile(): validated, defaults filled in.
 *
 * @example
 * ```ts
 * const config = jwtConfig({ issuer: ISSUER, audience: AUDIENCE, jwksUri: idp.jwksUri });
 * ```
 */
export function jwtConfig(partial: Readonly<Record<string, unknown>>): JwtConfig {
  const config: Record<string, unknown> = structuredClone(partial);
  if (!validate(config)) throw new Error(`invalid test config: ${JSON.stringify(validate.errors)}`);
  return config;
}

/**
 * A token over any header and payload text, signed without jose's checks (for `crit`
 * extensions and payloads jose would refuse to produce).
 *
 * @example
 * ```ts
 * const token = await signRaw(rs, { alg: 'RS256', kid: 'rs-1', crit: ['x'], x: 1 }, 'not json');
 * ```
 */
export async function signRaw(key: SigningKey, header: Readonly<Record<string, unknown>>, payload: string): Promise<string> {
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  return `${input}.${(await signatureOf(key, input)).toString('base64url')}`;
}

/** A shared secret to sign HS* tokens with. */
export interface HmacSigner {
  readonly alg: 'HS256' | 'HS384' | 'HS512';
  readonly secret: string;
}

/**
 * The signature of a JWS signing input (any text, taken as its bytes) with `key`'s algorithm,
 * made with WebCrypto: independent of the policy's node:crypto verification.
 *
 * @example
 * ```ts
 * const sig = await signatureOf(es, `${header}.${payload}`); // 64 bytes, r ‖ s
 * ```
 */
export async function signatureOf(key: SigningKey | HmacSigner, input: string): Promise<Buffer> {
  const data = Buffer.from(input, 'latin1');
  const bits = key.alg.slice(2);
  if ('secret' in key) {
    const secret = await crypto.subtle.importKey('raw', Buffer.from(key.secret, 'utf8'), { name: 'HMAC', hash: `SHA-${bits}` }, false, ['sign']);
    return Buffer.from(await crypto.subtle.sign('HMAC', secret, data));
  }
  const params: Parameters<typeof crypto.subtle.sign>[0] = key.alg.startsWith('RS')
    ? { name: 'RSASSA-PKCS1-v1_5' }
    : key.alg.startsWith('PS')
      ? { name: 'RSA-PSS', saltLength: Number(bits) / 8 }
      : key.alg.startsWith('ES')
        ? { name: 'ECDSA', hash: `SHA-${bits}` }
        : { name: 'Ed25519' };
  return Buffer.from(await crypto.subtle.sign(params, key.privateKey, data));
}
