/**
 * cors end to end: preflights answered at the gateway before authentication and never forwarded,
 * refused preflights without a CORS header, actual requests authenticated as usual and marked for
 * allowed origins only, Vary: Origin beside the upstream's own Vary, upstream CORS headers
 * replaced by the gateway's.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { problemOf, send, type Reply } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';

const key = generateApiKey();
const APP = 'https://app.example.com';

async function gatewayWith(t: TestContext, upstream?: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestGateway> {
  const gw = await startTestGateway({
    upstream,
    yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${url}" } }
defaults:
  policies:
    api-key:
      keys:
        - { id: web, prefix: ${key.prefix}, hash: "${key.hash}", roles: [user] }
routes:
  - path: /api/*
    methods: [GET, PUT]
    upstream: api
    policies:
      rbac: { require: [] }
      cors:
        origins: [${APP}]
        methods: [GET, PUT]
        allowedHeaders: [x-api-key, content-type]
        exposedHeaders: [x-request-id]
        credentials: true
        maxAgeSec: 120
`,
  });
  t.after(() => gw.close());
  return gw;
}

function request(gw: TestGateway, method: string, headers: http.OutgoingHttpHeaders): Promise<Reply> {
  return send(`${gw.url}/api/tasks`, { ca: gw.ca, method, headers });
}

function preflight(gw: TestGateway, origin: string, method = 'PUT', requestHeaders = 'content-type,x-api-key'): Promise<Reply> {
  return request(gw, 'OPTIONS', { origin, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders });
}

function corsHeaders(reply: Reply): string[] {
  return Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'));
}

test('an allowed preflight is answered 204 without a credential and never forwarded', async (t) => {
  const gw = await gatewayWith(t);
  const reply = await preflight(gw, APP);
  assert.equal(reply.status, 204);
  assert.deepEqual([reply.text, reply.headers['content-type']], ['', undefined]);
  assert.deepEqual({
    origin: reply.headers['access-control-allow-origin'],
    methods: reply.headers['access-control-allow-methods'],
    headers: reply.headers['access-control-allow-headers'],
    credentials: reply.headers['access-control-allow-credentials'],
    maxAge: reply.headers['access-control-max-age'],
  }, { origin: APP, methods: 'GET, PUT', headers: 'content-type, x-api-key', credentials: 'true', maxAge: '120' });
  const access = await gw.waitForLog((l) => l.event === 'request');
  assert.deepEqual([access.status, access.decision], [204, 'cors.preflight']);
  assert.equal(gw.upstream.requests.length, 0);
});

test('a preflight from a look-alike origin is 403 cors.preflight_denied with no CORS header', async (t) => {
  const gw = await gatewayWith(t);
  for (const origin of ['https://app.example.com.evil.io', 'https://evilapp.example.com', 'http://app.example.com']) {
    const reply = await preflight(gw, origin);
    problemOf(reply, 403, 'cors.preflight_denied');
    assert.deepEqual(corsHeaders(reply), [], origin);
  }
  assert.equal(gw.upstream.requests.length, 0);
});

test('a preflight for a method or header not allowed is refused without CORS headers', async (t) => {
  const gw = await gatewayWith(t);
  const replies = [await preflight(gw, APP, 'GET', 'authorization'), await preflight(gw, APP, 'DELETE', '')];
  problemOf(replies[0]!, 403, 'cors.preflight_denied');
  assert.deepEqual(corsHeaders(replies[0]!), []);
  // DELETE is not a method of the route: the preflight is routed as a plain OPTIONS, 405.
  problemOf(replies[1]!, 405, 'route.method_not_allowed');
  assert.deepEqual(corsHeaders(replies[1]!), []);
  assert.equal(gw.upstream.requests.length, 0);
});

test('a plain OPTIONS (not a preflight) to a route that does not list OPTIONS is still 405', async (t) => {
  const gw = await gatewayWith(t);
  problemOf(await request(gw, 'OPTIONS', { origin: APP }), 405, 'route.method_not_allowed');
});

test('every answer of the route varies on Origin, the preflight and the refusal included', async (t) => {
  const gw = await gatewayWith(t);
  const replies = [await preflight(gw, APP), await preflight(gw, 'https://evil.io'), await request(gw, 'GET', { origin: APP }), await request(gw, 'GET', { 'x-api-key': key.key })];
  assert.deepEqual(replies.map((r) => r.status), [204, 403, 401, 200]);
  for (const r of replies) assert.match(String(r.headers.vary), /(?:^|, )Origin(?:,|$)/);
});

test('the actual request is authenticated as usual, and its 401 is readable by the allowed origin', async (t) => {
  const gw = await gatewayWith(t);
  const reply = await request(gw, 'GET', { origin: APP });
  problemOf(reply, 401, 'authenticate.required');
  assert.deepEqual([reply.headers['access-control-allow-origin'], reply.headers['access-control-allow-credentials']], [APP, 'true']);
  assert.equal(gw.upstream.requests.length, 0);
});

test('an authenticated request from the allowed origin is forwarded and marked', async (t) => {
  const gw = await gatewayWith(t);
  const reply = await request(gw, 'GET', { origin: APP, 'x-api-key': key.key });
  assert.equal(reply.status, 200);
  assert.deepEqual([reply.headers['access-control-allow-origin'], reply.headers['access-control-allow-credentials'], reply.headers['access-control-expose-headers']], [APP, 'true', 'x-request-id']);
  await gw.upstream.recorded(1);
});

test('a request from another origin is served (CORS is the browser\'s to enforce) but gets no CORS header', async (t) => {
  const gw = await gatewayWith(t);
  const reply = await request(gw, 'GET', { origin: 'https://evil.io', 'x-api-key': key.key });
  assert.deepEqual([reply.status, corsHeaders(reply)], [200, []]);
});

test('the upstream\'s own CORS headers are removed and its Vary kept beside Origin', async (t) => {
  const gw = await gatewayWith(t, (req, res) => {
    req.resume();
    res.writeHead(200, { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', vary: 'Accept-Encoding', 'content-length': '2' });
    res.end('{}');
  });
  const replies = [await request(gw, 'GET', { origin: APP, 'x-api-key': key.key }), await request(gw, 'GET', { origin: 'https://evil.io', 'x-api-key': key.key })];
  assert.deepEqual(replies.map((r) => r.headers['access-control-allow-origin']), [APP, undefined]);
  assert.deepEqual(replies.map((r) => r.headers.vary), ['Accept-Encoding, Origin', 'Accept-Encoding, Origin']);
});
