import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOutboundClient, type OutboundOptions } from './client.js';
import { countingServer, rebindingResolver, recordConnectionAttempts, tableResolver, UNROUTED_PUBLIC } from './test-helpers.js';
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

// ---- SSRF guard: checks, pinning, redirects -------------------------------------------------

function guarded(t: TestContext, options: Partial<OutboundOptions> = {}) {
  const c = createOutboundClient({ timeoutMs: 2000, maxResponseBytes: 4096, allow: [], ...options });
  t.after(() => c.close());
  return c;
}

async function refusedBecause(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof OutboundError) return `${e.code}:${e.check ?? ''}`;
    throw e;
  }
  return 'accepted';
}

test('the URL check reports why: scheme, port, credentials, address', async (t) => {
  const dns = tableResolver({ 'hooks.example.com': ['93.184.215.14'] });
  const c = guarded(t, { resolve: dns.resolve });
  const reasons = [
    await refusedBecause(c.request({ url: 'http://hooks.example.com/' })),
    await refusedBecause(c.request({ url: 'https://hooks.example.com:8443/' })),
    await refusedBecause(c.request({ url: 'https://u:p@hooks.example.com/' })),
    await refusedBecause(c.request({ url: 'https://0x7f.1/' })),
  ];
  assert.deepEqual(reasons, ['outbound.blocked:scheme', 'outbound.blocked:port', 'outbound.blocked:credentials', 'outbound.blocked:address']);
});

test('configured ports and schemes widen the allowlists', async (t) => {
  const sink = await countingServer(t);
  const dns = tableResolver({ 'public.test': [UNROUTED_PUBLIC] });
  const c = guarded(t, { resolve: dns.resolve, schemes: ['http'], ports: [sink.port], timeoutMs: 300 });
  // Passes the check (it gets as far as connecting to the unrouted public address).
  assert.match((await refusedBecause(c.request({ url: `http://public.test:${sink.port}/` }))) ?? '', /^outbound\.(failed|timeout):$/);
});

test('a rebinding name is resolved once and the connection goes to the checked address', async (t) => {
  const sink = await countingServer(t);
  const attempts = recordConnectionAttempts(t);
  const dns = rebindingResolver(UNROUTED_PUBLIC, '127.0.0.1');
  const c = guarded(t, { resolve: dns.resolve, schemes: ['http'], ports: [sink.port], timeoutMs: 300 });
  await refusedBecause(c.request({ url: `http://rebind.test:${sink.port}/` }));
  assert.deepEqual([dns.asked.length, attempts, sink.connections()], [1, [UNROUTED_PUBLIC], 0]);
});

test('a resolver slower than the deadline ends in outbound.timeout on time', async (t) => {
  const c = guarded(t, { resolve: () => new Promise(() => undefined), timeoutMs: 100 });
  const started = performance.now();
  // The resolution's own deadline and the request's are the same 100 ms: either may report it.
  assert.match((await refusedBecause(c.request({ url: 'https://slow.example.com/' }))) ?? '', /^outbound\.timeout:(resolve_failed)?$/);
  assert.ok(performance.now() - started < 1000);
});

test('an allowed origin named by host resolves through the injected resolver', async (t) => {
  const s = await server(t, (_req, res) => res.end('ok'));
  const port = new URL(s.origin).port;
  const dns = tableResolver({ 'idp.test': ['127.0.0.1'] });
  const c = guarded(t, { resolve: dns.resolve, allow: [`http://idp.test:${port}`] });
  const res = await c.request({ url: `http://idp.test:${port}/jwks` });
  assert.deepEqual([res.status, dns.asked], [200, ['idp.test']]);
});

test('check() on the client gives the contract\'s shape', async (t) => {
  const c = guarded(t, { resolve: tableResolver({ 'hooks.example.com': ['93.184.215.14'] }).resolve });
  assert.deepEqual(await c.check('https://hooks.example.com/x'), { ok: true, url: new URL('https://hooks.example.com/x'), addresses: [{ address: '93.184.215.14', family: 4 }] });
});

