/**
 * Portcullis as a peer of the shared gateway benchmark (shared/bench/run.sh, PEER_CMD): reads
 * the harness's BENCH_* environment (see shared/bench/peers/common.js), writes a configuration
 * with the harness's routes and runs `portcullis start` on it in this process, so the pinned
 * process group the harness measures holds the gateway and nothing else.
 *
 *   REPO=/work/main
 *   PEER_CMD="node --import $REPO/node_modules/tsx/dist/loader.mjs $REPO/bench/peer.ts" \
 *   PEER_NAME=portcullis PEER_SCENARIOS='s1:- s2:jwt s2e:jwt s3:jwt,rl,cors,schema,waf' PEER_NEEDS_REDIS=1 bench/run.sh
 *
 * (`--import tsx` alone resolves tsx from the working directory, which is the harness's.)
 *
 * s2/s2e: the harness hands out PEM public keys (BENCH_JWT_RS256_PUBLIC_KEY,
 * BENCH_JWT_ES256_PUBLIC_KEY), the jwt policy takes keys only from a JWKS URL (or discovery, or
 * an HS* secret). So this process converts the PEMs into a JWK set (kids `bench-rs256` and
 * `bench-es256`, as the harness's gen-keys.js puts in its tokens' headers) and serves it from a
 * tiny node:http server on a loopback port of its own, listed under `outbound.allow`. It is asked
 * at startup and by the policy's background refresh (every 300 s), so its CPU in the measured
 * group is negligible. PORTCULLIS_JWT_CACHE_MAX_ENTRIES sets the verification cache's bound
 * (default 10000; 0 disables it): with the harness's 1000 tokens the default makes s2/s2e a
 * cache-hit test.
 *
 * s3 (`POST /s3/*`): what exists of the harness's s3 today, and nothing more is claimed:
 * - jwt: as s2 (RS256; the harness's s3 requests carry its RS256 tokens).
 * - rl: the rate-limit policy, one sliding-window limit of BENCH_RATE_LIMIT_MAX per minute keyed
 *   by client IP (never triggers, like every peer's), `failureMode: closed` (an unreachable
 *   Redis fails the harness's check with 503s instead of silently counting in memory). On Redis
 *   (BENCH_REDIS_URL, with a key prefix of this process's own) when PEER_NEEDS_REDIS=1, which
 *   also makes run.sh start its pinned redis-server; otherwise in memory. PORTCULLIS_RL_STORE
 *   (memory | redis) and PORTCULLIS_RL_ALGORITHM (sliding-window | fixed-window | token-bucket;
 *   @fastify/rate-limit counts a fixed window) override either.
 * - cors: BENCH_CORS_ORIGIN only; schema: the harness's order schema (BENCH_SCHEMA) as the body
 *   of POST /s3/orders in a generated OpenAPI document (the route comes from it; openapi policy);
 *   waf: the waf policy at paranoia 1.
 * - Not claimed: hdr: the default security headers are on every response (nosniff, CSP, ...), but
 *   HSTS only over HTTPS or behind a trusted proxy's `X-Forwarded-Proto: https` (RFC 6797 §7.2),
 *   and the harness speaks plain HTTP without that header, so its `strict-transport-security`
 *   check fails.
 * So claim `s3:jwt,rl,cors,schema,waf`: tools/check.js checks only the claimed features.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStart } from '../src/cli/start.js';
import { gatewayYaml, rateLimitPolicyYaml } from './gateway-config.js';
import { jwkFromPublicKey, jwtPolicyYaml } from './jwt.js';

const env = process.env;
const port = Number(env.BENCH_PORT ?? 27190);
const upstream = env.BENCH_UPSTREAM ?? 'http://127.0.0.1:27180';
const runDir = env.BENCH_RUN_DIR ?? tmpdir();
const keyDir = env.BENCH_KEY_DIR ?? join(runDir, 'keys');
const file = join(runDir, `portcullis-peer-${port}.yaml`);
const issuer = env.BENCH_JWT_ISS ?? 'https://issuer.bench.local';
const audience = env.BENCH_JWT_AUD ?? 'bench-api';
const maxEntries = env.PORTCULLIS_JWT_CACHE_MAX_ENTRIES === undefined || env.PORTCULLIS_JWT_CACHE_MAX_ENTRIES === '' ? undefined : Number(env.PORTCULLIS_JWT_CACHE_MAX_ENTRIES);
if (maxEntries !== undefined && !(Number.isInteger(maxEntries) && maxEntries >= 0)) throw new Error('PORTCULLIS_JWT_CACHE_MAX_ENTRIES must be an integer >= 0');

// The harness's keys, by scenario: PEM path, the kid its tokens carry, the algorithm.
const KEYS = [
  { scenario: 's2', pem: env.BENCH_JWT_RS256_PUBLIC_KEY ?? join(keyDir, 'rs256-public.pem'), kid: 'bench-rs256', alg: 'RS256' },
  { scenario: 's2e', pem: env.BENCH_JWT_ES256_PUBLIC_KEY ?? join(keyDir, 'es256-public.pem'), kid: 'bench-es256', alg: 'ES256' },
] as const;

const jwks: Array<Record<string, unknown>> = [];
const jwtScenarios: Array<(typeof KEYS)[number]> = [];
for (const k of KEYS) {
  let pem: string;
  try {
    pem = readFileSync(k.pem, 'utf8');
  } catch (error) {
    console.error(`portcullis peer: no ${k.alg} key (${(error as Error).message}): route /${k.scenario}/* left out`);
    continue;
  }
  jwks.push(jwkFromPublicKey(pem, k.kid, k.alg));
  jwtScenarios.push(k);
}

const routes = ['{ path: "/s1/*", methods: [GET], upstream: api, public: true }'];
const topLevel: string[] = [];
const outboundAllow: string[] = [];
if (jwks.length > 0) {
  const body = Buffer.from(`${JSON.stringify({ keys: jwks })}\n`);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks') res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'content-length': String(body.length) }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  // The gateway's shutdown must not wait for it.
  server.unref();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  outboundAllow.push(origin);
  for (const k of jwtScenarios) {
    const policy = jwtPolicyYaml({ issuer, audience, jwksUri: `${origin}/jwks`, algorithms: [k.alg], maxEntries });
    routes.push(`{ path: "/${k.scenario}/*", methods: [GET], upstream: api, policies: { jwt: ${policy} } }`);
  }
}

// s3: jwt (RS256, as s2) + rate-limit; see the header for what is not there.
const rlStore = env.PORTCULLIS_RL_STORE ?? (env.PEER_NEEDS_REDIS === '1' ? 'redis' : 'memory');
if (rlStore !== 'memory' && rlStore !== 'redis') throw new Error('PORTCULLIS_RL_STORE must be memory or redis');
const rlAlgorithm = env.PORTCULLIS_RL_ALGORITHM ?? 'sliding-window';
if (rlAlgorithm !== 'sliding-window' && rlAlgorithm !== 'fixed-window' && rlAlgorithm !== 'token-bucket') throw new Error('PORTCULLIS_RL_ALGORITHM must be sliding-window, fixed-window or token-bucket');
const rlMax = env.BENCH_RATE_LIMIT_MAX ?? '1000000000';
const redisUrl = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const rs256 = jwtScenarios.find((k) => k.alg === 'RS256');
let s3 = 'none (no RS256 key)';
if (rs256 !== undefined) {
  const jwt = jwtPolicyYaml({ issuer, audience, jwksUri: `${outboundAllow[0]!}/jwks`, algorithms: ['RS256'], maxEntries });
  const keyPrefix = `portcullis-peer:${process.pid}-${Date.now()}:`;
  const store = rlStore === 'memory' ? { type: 'memory' as const } : { type: 'redis' as const, url: redisUrl, keyPrefix };
  const rateLimit = rateLimitPolicyYaml({ rate: `${rlMax}/min`, algorithm: rlAlgorithm, store });
  const origin = env.BENCH_CORS_ORIGIN ?? 'https://app.example.com';
  const cors = `{ origins: [${JSON.stringify(origin)}], methods: [POST], allowedHeaders: [authorization, content-type] }`;
  // schema: the harness's JSON schema as the request body of POST /s3/orders in an OpenAPI
  // document, so the route comes from the document and the openapi policy validates it.
  const schema = JSON.parse(readFileSync(env.BENCH_SCHEMA ?? join(import.meta.dirname, '../../shared/bench/scenarios/order.schema.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$id;
  const document = join(runDir, `portcullis-peer-${port}.openapi.json`);
  writeFileSync(document, JSON.stringify({
    openapi: '3.1.0', info: { title: 'bench s3', version: '1' },
    paths: { '/s3/orders': { post: { operationId: 'createOrder', requestBody: { required: true, content: { 'application/json': { schema } } }, responses: { default: { description: 'any' } } } } },
  }));
  topLevel.push('openapi:', `  document: ${JSON.stringify(document)}`, '  upstream: api', `  operations: [{ policies: { jwt: ${jwt}, rate-limit: ${rateLimit}, cors: ${cors}, waf: { mode: block }, openapi: { response: off } } }]`);
  s3 = `from an OpenAPI document: jwt + rate-limit ${rlMax}/min ${rlAlgorithm} per ip (${rlStore === 'memory' ? 'memory store' : `Redis ${redisUrl}, key prefix ${keyPrefix}`}) + cors + schema (openapi) + waf PL1`;
}
const placeholders = ['hdr: HSTS only over HTTPS or behind a trusted X-Forwarded-Proto (RFC 6797 §7.2)'];

writeFileSync(file, gatewayYaml({ port, upstream, routes, outboundAllow, comments: placeholders, topLevel }));
const code = await runStart(['--config', file], { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
if (code !== 0) process.exit(code);
console.log(`portcullis peer listening on 127.0.0.1:${port} -> ${upstream} (config ${file}; JWKS ${outboundAllow[0] ?? 'none'}/jwks; s3: ${s3})`);
