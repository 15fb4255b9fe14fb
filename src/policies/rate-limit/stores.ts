/**
 * The store a rate-limit policy counts in, built from its `store` config. Building one opens no
 * connection (`check` compiles every policy): the Redis client is created, and starts connecting,
 * when the policy gets ready (or, without that, at the first request).
 */
import type { Logger } from 'pino';
import { StoreUnavailableError, type RateLimitStore } from '../../stores/contract.js';
import { createMemoryStore } from '../../stores/memory.js';
import { createRedisStore, type RedisStore } from '../../stores/redis.js';
import type { StoreConfig } from './schema.js';

/** A store as the policy holds it: the contract, plus a first connection. */
export interface PolicyStore extends RateLimitStore {
  /** Connects; resolves false when the store could not be reached in time (it keeps trying). */
  ready?(): Promise<boolean | void>;
}

/** What a store factory gets besides the store config. */
export interface StoreFactoryOptions {
  /** The clock of memory stores (ms). */
  readonly now: () => number;
  /** Where a Redis store logs its connection changes. */
  readonly logger?: Logger;
}

/** Builds the store for a config. */
export type StoreFactory = (config: StoreConfig, options: StoreFactoryOptions) => PolicyStore;

/**
 * The default factory: a bounded memory store, or a Redis store that connects on ready().
 *
 * @example
 * ```ts
 * const store = createStore({ type: 'memory', url: '', keyPrefix: '', commandTimeoutMs: 250, maxKeys: 100_000 }, { now: Date.now });
 * ```
 */
export const createStore: StoreFactory = (config, { now, logger }) => {
  if (config.type === 'memory') return createMemoryStore({ maxKeys: config.maxKeys, now });
  return lazyRedisStore(() => createRedisStore({ url: config.url, keyPrefix: config.keyPrefix, commandTimeoutMs: config.commandTimeoutMs, ...(logger ? { logger } : {}) }));
};

/**
 * A Redis store created on first use: ready(), the first health check or the first request.
 *
 * @example
 * ```ts
 * const store = lazyRedisStore(() => createRedisStore({ url, keyPrefix: 'portcullis:rl:' }));
 * await store.ready?.(); // connects now
 * ```
 */
export function lazyRedisStore(create: () => RedisStore): PolicyStore {
  let store: RedisStore | undefined;
  let closed = false;
  const get = (): RedisStore => {
    if (closed) throw new StoreUnavailableError('redis store: closed');
    return (store ??= create());
  };
  return {
    hit: (key, spec, cost) => get().hit(key, spec, cost),
    acquire: (key, max, leaseMs) => get().acquire(key, max, leaseMs),
    healthy: () => !closed && get().healthy(),
    ready: () => get().ready(),
    async close() {
      closed = true;
      await store?.close();
    },
  };
}

/** A store borrowed from a {@link StorePool}. */
export interface PooledStore {
  /** The store (shared with every other borrower of the same config). */
  readonly store: PolicyStore;
  /** Gives it back; the last borrower's release closes it. Idempotent. */
  release(): Promise<void>;
}

/** Stores by config, shared by the policy instances that use the same one. */
export interface StorePool {
  /** Borrows the store for `config`, creating it on first use. */
  acquire(config: StoreConfig, options: StoreFactoryOptions): PooledStore;
}

/**
 * A pool of stores keyed by their config. Every route that sets its own rate-limit config gets a
 * policy instance of its own; through the pool those instances count in one store per config, so
 * a memory store behaves like one Redis node (a `perRoute: false` budget is one budget on every
 * route) and a Redis store opens one connection, not one per route. A reload borrows the running
 * store before the old config releases it, so counters survive the reload.
 *
 * @example
 * ```ts
 * const pool = createStorePool(createStore);
 * const { store, release } = pool.acquire(config, { now: Date.now });
 * await release();
 * ```
 */
export function createStorePool(factory: StoreFactory): StorePool {
  const entries = new Map<string, { store: PolicyStore; borrowers: number }>();
  return {
    acquire(config, options) {
      const id = config.type === 'memory' ? `memory|${config.maxKeys}` : JSON.stringify([config.type, config.url, config.keyPrefix, config.commandTimeoutMs]);
      let entry = entries.get(id);
      if (entry === undefined) {
        entry = { store: factory(config, options), borrowers: 0 };
        entries.set(id, entry);
      }
      entry.borrowers++;
      const borrowed = entry;
      let released = false;
      return {
        store: borrowed.store,
        async release() {
          if (released) return;
          released = true;
          if (--borrowed.borrowers > 0) return;
          if (entries.get(id) === borrowed) entries.delete(id);
          await borrowed.store.close();
        },
      };
    },
  };
}
