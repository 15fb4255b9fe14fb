/**
 * The contract suite every {@link RateLimitStore} runs (the pattern of undici's
 * `cacheStoreTests`): the same behaviours, asserted the same way, for the memory store and the
 * Redis store. A store's own test file calls {@link storeContractTests} and adds its specifics.
 *
 * Time: a harness with a fake clock advances it; without one the suite waits real time (the
 * Redis store reads the server's clock), so every time-based case uses short windows
 * (`options.windowMs`, 400 ms by default) and bounded waits. Exact window edges are asserted
 * only by the clock-driven tests of the memory store's own file.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LimitResult, LimitSpec, RateLimitStore } from './contract.js';

/** A store under test, with its clock. */
export interface StoreHarness {
  /** The store. */
  readonly store: RateLimitStore;
  /** A fake clock; when absent, time passes for real. */
  readonly clock?: { advance(ms: number): void };
  /** Called after each test (close the store, delete its keys). */
  readonly cleanup?: () => Promise<void>;
}

/** What {@link storeContractTests} passes to `makeStore`. */
export interface HarnessContext {
  /** The running test's name (for unique prefixes or logs). */
  readonly testName: string;
}

/** Options of {@link storeContractTests}. */
export interface ContractOptions {
  /** Window of the time-based cases, ms. Default 400. */
  readonly windowMs?: number;
}

/**
 * Registers the contract suite for one store implementation.
 *
 * @example
 * ```ts
 * storeContractTests('memory', () => { const clock = fakeClock(); return { store: createMemoryStore({ now: clock.now }), clock }; });
 * ```
 */
