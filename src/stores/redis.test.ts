import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisStore, redisKey, type RedisStore } from './redis.js';
import { storeContractTests } from './contract-tests.js';
import { StoreUnavailableError, type LimitSpec } from './contract.js';
import { deletePrefix, freePort, REDIS_URL, uniquePrefix } from './redis-test-helpers.js';

const admin = new Redis(REDIS_URL, { lazyConnect: true });

before(async () => { await admin.connect(); });
after(async () => { await admin.quit(); });

async function openStore(prefix = uniquePrefix()): Promise<{ store: RedisStore; prefix: string; cleanup: () => Promise<void> }> {
  const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
  assert.equal(await store.ready(3000), true, 'connected to the test Redis');
  return { store, prefix, cleanup: async () => { await store.close(); await deletePrefix(admin, prefix); } };
}

storeContractTests('redis', () => openStore(), { windowMs: 400 });

const fw = (limit: number, windowMs = 60_000): LimitSpec => ({ algorithm: 'fixed-window', limit, windowMs });
const sw = (limit: number, windowMs = 60_000): LimitSpec => ({ algorithm: 'sliding-window', limit, windowMs });
const tb = (limit: number, windowMs = 60_000, burst?: number): LimitSpec => burst === undefined ? { algorithm: 'token-bucket', limit, windowMs } : { algorithm: 'token-bucket', limit, windowMs, burst };

describe('redis: keys', () => {
  test('keys are the prefix, the key as a Cluster hash tag, and the kind', () => {
    assert.equal(redisKey('p:', 'ip:1.2.3.4', 'fw:1000'), 'p:{ip:1.2.3.4}:fw:1000');
  });

  test('every key a check writes is under the prefix, hash-tagged, and expires within its window', async () => {
    const { store, prefix, cleanup } = await openStore();
    try {
      await store.hit('u1', fw(5, 10_000));
      await store.hit('u1', sw(5, 10_000));
      await store.hit('u1', tb(5, 10_000));
      await store.acquire('u1', 2, 10_000);
      const keys = (await admin.keys(`${prefix}*`)).sort();
      assert.deepEqual(keys, [`${prefix}{u1}:cc`, `${prefix}{u1}:fw:10000`, `${prefix}{u1}:sw:10000`, `${prefix}{u1}:tb:10000`]);
      for (const k of keys) {
        const ttl = await admin.pttl(k);
        assert.ok(ttl > 0 && ttl <= 20_000, `${k} expires (pttl ${ttl})`);
      }
      assert.ok((await admin.pttl(`${prefix}{u1}:fw:10000`)) <= 10_000);
      assert.ok((await admin.pttl(`${prefix}{u1}:tb:10000`)) <= 2_000 + 5, 'one token of 5/10s refills in 2 s');
    } finally {
      await cleanup();
    }
  });

  test('all keys of one limit key map to one Cluster slot', () => {
    assert.equal(keySlot('foo'), 12182, 'CRC16 reference value');
    assert.equal(keySlot('123456789'), 0x31c3 % 16384, 'CRC16 reference value');
    const slots = new Set(['fw:1000', 'sw:1000', 'tb:1000', 'cc'].map((kind) => keySlot(redisKey('portcullis:', 'user:42', kind))));
    assert.deepEqual([...slots], [keySlot('user:42')]);
  });

  test('a keyPrefix is required and may not contain a hash tag', () => {
    assert.throws(() => createRedisStore({ url: REDIS_URL, keyPrefix: '' }), /keyPrefix/);
    assert.throws(() => createRedisStore({ url: REDIS_URL, keyPrefix: 'a{b}:' }), /keyPrefix/);
    assert.throws(() => createRedisStore({ url: REDIS_URL, keyPrefix: 'p:', commandTimeoutMs: 0 }), /commandTimeoutMs/);
  });
});

describe('redis: scripts', () => {
  test('after SCRIPT FLUSH (a restart or failover) the scripts are reloaded on NOSCRIPT', async () => {
    const { store, cleanup } = await openStore();
    try {
      assert.equal((await store.hit('k', fw(3))).remaining, 2);
      await admin.script('FLUSH');
      assert.equal((await store.hit('k', fw(3))).remaining, 1);
      await admin.script('FLUSH');
      assert.equal((await store.hit('k', sw(3))).remaining, 2);
      await admin.script('FLUSH');
      assert.equal((await store.hit('k', tb(3))).remaining, 2);
      await admin.script('FLUSH');
      assert.equal((await store.acquire('k', 2, 1000)).current, 1);
    } finally {
      await cleanup();
    }
  });

  test('a token bucket keeps sub-millisecond precision in its stored time', async () => {
    const { store, prefix, cleanup } = await openStore();
    try {
      // 3 per second: the emission interval is 333.333… ms, stored with µs precision.
      for (let i = 0; i < 3; i++) await store.hit('k', tb(3, 1000, 10));
      const raw = await admin.get(redisKey(prefix, 'k', 'tb:1000'));
      assert.match(raw ?? '', /^\d{13}\.\d{3}$/);
    } finally {
      await cleanup();
    }
  });

  test('cost greater than the limit is refused without consuming', async () => {
    const { store, cleanup } = await openStore();
    try {
      const r = await store.hit('k', fw(3), 4);
      assert.deepEqual([r.allowed, r.remaining], [false, 3]);
      assert.equal((await store.hit('k', fw(3), 3)).allowed, true);
    } finally {
      await cleanup();
    }
  });
});

describe('redis: failures', () => {
  test('not connected: a hit rejects with StoreUnavailableError at once, healthy() is false', async () => {
    const port = await freePort();
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: uniquePrefix(), commandTimeoutMs: 100 });
    try {
      assert.equal(store.healthy(), false);
      const start = performance.now();
      await assert.rejects(Promise.resolve(store.hit('k', fw(1))), (e: unknown) => e instanceof StoreUnavailableError && e.code === 'store.unavailable');
      await assert.rejects(Promise.resolve(store.acquire('k', 1, 1000)), StoreUnavailableError);
      assert.ok(performance.now() - start < 100, 'failed fast');
    } finally {
      await store.close();
    }
  });

  test('after close, calls reject and healthy() is false', async () => {
    const { store, cleanup } = await openStore();
    await cleanup();
    assert.equal(store.healthy(), false);
    await assert.rejects(store.hit('k', fw(1)), StoreUnavailableError);
  });
});

/** The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384. */
function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
