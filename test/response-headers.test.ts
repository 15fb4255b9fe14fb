/**
 * Security headers on what the gateway sends: HSTS and nosniff on every HTTPS response, proxied
 * or refused; no HSTS over plain HTTP (RFC 6797 §7.2); the upstream's software banners removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponse, problemOf, rawExchange, rawProblemOf, send } from './helpers/client.js';
import { startTestGateway } from './helpers/gateway.js';

const HSTS = /^max-age=\d+/;

test('a proxied HTTPS response carries HSTS', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(r.status, 200);
  assert.match(r.headers['strict-transport-security'] ?? '', HSTS);
});

test('a proxied HTTPS response carries X-Content-Type-Options: nosniff', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
});

test('a 404 refusal over HTTPS carries HSTS and nosniff', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/nowhere`, { ca: gw.ca });
  problemOf(r, 404, 'route.not_found');
  assert.match(r.headers['strict-transport-security'] ?? '', HSTS);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
});

test('a refusal by node\'s parser (431) over HTTPS carries HSTS and nosniff', async (t) => {
  const gw = await startTestGateway({ config: { server: { maxHeaderSize: 2048 } } });
  t.after(() => gw.close());
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write(`GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`) });
  const parsed = parseResponse(r.text);
  rawProblemOf(parsed, 431, 'request.headers_too_large');
  assert.match(parsed.headers.get('strict-transport-security') ?? '', HSTS);
  assert.equal(parsed.headers.get('x-content-type-options'), 'nosniff');
});

test('a request without Host over HTTPS gets a problem+json 400 with HSTS', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write('GET /api/x HTTP/1.1\r\nConnection: close\r\n\r\n') });
  const parsed = parseResponse(r.text);
  rawProblemOf(parsed, 400, 'request.bad_request');
  assert.match(parsed.headers.get('strict-transport-security') ?? '', HSTS);
  assert.equal(gw.upstream.requests.length, 0);
});

test('the plain-HTTP serving listener sends no HSTS on proxied responses', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['strict-transport-security'], undefined);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
});

test('the plain-HTTP serving listener sends no HSTS on refusals', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/nowhere`);
  problemOf(r, 404, 'route.not_found');
  assert.equal(r.headers['strict-transport-security'], undefined);
});

test('the plain-HTTP serving listener sends no HSTS on parser refusals', async (t) => {
  const gw = await startTestGateway({ tls: false, config: { server: { maxHeaderSize: 2048 } } });
  t.after(() => gw.close());
  const r = await rawExchange({ port: gw.httpPort, write: (s) => s.write(`GET /api/x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`) });
  const parsed = parseResponse(r.text);
  rawProblemOf(parsed, 431, 'request.headers_too_large');
  assert.equal(parsed.headers.get('strict-transport-security'), undefined);
});

test('Server and X-Powered-By from the upstream are removed', async (t) => {
  const gw = await startTestGateway({
    upstream: (_req, res) => {
      res.writeHead(200, { server: 'Apache/2.4.1 (Unix)', 'x-powered-by': 'PHP/5.6.40', 'content-type': 'text/plain' });
      res.end('ok');
    },
  });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(r.status, 200);
  assert.equal(r.headers.server, undefined);
  assert.equal(r.headers['x-powered-by'], undefined);
});

test('an upstream HSTS header is replaced, not doubled', async (t) => {
  const gw = await startTestGateway({
    upstream: (_req, res) => {
      res.writeHead(200, { 'strict-transport-security': 'max-age=0' });
      res.end('ok');
    },
  });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  const values = r.rawHeaders.filter((_v, i) => i % 2 === 0 && r.rawHeaders[i]!.toLowerCase() === 'strict-transport-security');
  assert.equal(values.length, 1);
  assert.notEqual(r.headers['strict-transport-security'], 'max-age=0');
});
