/**
 * Portcullis as a peer of the shared gateway benchmark (shared/bench/run.sh, PEER_CMD): reads
 * the harness's BENCH_* environment (see shared/bench/peers/common.js), writes a configuration
 * with the harness's routes and runs `portcullis start` on it in this process, so the pinned
 * process group the harness measures holds the gateway and nothing else.
 *
 *   REPO=/work/main
 *   PEER_CMD="node --import $REPO/node_modules/tsx/dist/loader.mjs $REPO/bench/peer.ts" \
 *   PEER_NAME=portcullis PEER_SCENARIOS='s1:-' bench/run.sh
 *
 * (`--import tsx` alone resolves tsx from the working directory, which is the harness's.)
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStart } from '../src/cli/start.js';
import { gatewayYaml } from './gateway-config.js';

const env = process.env;
const port = Number(env.BENCH_PORT ?? 27190);
const upstream = env.BENCH_UPSTREAM ?? 'http://127.0.0.1:27180';
const file = join(env.BENCH_RUN_DIR ?? tmpdir(), `portcullis-peer-${port}.yaml`);

// Placeholders until the policies exist; each names the harness input it will be built from.
// Note for s3 `hdr`: the harness checks for HSTS, which Portcullis sends only over HTTPS
// (RFC 6797 §7.2) and the harness speaks plain HTTP.
const placeholders = [
  `s2:  { path: "/s2/*", methods: [GET], upstream: api, public: true, policies: { jwt: { alg: RS256, key: ${env.BENCH_JWT_RS256_PUBLIC_KEY ?? '?'}, iss: ${env.BENCH_JWT_ISS ?? '?'}, aud: ${env.BENCH_JWT_AUD ?? '?'} } } }`,
  `s2e: { path: "/s2e/*", methods: [GET], upstream: api, public: true, policies: { jwt: { alg: ES256, key: ${env.BENCH_JWT_ES256_PUBLIC_KEY ?? '?'} } } }`,
  `s3:  { path: "/s3/*", methods: [POST], upstream: api, public: true, policies: { jwt, rate-limit: { max: ${env.BENCH_RATE_LIMIT_MAX ?? '?'}, windowMs: 60000, key: ip }, cors: { origins: [${env.BENCH_CORS_ORIGIN ?? '?'}] }, schema: ${env.BENCH_SCHEMA ?? '?'}, waf: {} } }`,
];

writeFileSync(file, gatewayYaml({ port, upstream, routes: ['{ path: "/s1/*", methods: [GET], upstream: api, public: true }'], comments: placeholders }));
const code = await runStart(['--config', file], { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
if (code !== 0) process.exit(code);
console.log(`portcullis peer listening on 127.0.0.1:${port} -> ${upstream} (config ${file})`);
