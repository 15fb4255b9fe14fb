/**
 * The rate-limit response fields: X-RateLimit-* (the de facto convention) and the IETF
 * RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers (-09 to -11):
 * Structured Field lists whose items are the policy name as a String with parameters
 * (`"burst";q=100;w=60` and `"burst";r=50;t=30`).
 */
import type { LimitResult, LimitSpec } from '../../stores/contract.js';

/** Names of the fields this policy sets; an upstream's own copies are dropped. */
export const X_RATELIMIT_FIELDS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'] as const;

/** The IETF fields. */
export const IETF_FIELDS = ['ratelimit-policy', 'ratelimit'] as const;

/**
 * Whole seconds, rounded up: a client that waits this long is never early.
 *
 * @example
 * ```ts
 * seconds(1001) // 2
 * ```
 */
export function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * One item of RateLimit-Policy: the quota `q` per window `w` (seconds). A token bucket's quota is
 * its refill per window; its capacity travels in the vendor parameter `portcullis-burst` when it
 * differs (the draft reserves unprefixed parameter names).
 *
 * @example
 * ```ts
 * policyItem('per-user', { algorithm: 'token-bucket', limit: 100, windowMs: 60_000, burst: 20 }) // '"per-user";q=100;w=60;portcullis-burst=20'
 * ```
 */
export function policyItem(name: string, spec: LimitSpec): string {
  let item = `"${name}";q=${spec.limit};w=${seconds(spec.windowMs)}`;
  if (spec.algorithm === 'token-bucket' && spec.burst !== undefined && spec.burst !== spec.limit) item += `;portcullis-burst=${spec.burst}`;
  return item;
}

/**
 * One item of RateLimit: the quota left `r` and the effective window `t` (seconds). For a refused
 * limit `t` is the wait before a request can pass, so it never ends later than Retry-After (the
 * draft's section 6).
 *
 * @example
 * ```ts
 * serviceItem('per-user', { allowed: true, limit: 20, remaining: 19, resetMs: 3000, retryAfterMs: 0 }) // '"per-user";r=19;t=3'
 * ```
 */
export function serviceItem(name: string, result: LimitResult): string {
  return result.allowed
    ? `"${name}";r=${result.remaining};t=${seconds(result.resetMs)}`
    : `"${name}";r=0;t=${Math.max(1, seconds(result.retryAfterMs))}`;
}
