// The gateway on a Redis that dies and comes back: a route with failureMode closed answers 503
// within a bound, a route with the default (open, memory fallback) keeps limiting per node, and
// both use Redis again once it is back, without a restart. A redis-server of the test's own,
// so killing it disturbs no other test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { freePort, killRedisServer, startRedisServer, uniquePrefix } from '../src/stores/redis-test-helpers.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { problemOf, send, type Reply } from './helpers/client.js';

let port = 0;
let server: ChildProcess | undefined;
let gw: TestGateway;
const prefix = uniquePrefix();

before(async () => {
  port = await freePort();
  server = await startRedisServer(port);
  gw = await startTestGateway({ tls: false, yaml: (url) => `
server: { http: { host: 127.0.0.1, port: 0, redirect: false } }
upstreams: { api: { url: "${url}" } }
defaults:
  policies:
    rate-limit:
      store: { type: redis, url: "redis://127.0.0.1:${port}", keyPrefix: "${prefix}", commandTimeoutMs: 200 }
routes:
  - path: /api/closed
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { failureMode: closed, limits: [{ name: strict, rate: 100/hour, algorithm: fixed-window }] }
  - path: /api/open
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { limits: [{ name: lenient, rate: 3/hour, algorithm: fixed-window }] }
` });
});

after(async () => {
  await gw?.close();
  if (server) await killRedisServer(server);
});

async function post(path: string): Promise<Reply & { ms: number }> {
  const start = performance.now();
  const reply = await send(`${gw.url}${path}`, { method: 'POST' });
  return { ...reply, ms: performance.now() - start };
}

test('Redis up, killed, restarted: closed refuses, open falls back to memory, both recover', async (t) => {
  await t.test('up: both routes count in Redis', async () => {
    const [closed, open] = [await post('/api/closed'), await post('/api/open')];
    const admin = new Redis({ port, host: '127.0.0.1' });
    const keys = await admin.keys(`${prefix}*`);
    admin.disconnect();
    assert.deepEqual([closed.status, open.status, open.headers['x-ratelimit-remaining'], keys.length], [200, 200, '2', 2]);
  });

  await killRedisServer(server!);
  server = undefined;

  await t.test('down, failureMode closed: 503 rate-limit.unavailable, each within the command timeout', async () => {
    const replies = [await post('/api/closed'), await post('/api/closed'), await post('/api/closed')];
    for (const r of replies) problemOf(r, 503, 'rate-limit.unavailable');
    assert.ok(replies.every((r) => r.ms < 1000), `took ${replies.map((r) => r.ms.toFixed(0)).join(', ')} ms`);
  });

  await t.test('down, failureMode open: requests pass, still limited per node by the memory fallback', async () => {
    const replies = [await post('/api/open'), await post('/api/open'), await post('/api/open'), await post('/api/open')];
    assert.deepEqual(replies.map((r) => [r.status, r.headers['x-ratelimit-remaining']]), [[200, '2'], [200, '1'], [200, '0'], [429, '0']]);
  });

  await t.test('down: a warning is logged, once per route and interval, not per request', () => {
    const warnings = gw.logs.filter((l) => l.event === 'rate_limit_store_unavailable');
    assert.deepEqual(warnings.map((w) => w.failureMode).sort(), ['closed', 'open']);
  });

  server = await startRedisServer(port);

  await t.test('back: the same gateway uses Redis again, without a restart', async () => {
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await post('/api/closed')).status;
      if (status !== 200) await new Promise((ok) => setTimeout(ok, 50));
    }
    assert.equal(status, 200);
    await gw.waitForLog((l) => l.event === 'rate_limit_store_recovered');
  });

  await t.test('back: the open route counts in Redis again (the restarted server starts from zero)', async () => {
    const deadline = Date.now() + 10_000;
    let reply = await post('/api/open');
    while (Date.now() < deadline && reply.status !== 200) {
      await new Promise((ok) => setTimeout(ok, 50));
      reply = await post('/api/open');
    }
    assert.deepEqual([reply.status, reply.headers['x-ratelimit-remaining']], [200, '2']);
  });
});
