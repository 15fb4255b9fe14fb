/**
 * When the upstream fails: a refused connection is 502, a slow answer 504, both without the
 * upstream's internals; a failure after the answer started cuts the client connection, so a
 * truncated body is never presented as complete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { problemOf, send } from './helpers/client.js';
import { startTestGateway } from './helpers/gateway.js';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

function yamlFor(upstreamUrl: string, upstreamExtra = ''): string {
  return `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${upstreamUrl}"${upstreamExtra} } }
routes: [{ path: /api/*, methods: [GET, POST], upstream: api, public: true }]
`;
}

test('an upstream that refuses connections gives 502 proxy.upstream_unavailable', async (t) => {
  const port = await closedPort();
  const gw = await startTestGateway({ yaml: () => yamlFor(`http://127.0.0.1:${port}`) });
  t.after(() => gw.close());
  problemOf(await send(`${gw.url}/api/x`, { ca: gw.ca }), 502, 'proxy.upstream_unavailable');
});

test('the 502 body reveals nothing of the upstream', async (t) => {
  const port = await closedPort();
  const gw = await startTestGateway({ yaml: () => yamlFor(`http://127.0.0.1:${port}`) });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.doesNotMatch(r.text, /ECONNREFUSED|connect|127\.0\.0\.1|undici|stack/i);
  assert.ok(!r.text.includes(`:${port}`), 'the upstream port is in the body');
});

test('the upstream failure is logged with its cause for the operator', async (t) => {
  const port = await closedPort();
  const gw = await startTestGateway({ yaml: () => yamlFor(`http://127.0.0.1:${port}`) });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  const line = await gw.waitForLog((l) => l.event === 'upstream_error');
  assert.equal(line.requestId, r.headers['x-request-id']);
  assert.equal((line.error as { code?: string }).code, 'ECONNREFUSED');
});

test('an upstream slower than responseTimeoutMs gives 504 proxy.upstream_timeout', async (t) => {
  const gw = await startTestGateway({
    config: { upstreams: { api: { responseTimeoutMs: 200 } } },
    upstream: (req) => { req.resume(); }, // never answers
  });
  t.after(() => gw.close());
  const started = performance.now();
  problemOf(await send(`${gw.url}/api/x`, { ca: gw.ca }), 504, 'proxy.upstream_timeout');
  assert.ok(performance.now() - started < 3000);
});

test('an upstream that closes the connection without answering gives 502', async (t) => {
  const gw = await startTestGateway({ upstream: (req) => { req.socket.destroy(); } });
  t.after(() => gw.close());
  problemOf(await send(`${gw.url}/api/x`, { ca: gw.ca }), 502, 'proxy.upstream_unavailable');
});

test('an upstream that resets mid-response cuts the client connection instead of ending the body', async (t) => {
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial ', () => res.socket?.destroy());
    },
  });
  t.after(() => gw.close());
  const outcome = await new Promise<{ complete: boolean; body: string }>((ok, fail) => {
    const req = https.request(`${gw.url}/api/x`, { ca: gw.ca, agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('error', () => {}); // 'aborted' surfaces here; the outcome is read on close
      res.once('close', () => ok({ complete: res.complete, body }));
    });
    req.once('error', fail);
    req.end();
  });
  assert.equal(outcome.complete, false);
});

test('an upstream that sends less than its Content-Length cuts the client connection', async (t) => {
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('only ten..', () => res.socket?.destroy());
    },
  });
  t.after(() => gw.close());
  const outcome = await new Promise<{ complete: boolean }>((ok, fail) => {
    const req = https.request(`${gw.url}/api/x`, { ca: gw.ca, agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
      res.resume();
      res.on('error', () => {});
      res.once('close', () => ok({ complete: res.complete }));
    });
    req.once('error', fail);
    req.end();
  });
  assert.equal(outcome.complete, false);
});

test('a cut response is logged as not completed', async (t) => {
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial ', () => res.socket?.destroy());
    },
  });
  t.after(() => gw.close());
  await send(`${gw.url}/api/x`, { ca: gw.ca }).catch(() => undefined);
  const line = await gw.waitForLog((l) => l.event === 'request');
  assert.equal(line.completed, false);
});

test('an upstream that stalls mid-body past bodyTimeoutMs cuts the client connection', async (t) => {
  const gw = await startTestGateway({
    config: { upstreams: { api: { bodyTimeoutMs: 200 } } },
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial '); // and nothing more
    },
  });
  t.after(() => gw.close());
  const started = performance.now();
  const outcome = await new Promise<{ complete: boolean }>((ok, fail) => {
    const req = https.request(`${gw.url}/api/x`, { ca: gw.ca, agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
      res.resume();
      res.on('error', () => {});
      res.once('close', () => ok({ complete: res.complete }));
    });
    req.once('error', fail);
    req.end();
  });
  assert.equal(outcome.complete, false);
  assert.ok(performance.now() - started < 3000);
});
