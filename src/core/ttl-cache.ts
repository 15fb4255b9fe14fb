/**
 * A bounded cache with a per-entry expiry, for what policies learn from remotes (introspection
 * answers, object lookups): an attacker controls the keys, so it never grows past maxEntries. Oldest entries go first when
 * it is full (a Map keeps insertion order, so eviction is O(1)); an expired entry is dropped when
 * it is next looked up.
 */

/**
 * The cache.
 *
 * @example
 * ```ts
 * const cache = new ResultCache<AuthOutcome>(10_000);
 * cache.set(key, outcome, Date.now() + 60_000);
 * cache.get(key, Date.now()); // outcome, for a minute
 * ```
 */
export class ResultCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The live value under `key`, or undefined. */
  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (epoch ms), evicting the oldest entry when full. */
  set(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  /** How many entries are held (expired ones included until looked up or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops everything. */
  clear(): void {
    this.#entries.clear();
  }
}