test('with redirects off, a 3xx is returned and its Location never fetched', async (t) => {
  const target = await server(t, (_req, res) => res.end('secret'));
  const s = await server(t, (_req, res) => {
    res.writeHead(302, { location: `${target.origin}/` });
    res.end();
  });
  const res = await guarded(t, { allow: [s.origin, target.origin] }).request({ url: `${s.origin}/r` });
  assert.deepEqual([res.status, target.hits()], [302, 0]);
});

test('with redirects on, a hop between allowed origins is followed', async (t) => {
  const target = await server(t, (_req, res) => res.end('landed'));
  const s = await server(t, (_req, res) => {
    res.writeHead(307, { location: `${target.origin}/x` });
    res.end();
  });
  const res = await guarded(t, { allow: [s.origin, target.origin], redirects: 2 }).request({ url: `${s.origin}/r` });
  assert.deepEqual([res.status, res.body.toString()], [200, 'landed']);
});

test('with redirects on, a hop to a private address is refused before connecting', async (t) => {
  const sink = await countingServer(t);
  const s = await server(t, (_req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${sink.port}/` });
    res.end();
  });
  const c = guarded(t, { allow: [s.origin], redirects: 3, schemes: ['http', 'https'], ports: [sink.port] });
  assert.deepEqual([await refusedBecause(c.request({ url: `${s.origin}/r` })), sink.connections()], ['outbound.blocked:address', 0]);
});

test('with redirects on, a hop to the metadata address is refused', async (t) => {
  const s = await server(t, (_req, res) => {
    res.writeHead(301, { location: 'https://169.254.169.254/latest/meta-data/' });
    res.end();
  });
  assert.equal(await refusedBecause(guarded(t, { allow: [s.origin], redirects: 1 }).request({ url: `${s.origin}/r` })), 'outbound.blocked:address');
});

test('a 303 after a POST is followed with a GET without the body', async (t) => {
  const seen: string[] = [];
  const target = await server(t, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      seen.push(`${req.method} ${body.length}`);
      res.end('ok');
    });
  });
  const s = await server(t, (req, res) => {
    req.resume();
    res.writeHead(303, { location: `${target.origin}/done` });
    res.end();
  });
  await guarded(t, { allow: [s.origin, target.origin], redirects: 1 }).request({ url: `${s.origin}/r`, method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  assert.deepEqual(seen, ['GET 0']);
});

test('a cross-origin hop does not carry the Authorization header', async (t) => {
  const seen: Array<string | undefined> = [];
  const target = await server(t, (req, res) => {
    seen.push(req.headers.authorization);
    res.end('ok');
  });
  const s = await server(t, (_req, res) => {
    res.writeHead(307, { location: `${target.origin}/x` });
    res.end();
  });
  await guarded(t, { allow: [s.origin, target.origin], redirects: 1 }).request({ url: `${s.origin}/r`, headers: { authorization: 'Basic c2VjcmV0' } });
  assert.deepEqual(seen, [undefined]);
});

test('past the redirect limit the last 3xx is returned', async (t) => {
  let n = 0;
  const s = await server(t, (_req, res) => {
    res.writeHead(302, { location: `/hop${++n}` });
    res.end();
  });
  const res = await guarded(t, { allow: [s.origin], redirects: 2 }).request({ url: `${s.origin}/r` });
  assert.deepEqual([res.status, s.hits()], [302, 3]);
});

test('a redirect Location that is not a URL is refused', async (t) => {
  const s = await server(t, (_req, res) => {
    res.writeHead(302, { location: 'http://[::1' });
    res.end();
  });
  assert.equal(await refusedBecause(guarded(t, { allow: [s.origin], redirects: 1 }).request({ url: `${s.origin}/r` })), 'outbound.blocked:invalid_url');
});
