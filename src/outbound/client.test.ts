import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOutboundClient } from './client.js';
import { OutboundError, type OutboundErrorCode } from '../core/outbound.js';

async function server(t: TestContext, handler: http.RequestListener): Promise<{ origin: string; hits: () => number }> {
  let hits = 0;
  const s = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); }));
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits };
}

function client(t: TestContext, allow: string[] = [], overrides: { timeoutMs?: number; maxResponseBytes?: number } = {}) {
  const c = createOutboundClient({ timeoutMs: overrides.timeoutMs ?? 2000, maxResponseBytes: overrides.maxResponseBytes ?? 1024, allow });
  t.after(() => c.close());
  return c;
}

async function rejectsWith(promise: Promise<unknown>, code: OutboundErrorCode): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof OutboundError && e.code === code);
}

test('plain http to an origin that is not allowed is blocked without a request', async (t) => {
  const s = await server(t, (_req, res) => res.end('{}'));
  await rejectsWith(client(t).request({ url: `${s.origin}/jwks` }), 'outbound.blocked');
  assert.equal(s.hits(), 0);
});

test('https to a loopback literal is blocked', async (t) => {
  await rejectsWith(client(t).request({ url: 'https://127.0.0.1:1/x' }), 'outbound.blocked');
});

test('https to the cloud metadata address is blocked', async (t) => {
  await rejectsWith(client(t).request({ url: 'https://169.254.169.254/latest/meta-data/' }), 'outbound.blocked');
});

test('https to an IPv6 loopback or IPv4-mapped literal is blocked', async (t) => {
  await rejectsWith(client(t).request({ url: 'https://[::1]:1/x' }), 'outbound.blocked');
  await rejectsWith(client(t).request({ url: 'https://[::ffff:127.0.0.1]:1/x' }), 'outbound.blocked');
});

test('a host name that resolves to loopback is blocked at connect time', async (t) => {
  await rejectsWith(client(t).request({ url: 'https://localhost:1/x' }), 'outbound.blocked');
});

test('credentials in the URL are refused', async (t) => {
  await rejectsWith(client(t).request({ url: 'https://user:pass@example.com/x' }), 'outbound.blocked');
});

test('an allowed origin may be plain http on loopback', async (t) => {
  const s = await server(t, (_req, res) => res.end('{"keys":[]}'));
  const res = await client(t, [s.origin]).request({ url: `${s.origin}/jwks` });
  assert.deepEqual([res.status, res.body.toString()], [200, '{"keys":[]}']);
});

test('a response larger than the bound is refused (declared length)', async (t) => {
  const s = await server(t, (_req, res) => res.end('x'.repeat(5000)));
  await rejectsWith(client(t, [s.origin]).request({ url: `${s.origin}/big` }), 'outbound.too_large');
});

test('a chunked response growing past the bound is refused', async (t) => {
  const s = await server(t, (_req, res) => {
    res.write('x'.repeat(800));
    res.end('x'.repeat(800));
  });
  await rejectsWith(client(t, [s.origin]).request({ url: `${s.origin}/big` }), 'outbound.too_large');
});

test('an upstream slower than the deadline times out', async (t) => {
  const s = await server(t, () => undefined);
  await rejectsWith(client(t, [s.origin], { timeoutMs: 200 }).request({ url: `${s.origin}/slow` }), 'outbound.timeout');
});

test('redirects are returned, never followed', async (t) => {
  const s = await server(t, (_req, res) => {
    res.writeHead(302, { location: 'http://169.254.169.254/' });
    res.end();
  });
  const res = await client(t, [s.origin]).request({ url: `${s.origin}/r` });
  assert.deepEqual([res.status, s.hits()], [302, 1]);
});

test('a refused connection is outbound.failed', async (t) => {
  const s = await server(t, (_req, res) => res.end());
  const origin = s.origin.replace(/:\d+$/, ':1');
  await rejectsWith(client(t, [origin]).request({ url: `${origin}/x` }), 'outbound.failed');
});
