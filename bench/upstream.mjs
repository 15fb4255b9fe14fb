// @ts-check
/**
 * The benchmark's upstream: node:http answering every request with 200 and a small JSON body
 * (the same body as the shared harness's nginx upstream). Runs in its own process, pinned with
 * the load generator, so the proxy under test has its core alone. With BENCH_JWKS_FILE it also
 * plays the identity provider: GET /jwks answers that file (the JWK set of the bench's tokens),
 * which Portcullis's jwt policy fetches at startup through its outbound client.
 *
 *   BENCH_UPSTREAM_PORT=41000 [BENCH_JWKS_FILE=bench/run/jwt/jwks.json] node bench/upstream.mjs
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const BODY = Buffer.from('{"ok":true,"service":"upstream","items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}\n');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };
const port = Number(process.env.BENCH_UPSTREAM_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('BENCH_UPSTREAM_PORT is required');
const JWKS = process.env.BENCH_JWKS_FILE ? readFileSync(process.env.BENCH_JWKS_FILE) : undefined;
const JWKS_HEADERS = { 'content-type': 'application/jwk-set+json', 'content-length': String(JWKS?.length ?? 0) };

const server = http.createServer((req, res) => {
  if (JWKS !== undefined && req.url === '/jwks') {
    res.writeHead(200, JWKS_HEADERS);
    res.end(JWKS);
    return;
  }
  const answer = () => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  };
  // A GET has no body to wait for; anything else is drained first (like nginx's `return`).
  if (req.method === 'GET' || req.method === 'HEAD') answer();
  else req.resume().once('end', answer);
});
// Never close the proxies' pooled connections during a run.
server.keepAliveTimeout = 300_000;
server.headersTimeout = 301_000;
server.listen(port, '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0));
