// @ts-check
/**
 * The bare Node floor Portcullis is compared with: node:http + an undici Pool, the same logic
 * as the shared harness's peers/undici-proxy.js — hop-by-hop headers filtered both ways, body
 * streamed with `data` events — on its s1 (pass-through) and s2 paths:
 *
 *   /s2/*  hand-rolled RS256 JWT check with node:crypto (KeyObject built once): alg, signature,
 *          exp, nbf, iss, aud; 401 otherwise. The floor for "Node + JWT", no library overhead and
 *          no cache. Needs BENCH_JWT_RS256_PUBLIC_KEY (PEM path), BENCH_JWT_ISS, BENCH_JWT_AUD;
 *          without them /s2/ answers 500 (never a silent pass-through).
 *   else   pass-through.
 *
 * Nothing else: no routing, no policies, no correlation id, no X-Forwarded-*. Plain JavaScript,
 * like the shared peer, so no TypeScript loader runs in the measured process.
 *
 *   BENCH_PORT=41001 BENCH_UPSTREAM=http://127.0.0.1:41000 node bench/undici-proxy.mjs
 */
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Pool } from 'undici';

const env = process.env;
const port = Number(env.BENCH_PORT);
const upstream = env.BENCH_UPSTREAM ?? '';
if (!Number.isInteger(port) || port <= 0 || upstream === '') throw new Error('BENCH_PORT and BENCH_UPSTREAM are required');
const rsKey = env.BENCH_JWT_RS256_PUBLIC_KEY ? crypto.createPublicKey(readFileSync(env.BENCH_JWT_RS256_PUBLIC_KEY, 'utf8')) : undefined;
const iss = env.BENCH_JWT_ISS;
const aud = env.BENCH_JWT_AUD;

const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/**
 * The shared peer's verifyJwt, RS256 only.
 * @param {string | undefined} auth
 * @param {crypto.KeyObject} key
 * @returns {Record<string, unknown> | null}
 */
function verifyJwt(auth, key) {
  if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) return null;
  const tok = auth.slice(7);
  const d1 = tok.indexOf('.');
  const d2 = tok.indexOf('.', d1 + 1);
  if (d1 < 0 || d2 < 0 || tok.indexOf('.', d2 + 1) !== -1) return null;
  /** @type {any} */
  let payload;
  try {
    const header = JSON.parse(Buffer.from(tok.slice(0, d1), 'base64url').toString());
    if (header.alg !== 'RS256') return null;
    const data = Buffer.from(tok.slice(0, d2));
    const sig = Buffer.from(tok.slice(d2 + 1), 'base64url');
    if (!crypto.verify('RSA-SHA256', data, key, sig)) return null;
    payload = JSON.parse(Buffer.from(tok.slice(d1 + 1, d2), 'base64url').toString());
  } catch {
    return null;
  }
  const now = Date.now() / 1000;
  if (typeof payload.exp !== 'number' || payload.exp <= now) return null;
  if (typeof payload.nbf === 'number' && payload.nbf > now + 5) return null;
  if (payload.iss !== iss || payload.aud !== aud) return null;
  return payload;
}

/** @param {http.ServerResponse} res @param {number} code */
function reject(res, code) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(`{"error":${code}}`);
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/s2/')) {
    if (rsKey === undefined) return reject(res, 500);
    if (!verifyJwt(req.headers.authorization, rsKey)) return reject(res, 401);
  }
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (!HOP.has(k) && v !== undefined) headers[k] = v;
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.request({ path: url, method: /** @type {'GET'} */ (req.method), headers, body: hasBody ? req : null }).then(({ statusCode, headers: uh, body }) => {
    /** @type {Record<string, string | string[]>} */
    const out = {};
    for (const k in uh) {
      const v = uh[k];
      if (!HOP.has(k) && v !== undefined) out[k] = v;
    }
    res.writeHead(statusCode, out);
    body.on('data', (c) => res.write(c));
    body.on('end', () => res.end());
    body.on('error', () => res.destroy());
  }, () => {
    if (!res.headersSent) reject(res, 502);
    else res.destroy();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0));
