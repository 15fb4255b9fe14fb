/**
 * Slow clients (slowloris and slow-body attacks): a client that takes longer than
 * headersTimeoutMs for its headers, or requestTimeoutMs for the whole request, is cut off with
 * 408 or a closed connection, within a bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { parseResponse, rawExchange, rawProblemOf, type RawResult } from './helpers/client.js';
import { startTestGateway } from './helpers/gateway.js';

/** Writes `text` one byte per `everyMs`, until it is all written or the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i >= text.length || socket.destroyed) {
      clearInterval(timer);
      return;
    }
    socket.write(text[i++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** The connection ended by the server: with a 408 problem, or closed without a response. */
function assertCutOff(r: RawResult): void {
  if (r.text === '') return;
  rawProblemOf(parseResponse(r.text), 408, 'request.timeout');
}

const SLOW_HEAD = `GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${'a'.repeat(200)}\r\n\r\n`;

test('a client sending headers slower than headersTimeoutMs is cut off over HTTPS', async (t) => {
  const gw = await startTestGateway({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 5000 } } });
  t.after(() => gw.close());
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, timeoutMs: 4000, write: (s) => trickle(s, SLOW_HEAD, 20) });
  assertCutOff(r);
  assert.ok(r.elapsedMs < 3000, `cut off after ${r.elapsedMs} ms`);
  assert.equal(gw.upstream.requests.length, 0);
});

test('a client sending headers slower than headersTimeoutMs is cut off over plain HTTP', async (t) => {
  const gw = await startTestGateway({ tls: false, config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 5000 } } });
  t.after(() => gw.close());
  const r = await rawExchange({ port: gw.httpPort, timeoutMs: 4000, write: (s) => trickle(s, SLOW_HEAD, 20) });
  assertCutOff(r);
  assert.ok(r.elapsedMs < 3000, `cut off after ${r.elapsedMs} ms`);
});

test('a client that sends headers but trickles its body past requestTimeoutMs is cut off', async (t) => {
  const gw = await startTestGateway({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } } });
  t.after(() => gw.close());
  const r = await rawExchange({
    port: gw.httpsPort,
    ca: gw.ca,
    timeoutMs: 5000,
    write: (s) => {
      s.write('POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
      trickle(s, 'b'.repeat(1000), 20);
    },
  });
  assertCutOff(r);
  assert.ok(r.elapsedMs < 4000, `cut off after ${r.elapsedMs} ms`);
});

test('a request cut off by requestTimeout is logged with 408, its decision and the id the client got', async (t) => {
  const gw = await startTestGateway({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } } });
  t.after(() => gw.close());
  const r = await rawExchange({
    port: gw.httpsPort,
    ca: gw.ca,
    timeoutMs: 5000,
    write: (s) => s.write('POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly a start'),
  });
  const body = rawProblemOf(parseResponse(r.text), 408, 'request.timeout');
  const line = await gw.waitForLog((l) => l.event === 'request');
  assert.equal(line.requestId, body.requestId);
  assert.equal(line.status, 408);
  assert.equal(line.decision, 'request.timeout');
});

test('a request timeout after the upstream answer started cuts the connection instead of writing a second response', async (t) => {
  const gw = await startTestGateway({
    config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } },
    // Answers at once and streams, without waiting for the request body.
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
    },
  });
  t.after(() => gw.close());
  const r = await rawExchange({
    port: gw.httpsPort,
    ca: gw.ca,
    timeoutMs: 5000,
    write: (s) => {
      s.write('POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
      trickle(s, 'b'.repeat(1000), 20);
    },
  });
  assert.match(r.text, /^HTTP\/1\.1 200 /);
  assert.equal(r.text.indexOf('HTTP/1.1', 1), -1, 'a second status line was written into the response');
});

test('a requestTimeoutMs below the default headersTimeoutMs starts and bounds the headers too', async (t) => {
  const gw = await startTestGateway({ config: { server: { requestTimeoutMs: 300 } } });
  t.after(() => gw.close());
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, timeoutMs: 4000, write: (s) => trickle(s, SLOW_HEAD, 20) });
  assertCutOff(r);
  assert.ok(r.elapsedMs < 3000, `cut off after ${r.elapsedMs} ms`);
});
