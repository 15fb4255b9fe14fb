/**
 * Size caps end to end: a declared body too large never reaches the upstream, a chunked body is
 * cut off when it grows past the cap, and oversized headers and request targets are refused.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponse, problemOf, rawExchange, rawProblemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

async function capped(t: TestContext, sizeLimit: Record<string, unknown>, server: Record<string, unknown> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ config: { server, defaults: { policies: { 'size-limit': sizeLimit } } } });
  t.after(() => gw.close());
  return gw;
}

test('a Content-Length above maxBodyBytes is refused with 413 before any byte is read', async (t) => {
  const gw = await capped(t, { maxBodyBytes: 1000 });
  // Only the head: the refusal must not wait for a body.
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write('POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n') });
  rawProblemOf(parseResponse(r.text), 413, 'size-limit.body_too_large');
});

test('a body refused by its Content-Length never reaches the upstream', async (t) => {
  const gw = await capped(t, { maxBodyBytes: 1000 });
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1001) });
  problemOf(r, 413, 'size-limit.body_too_large');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a body of exactly maxBodyBytes is forwarded', async (t) => {
  const gw = await capped(t, { maxBodyBytes: 1000 });
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1000) });
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.text) as { bodyLength: number }).bodyLength, 1000);
});

test('a chunked body that grows past maxBodyBytes is refused with 413', async (t) => {
  const gw = await capped(t, { maxBodyBytes: 1000 });
  const chunk = `1f4\r\n${'y'.repeat(500)}\r\n`;
  const r = await rawExchange({
    port: gw.httpsPort,
    ca: gw.ca,
    write: (s) => s.write(`POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(5)}`),
  });
  rawProblemOf(parseResponse(r.text), 413, 'size-limit.body_too_large');
});

test('a chunked body that passes maxBodyBytes while streaming is cut off on its way to the upstream', async (t) => {
  let arrived!: () => void;
  const upstreamHasIt = new Promise<void>((ok) => { arrived = ok; });
  const gw = await startTestGateway({
    config: { defaults: { policies: { 'size-limit': { maxBodyBytes: 1000 } } } },
    upstream: (req, res) => {
      req.once('data', () => arrived());
      req.once('end', () => res.end('read it all'));
    },
  });
  t.after(() => gw.close());
  const chunk = `1f4\r\n${'y'.repeat(500)}\r\n`;
  const r = await rawExchange({
    port: gw.httpsPort,
    ca: gw.ca,
    write: (s) => {
      s.write(`POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
      // The rest only once the start of the body has reached the upstream.
      void upstreamHasIt.then(() => s.write(`${chunk.repeat(4)}0\r\n\r\n`));
    },
  });
  rawProblemOf(parseResponse(r.text), 413, 'size-limit.body_too_large');
  await gw.upstream.recorded(1);
  const received = gw.upstream.requests[0]!;
  assert.equal(received.complete, false);
  assert.ok(received.body.length <= 1000, `upstream got ${received.body.length} bytes`);
});

test('a chunked body within maxBodyBytes is forwarded whole', async (t) => {
  const gw = await capped(t, { maxBodyBytes: 1000 });
  const chunk = `c8\r\n${'y'.repeat(200)}\r\n`;
  const r = await rawExchange({
    port: gw.httpsPort,
    ca: gw.ca,
    write: (s) => s.write(`POST /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(5)}0\r\n\r\n`),
  });
  const parsed = parseResponse(r.text);
  assert.equal(parsed.status, 200);
  assert.equal((JSON.parse(parsed.body) as { bodyLength: number }).bodyLength, 1000);
});

test('headers larger than server.maxHeaderSize are refused with 431', async (t) => {
  const gw = await capped(t, {}, { maxHeaderSize: 2048 });
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write(`GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(3000)}\r\n\r\n`) });
  rawProblemOf(parseResponse(r.text), 431, 'request.headers_too_large');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a request target longer than maxUrlLength is refused with 414', async (t) => {
  const gw = await capped(t, { maxUrlLength: 100 });
  const r = await send(`${gw.url}/api/${'a'.repeat(200)}`, { ca: gw.ca });
  problemOf(r, 414, 'size-limit.url_too_long');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a long query string counts towards maxUrlLength', async (t) => {
  const gw = await capped(t, { maxUrlLength: 100 });
  const r = await send(`${gw.url}/api/x?q=${'a'.repeat(200)}`, { ca: gw.ca });
  problemOf(r, 414, 'size-limit.url_too_long');
});
