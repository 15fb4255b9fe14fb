// Exactness across nodes at the store level: three stores (three connections, as three gateway
// nodes would have) share one prefix on the shared Redis; 10 × N concurrent hits spread across
// them allow exactly N, and the Remaining values handed out are each of N−1 … 0 exactly once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRedisStore, type RedisStore } from './redis.js';
import type { LimitSpec } from './contract.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis-test-helpers.js';

const N = 20;
const HITS = 10 * N;
const DAY = 86_400_000;

const prefix = uniquePrefix();
const admin = new Redis(REDIS_URL, { lazyConnect: true });
let nodes: RedisStore[] = [];

before(async () => {
  await admin.connect();
  nodes = [0, 1, 2].map(() => createRedisStore({ url: REDIS_URL, keyPrefix: prefix }));
  for (const n of nodes) assert.equal(await n.ready(3000), true);
  // keep clear of a window boundary (the fixed and sliding windows are a day long)
  const probe = await nodes[0]!.hit('probe', { algorithm: 'fixed-window', limit: 1, windowMs: DAY });
  if (probe.resetMs < 5000) await sleep(probe.resetMs + 10);
});

after(async () => {
  for (const n of nodes) await n.close();
  await deletePrefix(admin, prefix);
  await admin.quit();
});

const specs: Record<string, LimitSpec> = {
  'fixed window': { algorithm: 'fixed-window', limit: N, windowMs: DAY },
  'sliding window': { algorithm: 'sliding-window', limit: N, windowMs: DAY },
  'token bucket (burst N, one token a day per N)': { algorithm: 'token-bucket', limit: N, windowMs: DAY, burst: N },
};

describe(`three stores on one Redis: ${HITS} concurrent hits, limit ${N}`, () => {
  for (const [name, spec] of Object.entries(specs)) {
    test(`${name}: exactly ${N} allowed`, async () => {
      const key = `exact:${spec.algorithm}`;
      const results = await Promise.all(Array.from({ length: HITS }, (_, i) => nodes[i % 3]!.hit(key, spec)));
      const allowed = results.filter((r) => r.allowed);
      assert.equal(allowed.length, N);
      assert.deepEqual(allowed.map((r) => r.remaining).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i), 'each Remaining handed out once');
      assert.ok(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.retryAfterMs > 0));
    });
  }

  test('concurrency: exactly max leases granted across the three stores', async () => {
    const leases = await Promise.all(Array.from({ length: 50 }, (_, i) => nodes[i % 3]!.acquire('exact:concurrency', 5, 60_000)));
    assert.equal(leases.filter((l) => l.allowed).length, 5);
    assert.deepEqual(leases.filter((l) => l.allowed).map((l) => l.current).sort(), [1, 2, 3, 4, 5]);
    for (const l of leases) l.release();
    await sleep(20);
    assert.equal((await nodes[1]!.acquire('exact:concurrency', 5, 60_000)).current, 1);
  });
});
