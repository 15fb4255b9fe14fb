/**
 * The Redis store: counters shared by every gateway node on one Redis (ioredis).
 *
 * - Each check is one Lua script, so read-decide-write-expire is atomic (never INCR then a
 *   separate EXPIRE): the script sets the key's expiry in the same call.
 * - The clock is the server's (`redis.call('TIME')`), so nodes with skewed clocks agree.
 * - Scripts run by EVALSHA; ioredis's `defineCommand` sends EVAL once per connection and reloads
 *   on NOSCRIPT (after a SCRIPT FLUSH, a restart or a failover).
 * - Keys are `${keyPrefix}{${key}}:<kind>`: the hash tag puts every key of one limit key in one
 *   Redis Cluster slot.
 * - Fail fast: no offline queue, no retries per request, a command timeout, and a socket timeout
 *   that drops a connection to a server that stopped answering. While Redis is away every call
 *   rejects with {@link StoreUnavailableError} within `commandTimeoutMs` (a NOSCRIPT reload can
 *   take a second round trip); the client reconnects with backoff, forever, on its own.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError, type ConcurrencyLease, type LimitResult, type LimitSpec, type RateLimitStore } from './contract.js';

/** The logging the store does (a pino logger fits). */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  readonly url?: string;
  /** ioredis connection options (host, port, password, tls, db …); the store's fail-fast settings override theirs. */
  readonly redis?: RedisOptions;
  /** Prepended to every key, e.g. `portcullis:`; required so several gateways can share one Redis. No `{` or `}`. */
  readonly keyPrefix: string;
  /** Connection attempt timeout. Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** A command not answered within this rejects with StoreUnavailableError. Default 200 ms. */
  readonly commandTimeoutMs?: number;
  /** A connection with commands outstanding and nothing received for this long is dropped and re-established. Default 1000 ms. */
  readonly socketTimeoutMs?: number;
  /** Longest wait between reconnection attempts. Default 2000 ms. */
  readonly maxReconnectDelayMs?: number;
  /** Connection state changes and failed releases are logged here. */
  readonly logger?: StoreLogger;
}

/** The Redis store. */
export interface RedisStore extends RateLimitStore {
  hit(key: string, spec: LimitSpec, cost?: number): Promise<LimitResult>;
  acquire(key: string, max: number, leaseMs: number): Promise<ConcurrencyLease>;
  /** Resolves true once connected (false after `timeoutMs`): for startup and tests. */
  ready(timeoutMs?: number): Promise<boolean>;
}

// Shared by every script: the server's clock in ms (microsecond precision), and ms values
// rounded up for the reply (Lua numbers become integers by truncation).
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function ms(x) if x < 0 then return 0 end return math.ceil(x) end
`;

/** Fixed window. KEYS[1] hash {s: window start, n: count}; ARGV limit, windowMs, cost. */
const FIXED_LUA = `${PRELUDE}
local limit, w, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = math.floor(now / w) * w
local reset = start + w - now
local v = redis.call('HMGET', KEYS[1], 's', 'n')
local count = 0
if tonumber(v[1]) == start then count = tonumber(v[2]) end
if count + cost > limit then
  return {0, math.max(0, limit - count), ms(reset), math.max(1, ms(reset))}
end
count = count + cost
redis.call('HSET', KEYS[1], 's', string.format('%d', start), 'n', count)
redis.call('PEXPIRE', KEYS[1], math.max(1, ms(reset)))
return {1, limit - count, ms(reset), 0}
`;

/**
 * Sliding window (weighted two-window counter, the same arithmetic as the memory store's
 * slidingDecision). KEYS[1] hash {s: current window start, c: its count, p: previous window's
 * count}; ARGV limit, windowMs, cost.
 */
const SLIDING_LUA = `${PRELUDE}
local limit, w, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = math.floor(now / w) * w
local elapsed = now - start
local v = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local s = tonumber(v[1])
local prev, curr = 0, 0
if s == start then curr = tonumber(v[2]); prev = tonumber(v[3])
elseif s == start - w then prev = tonumber(v[2]) end
local count = math.floor(prev * (w - elapsed) / w) + curr
local reset = w - elapsed
if count + cost <= limit then
  redis.call('HSET', KEYS[1], 's', string.format('%d', start), 'c', curr + cost, 'p', prev)
  redis.call('PEXPIRE', KEYS[1], ms(reset + w))
  return {1, limit - count - cost, ms(reset), 0}
