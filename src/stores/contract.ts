/**
 * The counter-store contract behind rate limits, flow quotas and concurrency limits. One
 * interface, two implementations (memory: bounded, the default; Redis: shared across gateway
 * nodes, each operation one atomic Lua script on the server's clock), one contract test suite
 * that both must pass.
 */

/** How a limit counts. */
export type LimitAlgorithm = 'fixed-window' | 'sliding-window' | 'token-bucket';

/** One limit, parsed at compile time (`100/min` → { limit: 100, windowMs: 60000 }). */
export interface LimitSpec {
  /** The algorithm. */
  readonly algorithm: LimitAlgorithm;
  /** Requests allowed per window (token bucket: the refill amount per window). */
  readonly limit: number;
  /** Window length in ms (token bucket: the time to refill `limit` tokens). */
  readonly windowMs: number;
  /** Token bucket only: bucket capacity (the burst); defaults to `limit`. */
  readonly burst?: number;
}

/** What a hit on a limit answers; every number is what the client may be told. */
export interface LimitResult {
  /** Whether this hit is within the limit (a refused hit does not consume). */
  readonly allowed: boolean;
  /** The limit (capacity for a token bucket). */
  readonly limit: number;
  /** Hits left after this one, never negative, never rising within a fixed window. */
  readonly remaining: number;
  /** Milliseconds until the window resets (token bucket: until the bucket is full again). */
  readonly resetMs: number;
  /** Milliseconds until a refused hit could succeed (0 when allowed): Retry-After. */
  readonly retryAfterMs: number;
}

/** A concurrency slot: release it when the request ends. */
export interface ConcurrencyLease {
  /** Whether a slot was free. */
  readonly allowed: boolean;
  /** Requests in flight for the key, this one included when allowed. */
  readonly current: number;
  /** Frees the slot (idempotent; a no-op when not allowed). */
  release(): void;
}

/** Raised (or rejected with) when the store cannot answer: the policy applies its failure mode. */
export class StoreUnavailableError extends Error {
  /** Stable code. */
  readonly code = 'store.unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A counter store. Keys are opaque strings the policy built (already bounded and hashed where an
 * attacker controls them); the store adds its own prefix. Memory answers synchronously, so a
 * limit check on the memory store costs no microtask.
 *
 * @example
 * ```ts
 * const r = await store.hit('ip:203.0.113.7', { algorithm: 'fixed-window', limit: 100, windowMs: 60_000 });
 * if (!r.allowed) return tooMany(r.retryAfterMs);
 * ```
 */
export interface RateLimitStore {
  /** Counts one hit (or `cost` hits) against `key` under `spec`. */
  hit(key: string, spec: LimitSpec, cost?: number): LimitResult | Promise<LimitResult>;
  /** Takes a concurrency slot for `key` if fewer than `max` are held; a slot expires after `leaseMs` (a crashed node cannot leak it forever). */
  acquire(key: string, max: number, leaseMs: number): ConcurrencyLease | Promise<ConcurrencyLease>;
  /** True when the store can currently answer (readiness). */
  healthy(): boolean;
  /** Closes connections and timers. */
  close(): Promise<void>;
}
