// @ts-check
/**
 * Fallback load generator for machines without wrk: CONNS concurrent request loops over an
 * undici Pool of CONNS keep-alive connections, for a fixed duration, then one JSON line with
 * the same fields as wrk.lua's RESULT. Slower than wrk (it needs more CPU per request on the
 * load core), so absolute req/s are lower; ratios between proxies stay comparable. With
 * BENCH_TOKENS_FILE (one JWT per line) every request carries `Authorization: Bearer <token>`,
 * the tokens taken in turn across all connections, as wrk.lua does.
 *
 *   LOAD_URL=http://127.0.0.1:41001 LOAD_CONNS=32 LOAD_DURATION_MS=8000 \
 *   BENCH_METHOD=GET BENCH_PATH=/s1/x BENCH_HEADERS=$'host: x\n' [BENCH_TOKENS_FILE=…] node bench/load.mjs
 */
import { readFileSync } from 'node:fs';
import { createHistogram, performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const url = process.env.LOAD_URL ?? '';
const conns = Number(process.env.LOAD_CONNS ?? 32);
const durationMs = Number(process.env.LOAD_DURATION_MS ?? 8000);
const method = /** @type {'GET'} */ (process.env.BENCH_METHOD ?? 'GET');
const path = process.env.BENCH_PATH ?? '/';
const body = process.env.BENCH_BODY || null;
/** @type {Record<string, string>} */
const headers = {};
for (const line of (process.env.BENCH_HEADERS ?? '').split('\n')) {
  const i = line.indexOf(':');
  if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
}

// One header object per token, built before the clock starts.
const tokensFile = process.env.BENCH_TOKENS_FILE;
const variants = tokensFile
  ? readFileSync(tokensFile, 'utf8').split('\n').filter((t) => t.length > 0).map((t) => ({ ...headers, authorization: `Bearer ${t}` }))
  : [headers];
if (variants.length === 0) throw new Error(`no tokens in ${tokensFile}`);
let next = 0;

const pool = new Pool(url, { connections: conns, pipelining: 1 });
const hist = createHistogram();
let requests = 0;
let non2xx = 0;
let errors = 0;

/** @param {number} deadline */
async function loop(deadline) {
  while (performance.now() < deadline) {
    const t0 = process.hrtime.bigint();
    try {
      const h = variants[next];
      next = next + 1 === variants.length ? 0 : next + 1;
      const r = await pool.request({ path, method, headers: h, body });
      await r.body.dump();
      if (r.statusCode < 200 || r.statusCode > 299) non2xx++;
      hist.record(Math.max(1, Number(process.hrtime.bigint() - t0)));
      requests++;
    } catch {
      errors++;
    }
  }
}

const start = performance.now();
await Promise.all(Array.from({ length: conns }, () => loop(start + durationMs)));
const elapsedUs = Math.round((performance.now() - start) * 1000);
await pool.destroy();
console.log(JSON.stringify({
  requests,
  durationUs: elapsedUs,
  p50Us: Math.round(hist.percentile(50) / 1000),
  p99Us: Math.round(hist.percentile(99) / 1000),
  non2xx,
  errors,
}));