end
local room = limit - cost + 1
local retry
if cost > limit then retry = reset + w
elseif curr < room then retry = math.floor(w - (room - curr) * w / prev) + 1 - elapsed
else retry = reset + math.floor(w - room * w / curr) + 1 end
return {0, math.max(0, limit - count), ms(reset), math.max(1, ms(retry))}
`;

/**
 * Token bucket as GCRA (the memory store's gcraDecision). KEYS[1] string: the theoretical arrival
 * time, ms; ARGV limit, windowMs, burst, cost.
 */
const BUCKET_LUA = `${PRELUDE}
local EPS = 1e-6
local limit, w, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local interval = w / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local ahead = tat - now
if ahead - (burst - cost) * interval <= EPS then
  local nxt = tat + cost * interval
  if cost > 0 then redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.max(1, ms(nxt - now))) end
  local rem = math.max(0, math.floor((burst * interval - (nxt - now)) / interval + EPS))
  return {1, rem, ms(nxt - now - EPS), 0}
end
local rem = math.max(0, math.floor((burst * interval - ahead) / interval + EPS))
local retry
if cost > burst then retry = ahead + w else retry = ahead - (burst - cost) * interval - EPS end
return {0, rem, ms(ahead - EPS), math.max(1, ms(retry))}
`;

/**
 * Concurrency slots. KEYS[1] sorted set: lease id → expiry (server ms). ARGV max, leaseMs, lease id.
 * Expired leases are removed first, so a node that crashed holding slots frees them after leaseMs.
 */
const ACQUIRE_LUA = `${PRELUDE}
local max, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.3f', now))
local n = redis.call('ZCARD', KEYS[1])
if n >= max then return {0, n} end
redis.call('ZADD', KEYS[1], string.format('%.3f', now + lease), ARGV[3])
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], math.max(1, ms(lease))) end
return {1, n + 1}
`;

type ScriptFn = (key: string, ...args: (string | number)[]) => Promise<unknown>;
interface ScriptedRedis {
  portcullisFixed: ScriptFn;
  portcullisSliding: ScriptFn;
  portcullisBucket: ScriptFn;
  portcullisAcquire: ScriptFn;
}

/**
 * Creates a Redis store; it starts connecting at once and reconnects forever until closed.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'portcullis:' });
 * try {
 *   const r = await store.hit('ip:203.0.113.7', { algorithm: 'sliding-window', limit: 100, windowMs: 60_000 });
 * } catch (e) {
 *   if (e instanceof StoreUnavailableError) { ...the policy's failure mode... }
 * }
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const prefix = options.keyPrefix;
  if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError('redis store: keyPrefix is required (e.g. "portcullis:")');
  if (/[{}]/.test(prefix)) throw new TypeError(`redis store: keyPrefix must not contain { or } (they are the Cluster hash tag), got ${JSON.stringify(prefix)}`);
  const commandTimeout = positive('commandTimeoutMs', options.commandTimeoutMs, 200);
  const connectTimeout = positive('connectTimeoutMs', options.connectTimeoutMs, 1000);
  const socketTimeout = positive('socketTimeoutMs', options.socketTimeoutMs, 1000);
  const maxDelay = positive('maxReconnectDelayMs', options.maxReconnectDelayMs, 2000);
  const logger = options.logger;

  const settings: RedisOptions = {
    ...options.redis,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout,
    connectTimeout,
    socketTimeout,
    lazyConnect: false,
    autoResubscribe: false,
    retryStrategy: (times: number) => Math.min(maxDelay, 25 * 2 ** Math.min(times, 16)),
  };
  const client = options.url === undefined ? new Redis(settings) : new Redis(options.url, settings);
  client.defineCommand('portcullisFixed', { numberOfKeys: 1, lua: FIXED_LUA });
  client.defineCommand('portcullisSliding', { numberOfKeys: 1, lua: SLIDING_LUA });
  client.defineCommand('portcullisBucket', { numberOfKeys: 1, lua: BUCKET_LUA });
  client.defineCommand('portcullisAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
  const scripts = client as unknown as ScriptedRedis;

  // Log transitions, not every failed reconnection attempt.
  let up = false;
  let lastError = '';
  client.on('ready', () => {
    up = true;
    lastError = '';
    logger?.info({ event: 'store.redis.ready' }, 'redis store connected');
  });
  client.on('error', (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    logger?.warn({ event: 'store.redis.error', err: error.message }, 'redis store error');
  });
  client.on('close', () => {
    if (!up) return;
    up = false;
    logger?.warn({ event: 'store.redis.disconnected' }, 'redis store disconnected; reconnecting');
  });

  const node = randomUUID();
  let leaseSeq = 0;
  let closed = false;

  function unavailable(error: unknown): StoreUnavailableError {
    const message = error instanceof Error ? error.message : String(error);
    return new StoreUnavailableError(`redis store: ${message}`, { cause: error });
  }

  function run(fn: () => Promise<unknown>): Promise<unknown> {
    if (closed) return Promise.reject(new StoreUnavailableError('redis store: closed'));
    try {
      return fn().catch((error: unknown) => { throw unavailable(error); });
    } catch (error) {
      return Promise.reject(unavailable(error));
    }
  }

  return {
    hit(key, spec, cost = 1) {
      const { limit, windowMs } = spec;
      let call: () => Promise<unknown>;
      let capacity = limit;
      switch (spec.algorithm) {
        case 'fixed-window':
          call = () => scripts.portcullisFixed(redisKey(prefix, key, `fw:${windowMs}`), limit, windowMs, cost);
          break;
        case 'sliding-window':
          call = () => scripts.portcullisSliding(redisKey(prefix, key, `sw:${windowMs}`), limit, windowMs, cost);
          break;
        case 'token-bucket':
          capacity = spec.burst ?? limit;
          call = () => scripts.portcullisBucket(redisKey(prefix, key, `tb:${windowMs}`), limit, windowMs, capacity, cost);
          break;
        default:
          return Promise.reject(new TypeError(`redis store: unknown algorithm ${String((spec as { algorithm: unknown }).algorithm)}`));
      }
      return run(call).then((reply) => toLimitResult(reply, capacity));
    },

    acquire(key, max, leaseMs) {
      const id = redisKey(prefix, key, 'cc');
      const lease = `${node}:${++leaseSeq}`;
      return run(() => scripts.portcullisAcquire(id, max, leaseMs, lease)).then((reply) => {
        const [allowed, current] = reply as [number, number];
        if (allowed !== 1) return { allowed: false, current, release: noop };
        let released = false;
        return {
          allowed: true,
          current,
          release() {
            if (released || closed) return;
            released = true;
            client.zrem(id, lease).catch((error: unknown) => {
              logger?.warn({ event: 'store.redis.release_failed', err: error instanceof Error ? error.message : String(error) }, `concurrency slot not released; it expires after ${leaseMs} ms`);
            });
          },
        };
      });
    },

    healthy() {
      return !closed && client.status === 'ready';
    },

    ready(timeoutMs = 2000) {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean): void => { clearTimeout(timer); client.off('ready', onReady); resolve(ok); };
        const onReady = (): void => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on('ready', onReady);
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}

/**
 * The Redis key of a limit: `${prefix}{${key}}:${kind}`. The braces are the Cluster hash tag
 * (every key of one limit key in one slot).
 *
 * @example
 * ```ts
 * redisKey('portcullis:', 'ip:203.0.113.7', 'fw:60000') // 'portcullis:{ip:203.0.113.7}:fw:60000'
 * ```
 */
export function redisKey(prefix: string, key: string, kind: string): string {
  return `${prefix}{${key}}:${kind}`;
}

function toLimitResult(reply: unknown, limit: number): LimitResult {
  if (!Array.isArray(reply) || reply.length !== 4) throw new StoreUnavailableError(`redis store: unexpected script reply ${JSON.stringify(reply)}`);
  const [allowed, remaining, resetMs, retryAfterMs] = reply as [number, number, number, number];
  return { allowed: allowed === 1, limit, remaining, resetMs, retryAfterMs };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`redis store: ${name} must be a positive number of ms, got ${String(value)}`);
  return value;
}

function noop(): void {}
