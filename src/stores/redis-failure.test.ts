// The Redis store when its server dies, hangs or comes back. Each test runs its own redis-server on
// a free port; the shared 6379 server is never touched.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisStore, type RedisStore } from './redis.js';
import { StoreUnavailableError, type LimitSpec } from './contract.js';
import { freePort, killRedisServer, startRedisServer, uniquePrefix, waitFor } from './redis-test-helpers.js';

const COMMAND_TIMEOUT = 150;
const MARGIN = 100;
const spec: LimitSpec = { algorithm: 'fixed-window', limit: 1000, windowMs: 60_000 };

interface Rig { port: number; server: ChildProcess; store: RedisStore; warnings: object[] }

async function rig(): Promise<Rig> {
  const port = await freePort();
  const server = await startRedisServer(port);
  const warnings: object[] = [];
  const store = createRedisStore({
    url: `redis://127.0.0.1:${port}`,
    keyPrefix: uniquePrefix(),
    commandTimeoutMs: COMMAND_TIMEOUT,
    socketTimeoutMs: 400,
    maxReconnectDelayMs: 200,
    logger: { warn: (o) => warnings.push(o), info: () => {} },
  });
  assert.equal(await store.ready(3000), true);
  return { port, server, store, warnings };
}

async function teardown(r: Rig): Promise<void> {
  await r.store.close();
  if (r.server.signalCode === null && r.server.exitCode === null) r.server.kill('SIGCONT');
  await killRedisServer(r.server);
}

/** Runs a hit and measures how long it took to settle, and how. */
async function timedHit(store: RedisStore, key = 'k'): Promise<{ ms: number; ok: boolean; error?: unknown }> {
  const start = performance.now();
  try {
    await store.hit(key, spec);
    return { ms: performance.now() - start, ok: true };
  } catch (error) {
    return { ms: performance.now() - start, ok: false, error };
  }
}

describe('redis store: server killed and restarted', () => {
  test('killed: hits reject with StoreUnavailableError within the command timeout, healthy() turns false', async () => {
    const r = await rig();
    try {
      assert.equal((await timedHit(r.store)).ok, true);
      await killRedisServer(r.server);
      for (let i = 0; i < 5; i++) {
        const h = await timedHit(r.store);
        assert.equal(h.ok, false);
        assert.ok(h.error instanceof StoreUnavailableError, String(h.error));
        assert.ok(h.ms < COMMAND_TIMEOUT + MARGIN, `settled in ${h.ms.toFixed(1)} ms`);
      }
      assert.ok((await waitFor(() => !r.store.healthy(), 1000)) >= 0, 'healthy() false');
    } finally {
      await teardown(r);
    }
  });

  test('hits in flight when the server dies all settle within the bound', async () => {
    const r = await rig();
    try {
      const inflight = Array.from({ length: 200 }, (_, i) => timedHit(r.store, `k${i % 7}`));
      await killRedisServer(r.server);
      const results = await Promise.all(inflight);
      const slowest = Math.max(...results.map((h) => h.ms));
      assert.ok(slowest < COMMAND_TIMEOUT + MARGIN + 50, `slowest settled in ${slowest.toFixed(1)} ms`);
      for (const h of results) if (!h.ok) assert.ok(h.error instanceof StoreUnavailableError, String(h.error));
    } finally {
      await teardown(r);
    }
  });

  test('restarted on the same port: the same store reconnects and hits succeed again', async () => {
    const r = await rig();
    try {
      await r.store.hit('k', spec);
      await killRedisServer(r.server);
      assert.ok((await waitFor(() => !r.store.healthy(), 1000)) >= 0);
      assert.equal((await timedHit(r.store)).ok, false);
      await sleep(300); // a few reconnection attempts fail while the server is away
      r.server = await startRedisServer(r.port);
      const waited = await waitFor(() => r.store.healthy(), 3000);
      assert.ok(waited >= 0, 'reconnected within 3 s');
      const after = await r.store.hit('k', spec);
      // the new server kept nothing (no persistence): the count starts again, through freshly loaded scripts
      assert.deepEqual([after.allowed, after.remaining], [true, 999]);
      assert.ok(r.warnings.some((w) => (w as { event?: string }).event === 'store.redis.disconnected'), 'the disconnection was logged');
    } finally {
      await teardown(r);
    }
  });

  test('hits during the whole outage each settle within the bound; none hangs', async () => {
    const r = await rig();
    try {
      await killRedisServer(r.server);
      const outage: { ms: number; ok: boolean }[] = [];
      const until = Date.now() + 600;
      while (Date.now() < until) {
        outage.push(await timedHit(r.store));
        await sleep(20);
      }
      assert.ok(outage.every((h) => !h.ok && h.ms < COMMAND_TIMEOUT + MARGIN), `slowest ${Math.max(...outage.map((h) => h.ms)).toFixed(1)} ms`);
    } finally {
      await teardown(r);
    }
  });

  test('a release while the server is away is logged, never thrown; the slot expires on its own', async () => {
    const r = await rig();
    try {
      const lease = await r.store.acquire('c', 1, 60_000);
      await killRedisServer(r.server);
      assert.ok((await waitFor(() => !r.store.healthy(), 1000)) >= 0);
      assert.doesNotThrow(() => lease.release());
      await waitFor(() => r.warnings.some((w) => (w as { event?: string }).event === 'store.redis.release_failed'), 1000);
      assert.ok(r.warnings.some((w) => (w as { event?: string }).event === 'store.redis.release_failed'));
    } finally {
      await teardown(r);
    }
  });
});

describe('redis store: server hung (SIGSTOP)', () => {
  test('hits time out within commandTimeoutMs; the silent connection is dropped; SIGCONT brings it back', async () => {
    const r = await rig();
    try {
      assert.equal((await timedHit(r.store)).ok, true);
      r.server.kill('SIGSTOP');
      const h = await timedHit(r.store);
      assert.equal(h.ok, false);
      assert.ok(h.error instanceof StoreUnavailableError, String(h.error));
      assert.ok(h.ms >= COMMAND_TIMEOUT - 5 && h.ms < COMMAND_TIMEOUT + MARGIN, `timed out in ${h.ms.toFixed(1)} ms`);
      // socketTimeoutMs (400) after the unanswered command, the connection is dropped: not healthy
      assert.ok((await waitFor(() => !r.store.healthy(), 1500)) >= 0, 'healthy() false while the server is hung');
      const during = await timedHit(r.store);
      assert.ok(!during.ok && during.ms < COMMAND_TIMEOUT + MARGIN);
      r.server.kill('SIGCONT');
      assert.ok((await waitFor(() => r.store.healthy(), 3000)) >= 0, 'reconnected after SIGCONT');
      assert.equal((await timedHit(r.store)).ok, true);
    } finally {
      await teardown(r);
    }
  });
});
