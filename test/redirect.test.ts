/**
 * The plain-HTTP listener in its default mode: every request is redirected to the same path on
 * HTTPS, and requests that would make the redirect target attacker-controlled are refused.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponse, rawExchange, rawProblemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

async function redirecting(t: TestContext): Promise<TestGateway> {
  const gw = await startTestGateway({ config: { server: { http: { host: '127.0.0.1', port: 0 } } } });
  t.after(() => gw.close());
  return gw;
}

test('a plain-HTTP request is redirected with 308 to the same path and query on HTTPS', async (t) => {
  const gw = await redirecting(t);
  const r = await send(`http://127.0.0.1:${gw.httpPort}/a?b=1`, { headers: { host: `localhost:${gw.httpPort}` } });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://localhost:${gw.httpsPort}/a?b=1`);
});

test('the redirect is not forwarded upstream', async (t) => {
  const gw = await redirecting(t);
  await send(`http://127.0.0.1:${gw.httpPort}/api/x`, { headers: { host: 'localhost' } });
  assert.equal(gw.upstream.requests.length, 0);
});

test('a Host header that is not a host name is refused with 400', async (t) => {
  const gw = await redirecting(t);
  const r = await rawExchange({ port: gw.httpPort, write: (s) => s.write('GET /a HTTP/1.1\r\nHost: evil.example@localhost\r\n\r\n') });
  rawProblemOf(parseResponse(r.text), 400, 'request.bad_request');
});

test('an absolute-form request target is refused with 400', async (t) => {
  const gw = await redirecting(t);
  const r = await rawExchange({ port: gw.httpPort, write: (s) => s.write('GET http://evil.example/a HTTP/1.1\r\nHost: localhost\r\n\r\n') });
  rawProblemOf(parseResponse(r.text), 400, 'request.bad_request');
});

test('a request without a Host header is refused with 400', async (t) => {
  const gw = await redirecting(t);
  const r = await rawExchange({ port: gw.httpPort, write: (s) => s.write('GET /a HTTP/1.1\r\n\r\n') });
  rawProblemOf(parseResponse(r.text), 400, 'request.bad_request');
});
