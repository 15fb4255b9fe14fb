// @ts-check
/**
 * The bare Node floor Portcullis is compared with: node:http + an undici Pool, the same logic
 * as the shared harness's peers/undici-proxy.js on its s1 (pass-through) path — hop-by-hop
 * headers filtered both ways, body streamed with `data` events. Nothing else: no routing, no
 * policies, no correlation id, no X-Forwarded-*. Plain JavaScript, like the shared peer, so no
 * TypeScript loader runs in the measured process.
 *
 *   BENCH_PORT=41001 BENCH_UPSTREAM=http://127.0.0.1:41000 node bench/undici-proxy.mjs
 */
import http from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.BENCH_PORT);
const upstream = process.env.BENCH_UPSTREAM ?? '';
if (!Number.isInteger(port) || port <= 0 || upstream === '') throw new Error('BENCH_PORT and BENCH_UPSTREAM are required');

const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** @param {http.ServerResponse} res @param {number} code */
function reject(res, code) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(`{"error":${code}}`);
}

const server = http.createServer((req, res) => {
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (!HOP.has(k) && v !== undefined) headers[k] = v;
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.request({ path: req.url ?? '/', method: /** @type {'GET'} */ (req.method), headers, body: hasBody ? req : null }).then(({ statusCode, headers: uh, body }) => {
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
