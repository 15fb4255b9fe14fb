/**
 * The access log as an operator reads it: one line per request with the fields that tie it to
 * the client's answer, the refusal's code, and never a credential or a query string.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

/** Sends a request with a known id and returns its access-log line. */
async function logged(gw: TestGateway, path: string, options: { method?: string; headers?: Record<string, string> } = {}) {
  const id = `log-test-${Math.random().toString(36).slice(2)}`;
  await send(`${gw.url}${path}`, { ca: gw.ca, method: options.method, headers: { 'x-request-id': id, ...options.headers } });
  return gw.waitForLog((l) => l.event === 'request' && l.requestId === id);
}

test('a forwarded request has one access-log line with its id, method, route, status, duration and client IP', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const line = await logged(gw, '/api/tasks/1');
  assert.equal(line.method, 'GET');
  assert.equal(line.route, '/api/*');
  assert.equal(line.status, 200);
  assert.equal(typeof line.durationMs, 'number');
  assert.ok((line.durationMs as number) >= 0);
  assert.equal(line.clientIp, '127.0.0.1');
  assert.equal(line.completed, true);
  assert.equal(line.decision, undefined);
});

test('the access-log line carries the id the client got', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  const line = await gw.waitForLog((l) => l.event === 'request');
  assert.equal(line.requestId, r.headers['x-request-id']);
});

test('each request is logged exactly once', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const first = await logged(gw, '/api/a');
  await logged(gw, '/nowhere');
  await logged(gw, '/api/b');
  assert.equal(gw.accessLogs().filter((l) => l.requestId === first.requestId).length, 1);
  assert.equal(gw.accessLogs().length, 3);
});

test('a refusal is logged with its status and decision code', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const line = await logged(gw, '/nowhere');
  assert.equal(line.status, 404);
  assert.equal(line.decision, 'route.not_found');
  assert.equal(line.route, undefined);
});

test('a policy refusal on a route is logged with the route template', async (t) => {
  const gw = await startTestGateway({ config: { defaults: { policies: { 'size-limit': { maxUrlLength: 50 } } } } });
  t.after(() => gw.close());
  const line = await logged(gw, `/api/${'a'.repeat(100)}`);
  assert.equal(line.status, 414);
  assert.equal(line.decision, 'size-limit.url_too_long');
  assert.equal(line.route, '/api/*');
});

test('an upstream failure is logged with its status and decision code', async (t) => {
  const gw = await startTestGateway({ config: { upstreams: { api: { responseTimeoutMs: 100 } } }, upstream: (req) => { req.resume(); } });
  t.after(() => gw.close());
  const line = await logged(gw, '/api/x');
  assert.equal(line.status, 504);
  assert.equal(line.decision, 'proxy.upstream_timeout');
});

test('without log.includeHeaders no request headers are logged', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const line = await logged(gw, '/api/x', { headers: { 'x-custom': 'visible' } });
  assert.equal(line.headers, undefined);
});

const SECRETS = {
  authorization: 'Bearer s3cr3t-bearer-token-4711',
  cookie: 'session=s3cr3t-cookie-4712',
  'x-api-key': 's3cr3t-api-key-4713',
  'proxy-authorization': 'Basic czNjcjN0LXByb3h5LTQ3MTQ=',
};

for (const [name, value] of Object.entries(SECRETS)) {
  test(`with log.includeHeaders, ${name} is logged as [REDACTED]`, async (t) => {
    const gw = await startTestGateway({ config: { log: { includeHeaders: true } } });
    t.after(() => gw.close());
    const line = await logged(gw, '/api/x', { headers: { [name]: value } });
    assert.equal((line.headers as Record<string, unknown>)[name], '[REDACTED]');
  });

  test(`with log.includeHeaders, the ${name} value appears nowhere in the log output`, async (t) => {
    const gw = await startTestGateway({ config: { log: { includeHeaders: true } } });
    t.after(() => gw.close());
    await logged(gw, '/api/x', { headers: { [name]: value } });
    await logged(gw, '/nowhere', { headers: { [name]: value } });
    assert.ok(!gw.logText().includes(value));
  });
}

test('with log.includeHeaders, other headers are logged as sent', async (t) => {
  const gw = await startTestGateway({ config: { log: { includeHeaders: true } } });
  t.after(() => gw.close());
  const line = await logged(gw, '/api/x', { headers: { 'x-custom': 'visible' } });
  assert.equal((line.headers as Record<string, unknown>)['x-custom'], 'visible');
});

test('log.redactHeaders adds names to redact, in any case', async (t) => {
  const gw = await startTestGateway({ config: { log: { includeHeaders: true, redactHeaders: ['X-Session-Token'] } } });
  t.after(() => gw.close());
  const line = await logged(gw, '/api/x', { headers: { 'x-session-token': 'tok-4715' } });
  assert.equal((line.headers as Record<string, unknown>)['x-session-token'], '[REDACTED]');
  assert.ok(!gw.logText().includes('tok-4715'));
});

test('the query string of a forwarded request is not logged', async (t) => {
  const gw = await startTestGateway({ config: { log: { includeHeaders: true } } });
  t.after(() => gw.close());
  const line = await logged(gw, '/api/x?token=q-secret-4716');
  assert.equal(line.path, '/api/x');
  assert.ok(!gw.logText().includes('q-secret-4716'));
});

test('the query string of a refused request is not logged', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  await logged(gw, '/nowhere?token=q-secret-4717');
  assert.ok(!gw.logText().includes('q-secret-4717'));
});

test('the query string of a request whose upstream failed is not logged', async (t) => {
  const gw = await startTestGateway({ upstream: (req) => { req.socket.destroy(); } });
  t.after(() => gw.close());
  await logged(gw, '/api/x?token=q-secret-4718');
  await gw.waitForLog((l) => l.event === 'upstream_error');
  assert.ok(!gw.logText().includes('q-secret-4718'));
});

test('log.access false writes no access-log lines', async (t) => {
  const gw = await startTestGateway({ config: { log: { access: false } } });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(r.status, 200);
  await gw.close();
  assert.equal(gw.accessLogs().length, 0);
});