export function storeContractTests(name: string, makeStore: (ctx: HarnessContext) => StoreHarness | Promise<StoreHarness>, options: ContractOptions = {}): void {
  const W = options.windowMs ?? 400;
  const fixed = (limit: number): LimitSpec => ({ algorithm: 'fixed-window', limit, windowMs: W });
  const sliding = (limit: number): LimitSpec => ({ algorithm: 'sliding-window', limit, windowMs: W });
  const bucket = (limit: number, burst?: number): LimitSpec => burst === undefined ? { algorithm: 'token-bucket', limit, windowMs: W } : { algorithm: 'token-bucket', limit, windowMs: W, burst };

  void describe(`${name}: store contract`, () => {
    let h: StoreHarness;
    let store: RateLimitStore;

    beforeEach(async (t) => {
      h = await makeStore({ testName: (t as { name?: string }).name ?? '' });
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup?.();
    });

    /** Lets `ms` pass on the store's clock. */
    async function pass(ms: number): Promise<void> {
      if (h.clock !== undefined) h.clock.advance(ms);
      else await sleep(Math.max(0, ms));
    }

    /** Waits (if needed) until at least 60% of a W window is left, so a run of hits stays in one window. */
    async function alignToWindow(): Promise<void> {
      const probe = await store.hit('contract-probe', fixed(1_000_000));
      if (h.clock !== undefined) { h.clock.advance(probe.resetMs); return; }
      if (probe.resetMs < W * 0.6) await sleep(probe.resetMs + 3);
    }

    async function hits(key: string, spec: LimitSpec, n: number, cost?: number): Promise<LimitResult[]> {
      const out: LimitResult[] = [];
      for (let i = 0; i < n; i++) out.push(await store.hit(key, spec, cost));
      return out;
    }

    void describe('fixed window', () => {
      void test('allows `limit` hits in a window, then refuses', async () => {
        await alignToWindow();
        const rs = await hits('k', fixed(5), 7);
        assert.deepEqual(rs.map((r) => r.allowed), [true, true, true, true, true, false, false]);
      });

      void test('remaining counts down to 0 and never rises within the window', async () => {
        await alignToWindow();
        const rs = await hits('k', fixed(5), 8);
        assert.deepEqual(rs.map((r) => r.remaining), [4, 3, 2, 1, 0, 0, 0, 0]);
        assert.ok(rs.every((r) => r.limit === 5));
      });

      void test('resetMs is within the window and retryAfterMs is 0 when allowed, resetMs when refused', async () => {
        await alignToWindow();
        const [ok, no] = await hits('k', fixed(1), 2);
        assert.ok(ok!.resetMs > 0 && ok!.resetMs <= W, `resetMs ${ok!.resetMs}`);
        assert.equal(ok!.retryAfterMs, 0);
        assert.equal(no!.allowed, false);
        assert.ok(no!.retryAfterMs > 0 && no!.retryAfterMs <= W, `retryAfterMs ${no!.retryAfterMs}`);
        assert.ok(Math.abs(no!.retryAfterMs - no!.resetMs) <= 1);
      });

      void test('the next window starts full again', async () => {
        await alignToWindow();
        const rs = await hits('k', fixed(3), 4);
        assert.equal(rs[3]!.allowed, false);
        await pass(rs[3]!.retryAfterMs + 2);
        const after = await hits('k', fixed(3), 4);
        assert.deepEqual(after.map((r) => [r.allowed, r.remaining]), [[true, 2], [true, 1], [true, 0], [false, 0]]);
      });

      void test('a cost counts several hits at once; a refused cost consumes nothing', async () => {
        await alignToWindow();
        const a = await store.hit('k', fixed(10), 3);
        assert.deepEqual([a.allowed, a.remaining], [true, 7]);
        const b = await store.hit('k', fixed(10), 8);
        assert.deepEqual([b.allowed, b.remaining], [false, 7]);
        const c = await store.hit('k', fixed(10), 7);
        assert.deepEqual([c.allowed, c.remaining], [true, 0]);
      });
    });

    void describe('sliding window', () => {
      void test('allows `limit` hits, then refuses with a retryAfterMs within two windows', async () => {
        await alignToWindow();
        const rs = await hits('k', sliding(5), 7);
        assert.deepEqual(rs.map((r) => r.allowed), [true, true, true, true, true, false, false]);
        assert.deepEqual(rs.map((r) => r.remaining), [4, 3, 2, 1, 0, 0, 0]);
        const no = rs[6]!;
        assert.ok(no.retryAfterMs > 0 && no.retryAfterMs <= 2 * W, `retryAfterMs ${no.retryAfterMs}`);
        assert.ok(no.resetMs > 0 && no.resetMs <= W, `resetMs ${no.resetMs}`);
        assert.ok(rs.slice(0, 5).every((r) => r.retryAfterMs === 0));
      });

      void test('refused hits do not count: after retryAfterMs a hit is allowed', async () => {
        await alignToWindow();
        await hits('k', sliding(4), 4);
        const refused = await hits('k', sliding(4), 10);
        assert.ok(refused.every((r) => !r.allowed));
        const wait = Math.max(...refused.map((r) => r.retryAfterMs));
        await pass(wait + 2);
        assert.equal((await store.hit('k', sliding(4))).allowed, true);
      });

      void test('after two windows without hits the limit is whole again', async () => {
        await alignToWindow();
        await hits('k', sliding(3), 3);
        await pass(2 * W + 2);
        const rs = await hits('k', sliding(3), 4);
        assert.deepEqual(rs.map((r) => r.allowed), [true, true, true, false]);
      });

      void test('a cost counts several hits at once; a refused cost consumes nothing', async () => {
        await alignToWindow();
        assert.deepEqual(pick(await store.hit('k', sliding(10), 4)), [true, 6]);
        assert.deepEqual(pick(await store.hit('k', sliding(10), 7)), [false, 6]);
        assert.deepEqual(pick(await store.hit('k', sliding(10), 6)), [true, 0]);
      });
    });

    void describe('token bucket', () => {
      void test('a full bucket allows a burst of `limit`, then refuses', async () => {
        const rs = await hits('k', bucket(4), 6);
        assert.deepEqual(rs.map((r) => r.allowed), [true, true, true, true, false, false]);
        assert.deepEqual(rs.map((r) => r.remaining), [3, 2, 1, 0, 0, 0]);
        assert.ok(rs.every((r) => r.limit === 4));
      });

      void test('burst sets the capacity above the rate', async () => {
        const rs = await hits('k', bucket(2, 6), 7);
        assert.deepEqual(rs.map((r) => r.allowed), [true, true, true, true, true, true, false]);
        assert.equal(rs[0]!.limit, 6);
      });

      void test('a refused hit says to retry after about one emission interval', async () => {
        const rs = await hits('k', bucket(4), 5);
        const no = rs[4]!;
        const interval = W / 4;
        assert.equal(no.allowed, false);
        assert.ok(no.retryAfterMs >= 1 && no.retryAfterMs <= interval + 1, `retryAfterMs ${no.retryAfterMs}`);
        assert.ok(no.resetMs > 0 && no.resetMs <= W + 1, `resetMs ${no.resetMs}`);
        assert.ok(rs[3]!.resetMs >= W - 100 && rs[3]!.resetMs <= W + 1, `empty bucket refills in about W: ${rs[3]!.resetMs}`);
      });

      void test('after the burst, hits pass at the steady rate: one per interval', async () => {
        const rs = await hits('k', bucket(4), 5);
        await pass(rs[4]!.retryAfterMs + 3);
        const next = await hits('k', bucket(4), 2);
        assert.deepEqual(next.map((r) => r.allowed), [true, false]);
        await pass(next[1]!.retryAfterMs + 3);
        assert.equal((await store.hit('k', bucket(4))).allowed, true);
      });

      void test('refused hits take no tokens', async () => {
        await hits('k', bucket(4), 4);
        const refused = await hits('k', bucket(4), 10);
        assert.ok(refused.every((r) => !r.allowed));
        await pass(Math.max(...refused.map((r) => r.retryAfterMs)) + 3);
        assert.equal((await store.hit('k', bucket(4))).allowed, true);
      });

      void test('the bucket refills completely after a window', async () => {
        await hits('k', bucket(3), 4);
        await pass(W + 5);
        const rs = await hits('k', bucket(3), 4);
        assert.deepEqual(rs.map((r) => r.allowed), [true, true, true, false]);
      });

      void test('a cost takes several tokens; a refused cost takes none', async () => {
        assert.deepEqual(pick(await store.hit('k', bucket(10), 4)), [true, 6]);
        assert.deepEqual(pick(await store.hit('k', bucket(10), 7)), [false, 6]);
        assert.deepEqual(pick(await store.hit('k', bucket(10), 6)), [true, 0]);
      });
    });

    void describe('keys', () => {
      void test('keys are independent', async () => {
        await alignToWindow();
        await hits('a', fixed(2), 3);
        assert.equal((await store.hit('a', fixed(2))).allowed, false);
        assert.deepEqual(pick(await store.hit('b', fixed(2))), [true, 1]);
      });

      void test('algorithms and windows on one key keep separate counters', async () => {
        await alignToWindow();
        await hits('k', fixed(2), 2);
        assert.equal((await store.hit('k', fixed(2))).allowed, false);
        assert.deepEqual(pick(await store.hit('k', sliding(2))), [true, 1]);
        assert.deepEqual(pick(await store.hit('k', bucket(2))), [true, 1]);
        assert.deepEqual(pick(await store.hit('k', { algorithm: 'fixed-window', limit: 2, windowMs: 60_000 })), [true, 1]);
      });

      void test('keys with Redis-special characters ({ } : * spaces, unicode) are plain keys', async () => {
        await alignToWindow();
        for (const k of ['{x}', 'a:b', '*', 'with space', 'ключ', '}{']) {
          assert.deepEqual(pick(await store.hit(k, fixed(1))), [true, 0], k);
          assert.equal((await store.hit(k, fixed(1))).allowed, false, k);
        }
      });
    });

    void describe('concurrency', () => {
      void test('acquire takes slots up to max, then refuses', async () => {
        const a = await store.acquire('c', 2, 10_000);
        const b = await store.acquire('c', 2, 10_000);
        const c = await store.acquire('c', 2, 10_000);
        assert.deepEqual([a.allowed, a.current], [true, 1]);
        assert.deepEqual([b.allowed, b.current], [true, 2]);
        assert.deepEqual([c.allowed, c.current], [false, 2]);
      });

      void test('release frees a slot, and releasing twice frees it once', async () => {
        const a = await store.acquire('c', 2, 10_000);
        await store.acquire('c', 2, 10_000);
        a.release();
        a.release();
        await settle();
        const b = await store.acquire('c', 2, 10_000);
        const c = await store.acquire('c', 2, 10_000);
        assert.deepEqual([b.allowed, b.current], [true, 2]);
        assert.equal(c.allowed, false);
      });

      void test('releasing a refused lease frees nothing', async () => {
        await store.acquire('c', 1, 10_000);
        const no = await store.acquire('c', 1, 10_000);
        no.release();
        await settle();
        assert.equal((await store.acquire('c', 1, 10_000)).allowed, false);
      });

      void test('a lease expires after leaseMs', async () => {
        await store.acquire('c', 1, 150);
        assert.equal((await store.acquire('c', 1, 150)).allowed, false);
        await pass(160);
        const again = await store.acquire('c', 1, 150);
        assert.deepEqual([again.allowed, again.current], [true, 1]);
      });

      void test('concurrency keys are separate from each other and from rate counters', async () => {
        await store.acquire('c', 1, 10_000);
        assert.equal((await store.acquire('d', 1, 10_000)).allowed, true);
        assert.equal((await store.hit('c', fixed(1))).allowed, true);
      });
    });

    void test('healthy() is true while the store can answer', () => {
      assert.equal(store.healthy(), true);
    });
  });
}

function pick(r: LimitResult): [boolean, number] {
  return [r.allowed, r.remaining];
}

/** Lets fire-and-forget work (a Redis release) reach the store before the next command. */
async function settle(): Promise<void> {
  await sleep(5);
}
