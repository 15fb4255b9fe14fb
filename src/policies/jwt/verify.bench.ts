/**
 * Micro-benchmark of RS256 verification, µs per token: the policy's authenticate() without its
 * verification cache (node:crypto, synchronous) and with a cache hit; jose's jwtVerify with an
 * imported CryptoKey (WebCrypto, the previous implementation); and the raw signature check
 * (node:crypto.verify with a KeyObject) as the floor. Not a test.
 *
 *   node --import tsx src/policies/jwt/verify.bench.ts [iterations]
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { pino } from 'pino';
import type { OutboundClient } from '../../core/outbound.js';
import { NO_OUTBOUND } from '../../core/outbound.js';
import type { CompileEnv } from '../../core/policy.js';
import { createDenial } from '../../core/problem.js';
import { RequestContext } from '../../core/context.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createJwtAuthenticator } from './verifier.js';
import type { JwtConfig } from './schema.js';

const N = Number(process.argv[2] ?? 2000);
const ISSUER = 'https://idp.bench';
const AUDIENCE = 'bench-api';

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
const nowSec = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ sub: 'alice', scope: 'tasks:read', roles: ['editor'] })
  .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
  .setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(nowSec).setExpirationTime(nowSec + 3600)
  .sign(privateKey);

const outbound: OutboundClient = {
  request: () => Promise.resolve({ status: 200, headers: {}, body: Buffer.from(JSON.stringify({ keys: [jwk] })) }),
  check: (...args) => NO_OUTBOUND.check(...args),
};
const env: CompileEnv = {
  deny: (code) => createDenial(code, { status: 403, title: 'Forbidden', description: '' }),
  logger: pino({ level: 'silent' }),
  routeName: 'bench',
  baseDir: process.cwd(),
  outbound,
  warn: () => undefined,
  audit: () => undefined,
};
const config = (maxEntries: number): JwtConfig => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  jwksUri: 'https://idp.bench/jwks.json',
  discovery: false,
  algorithms: ['RS256'],
  clockToleranceSec: 30,
  requiredClaims: [],
  maxTokenBytes: 8192,
  header: 'authorization',
  claims: { subject: 'sub', roles: 'roles', scopes: 'scope', clientId: 'client_id', attributes: {}, kind: { serviceValues: [] } },
  jwks: { refreshIntervalSec: 300, unknownKidCooldownSec: 30, maxStaleSec: 3600 },
  cache: { maxEntries },
});
const ctx = new RequestContext({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } } as unknown as IncomingMessage, {} as ServerResponse, 'https', '127.0.0.1', 'bench', 0);

async function measure(name: string, run: () => unknown): Promise<number> {
  for (let i = 0; i < 200; i++) await run();
  const start = performance.now();
  for (let i = 0; i < N; i++) await run();
  return report(name, ((performance.now() - start) * 1000) / N, N);
}

/** For what answers synchronously: no await in the loop, as the pipeline's sync fast path. */
function measureSync(name: string, run: () => unknown): number {
  for (let i = 0; i < 200; i++) run();
  const start = performance.now();
  for (let i = 0; i < N; i++) run();
  return report(name, ((performance.now() - start) * 1000) / N, N);
}

function report(name: string, us: number, iterations: number): number {
  process.stdout.write(`${name.padEnd(44)} ${us.toFixed(2).padStart(8)} µs/op  (${iterations} iterations)\n`);
  return us;
}

const keyObject = createPublicKey({ key: jwk, format: 'jwk' });
const dot = token.lastIndexOf('.');
const signingInput = Buffer.from(token.slice(0, dot));
const signature = Buffer.from(token.slice(dot + 1), 'base64url');
const raw = measureSync('raw node:crypto.verify (KeyObject)', () => {
  if (!cryptoVerify('RSA-SHA256', signingInput, keyObject, signature)) throw new Error('bad signature');
});

const uncached = createJwtAuthenticator(config(0), env);
await uncached.ready!();
const first = uncached.authenticate!(ctx);
if (first instanceof Promise || first === undefined || !('principal' in first)) throw new Error('expected a synchronous acceptance without the cache');
const policy = measureSync('policy authenticate, uncached', () => uncached.authenticate!(ctx));

const cached = createJwtAuthenticator(config(10_000), env);
await cached.ready!();
void cached.authenticate!(ctx);
if (cached.authenticate!(ctx) !== cached.authenticate!(ctx)) throw new Error('expected a cache hit');
measureSync('policy authenticate, cache hit', () => cached.authenticate!(ctx));

const cryptoKey = await importJWK(jwk, 'RS256');
const verifyOptions = { algorithms: ['RS256'], issuer: ISSUER, audience: AUDIENCE, clockTolerance: 30, requiredClaims: ['exp'] };
await measure('jose jwtVerify (CryptoKey)', () => jwtVerify(token, cryptoKey, verifyOptions));
{
  // The same with 32 verifications in flight: WebCrypto runs on the libuv thread pool, so
  // throughput under concurrency differs from one-at-a-time latency.
  const batch = 32;
  const rounds = Math.max(1, Math.floor(N / batch));
  const start = performance.now();
  for (let r = 0; r < rounds; r++) await Promise.all(Array.from({ length: batch }, () => jwtVerify(token, cryptoKey, verifyOptions)));
  report('jose jwtVerify, 32 in flight (throughput)', ((performance.now() - start) * 1000) / (rounds * batch), rounds * batch);
}
const webKey = cryptoKey as CryptoKey;
await measure('raw crypto.subtle.verify (CryptoKey)', () => crypto.subtle.verify('RSASSA-PKCS1-v1_5', webKey, signature, signingInput));

process.stdout.write(`\npolicy uncached / raw node:crypto.verify: ${(policy / raw).toFixed(2)}×\n`);

await uncached.close?.();
await cached.close?.();
