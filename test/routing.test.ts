/**
 * Routing at the edge: only declared method + path pairs reach an upstream; paths an upstream
 * could normalise into another route are refused before routing.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponse, problemOf, rawExchange, rawProblemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

async function routed(t: TestContext): Promise<TestGateway> {
  const gw = await startTestGateway({ yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${url}" } }
routes:
  - { path: /api/tasks, methods: [GET, POST], upstream: api, public: true }
  - { path: "/api/tasks/{taskId}", methods: [GET, DELETE], upstream: api, public: true }
` });
  t.after(() => gw.close());
  return gw;
}

test('a declared route is forwarded', async (t) => {
  const gw = await routed(t);
  assert.equal((await send(`${gw.url}/api/tasks/42`, { ca: gw.ca })).status, 200);
});

test('an unknown path is 404 route.not_found', async (t) => {
  const gw = await routed(t);
  problemOf(await send(`${gw.url}/admin`, { ca: gw.ca }), 404, 'route.not_found');
  assert.equal(gw.upstream.requests.length, 0);
});

test('paths are case-sensitive', async (t) => {
  const gw = await routed(t);
  problemOf(await send(`${gw.url}/API/tasks`, { ca: gw.ca }), 404, 'route.not_found');
});

test('a trailing slash is a different path', async (t) => {
  const gw = await routed(t);
  problemOf(await send(`${gw.url}/api/tasks/`, { ca: gw.ca }), 404, 'route.not_found');
});

test('a method the path does not take is 405 route.method_not_allowed', async (t) => {
  const gw = await routed(t);
  problemOf(await send(`${gw.url}/api/tasks/42`, { ca: gw.ca, method: 'PATCH' }), 405, 'route.method_not_allowed');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a 405 lists the methods the path takes in Allow', async (t) => {
  const gw = await routed(t);
  const r = await send(`${gw.url}/api/tasks`, { ca: gw.ca, method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.allow, 'GET, POST');
});

const UNSAFE_PATHS = [
  '/api/tasks/../admin',
  '/api/tasks/..',
  '/api/./tasks',
  '/api/%2e%2e/admin',
  '/api/%2E%2E/admin',
  '/api/.%2e/admin',
  '/api/tasks/a%2fb',
  '/api/tasks/a%2Fb',
  '/api/tasks/a%5cb',
  '/api/tasks/a\\b',
  '/api/tasks/a%00b',
];

for (const path of UNSAFE_PATHS) {
  test(`${JSON.stringify(path)} is 400 request.invalid_path`, async (t) => {
    const gw = await routed(t);
    const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`) });
    rawProblemOf(parseResponse(r.text), 400, 'request.invalid_path');
    assert.equal(gw.upstream.requests.length, 0);
  });
}

test('a request target that is not origin-form is 400 request.invalid_path', async (t) => {
  const gw = await routed(t);
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write('GET http://evil.example/api/tasks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n') });
  rawProblemOf(parseResponse(r.text), 400, 'request.invalid_path');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a dot inside a segment is an ordinary character', async (t) => {
  const gw = await routed(t);
  assert.equal((await send(`${gw.url}/api/tasks/v1.2`, { ca: gw.ca })).status, 200);
});

const BAD_HOSTS: Record<string, string> = {
  'two Host headers': 'Host: localhost\r\nHost: evil.example',
  'a Host with a space': 'Host: evil example',
  'a Host with userinfo': 'Host: user@evil.example',
  'a Host with a path': 'Host: evil.example/x',
  'an empty Host': 'Host: ',
};

for (const [what, header] of Object.entries(BAD_HOSTS)) {
  test(`a request with ${what} is 400 request.bad_request and not forwarded`, async (t) => {
    const gw = await routed(t);
    const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write(`GET /api/tasks HTTP/1.1\r\n${header}\r\nConnection: close\r\n\r\n`) });
    rawProblemOf(parseResponse(r.text), 400, 'request.bad_request');
    assert.equal(gw.upstream.requests.length, 0);
  });
}

const GOOD_HOSTS = ['localhost', 'localhost:8443', 'api.example.test', '127.0.0.1:443', '[::1]:8443', 'my_service.internal'];

for (const host of GOOD_HOSTS) {
  test(`Host ${host} is accepted`, async (t) => {
    const gw = await routed(t);
    const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write(`GET /api/tasks HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`) });
    assert.equal(parseResponse(r.text).status, 200);
  });
}

test('an HTTP/1.0 request without Host is forwarded', async (t) => {
  const gw = await routed(t);
  const r = await rawExchange({ port: gw.httpsPort, ca: gw.ca, write: (s) => s.write('GET /api/tasks HTTP/1.0\r\n\r\n') });
  assert.equal(parseResponse(r.text).status, 200);
});
