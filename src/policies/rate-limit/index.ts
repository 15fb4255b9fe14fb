/**
 * rate-limit: rate limits, business-flow quotas and concurrency limits (OWASP API4:2023
 * unrestricted resource consumption, API6:2023 unrestricted access to sensitive business flows).
 *
 * Each limit is N hits per window per key (IP, principal, API key, route, a header), counted by a
 * store: memory (one process, bounded) or Redis (shared by every gateway node, one atomic script
 * per check, the server's clock). Every limit that applies must pass: the checks of a request run
 * together (concurrently on Redis) and a refused one wins: 429 `rate-limit.exceeded` with
 * Retry-After, and an audit record naming the limit. Responses of a limited route carry
 * X-RateLimit-Limit / -Remaining / -Reset from the store's answer for that very request (so they
 * are exact across nodes), and on request the IETF RateLimit-Policy and RateLimit fields.
 *
 * - Plans: a principal with a role listed under `plans` gets that plan's limits instead.
 * - Concurrency: at most `max` requests in flight per key; the slot is freed when the request
 *   ends (onEnd), or after `leaseMs` should the node die.
 * - Failure mode, when the store cannot answer: `open` (the default) lets requests through and,
 *   with `fallback: memory` (the default), still limits them per node; `closed` refuses with 503
 *   `rate-limit.unavailable`. Open is the default because a limiter that turns a Redis outage into
 *   an API outage is itself a denial-of-service lever, and the memory fallback keeps every limit
 *   bounded (nodes × N) instead of lifting it; flows where that is not good enough (password
 *   reset, login) set `closed`. Either way a warning is logged at most once a minute and the
 *   store reconnects by itself.
 *
 * compile() parses every rate and builds the key functions; it opens no connection (`check`
 * compiles too): the Redis store connects in ready() and is closed in close().
 */
import { ConfigError, type ConfigIssue, type ConfigPath } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type HandlerResult, type PolicyAuditEvent } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import type { Denial } from '../../core/problem.js';
import { StoreUnavailableError, type ConcurrencyLease, type LimitResult, type LimitSpec, type RateLimitStore } from '../../stores/contract.js';
import { IETF_FIELDS, X_RATELIMIT_FIELDS, policyItem, seconds, serviceItem } from './headers.js';
import { compileKey, type KeyFunction } from './keys.js';
import { parseRate } from './rate.js';
import { DEFAULT_STORE, RateLimitSchema, type LimitConfig, type RateLimitConfig, type StoreConfig } from './schema.js';
import { createStore, createStorePool, type StoreFactory, type StorePool } from './stores.js';

export { RateLimitSchema, LimitSchema, PlanSchema, StoreSchema, ConcurrencySchema, HeadersSchema, ALGORITHMS, MAX_LIMITS, type RateLimitConfig, type LimitConfig, type StoreConfig, type ConcurrencyConfig } from './schema.js';
export { parseRate, type Rate } from './rate.js';
export { suggestStricterLimits, type RouteForSuggestion } from './suggest.js';
export { compileKey, digest, ipIdentity, ipv6Prefix, type KeyFunction, type KeyOptions } from './keys.js';
export { policyItem, serviceItem } from './headers.js';
export { createStore, createStorePool, lazyRedisStore, type PolicyStore, type PooledStore, type StoreFactory, type StoreFactoryOptions, type StorePool } from './stores.js';

/** Options of {@link createRateLimitPolicy}. */
export interface RateLimitPolicyOptions {
  /** The clock (ms) of memory stores and of the warning interval. Default `Date.now`. */
  readonly now?: () => number;
  /** Builds the store for a store config (tests inject fakes). Default {@link createStore}. */
  readonly createStore?: StoreFactory;
  /** The least time between two "store unavailable" warnings. Default 60 000 ms. */
  readonly warnIntervalMs?: number;
}

/** The policy's error codes. */
const ERRORS = {
  exceeded: {
    status: 429,
    title: 'Too Many Requests',
    description: 'A rate limit or quota of the route was reached. Retry-After says when to try again; `violated-policies` names the limits; X-RateLimit-* (and RateLimit when enabled) say what is left.',
  },
  concurrency_exceeded: {
    status: 429,
    title: 'Too Many Requests',
    description: 'Too many requests of this caller are in flight on the route at once (rate-limit.concurrency.max). Retry when one has finished.',
  },
  unavailable: {
    status: 503,
    title: 'Service Unavailable',
    description: 'The rate-limit store (Redis) cannot be reached and the policy\'s failureMode is closed, so requests are refused rather than let through unlimited. Transient: retry later.',
  },
} as const;

/** A limit ready for requests. */
interface CompiledLimit {
  readonly name: string;
  readonly spec: LimitSpec;
  readonly cost: number;
  readonly key: KeyFunction;
  /** The audit event of a refusal by this limit alone. */
  readonly refused: PolicyAuditEvent;
}

/** The limits a request is checked against (the policy's own, or a plan's). */
interface LimitSet {
  readonly limits: readonly CompiledLimit[];
  /** The RateLimit-Policy field value, computed once. */
  readonly policyField: string;
}

/**
 * Creates the rate-limit policy with a clock and store factory of your choice (tests).
 *
 * @example
 * ```ts
 * const clock = { t: 0 };
 * const policy = createRateLimitPolicy({ now: () => clock.t });
 * ```
 */
export function createRateLimitPolicy(options: RateLimitPolicyOptions = {}) {
  const now = options.now ?? Date.now;
  // One store per store config, shared by every instance of this policy (see createStorePool).
  const pool = createStorePool(options.createStore ?? createStore);
  const warnIntervalMs = options.warnIntervalMs ?? 60_000;
  return definePolicy({
    name: 'rate-limit',
    phase: 'limit',
    mergeWithDefaults: true,
    description: 'Rate limits, flow quotas and concurrency limits per IP, principal, API key, route or header, in memory or shared across nodes in Redis, with 429 and Retry-After and X-RateLimit / IETF RateLimit headers.',
    schema: RateLimitSchema,
    errors: ERRORS,
    compile: (config, env) => compileRateLimit(config, env, now, pool, warnIntervalMs),
  });
}

/**
 * The rate-limit policy.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     rate-limit:
 *       store: { type: redis, url: "redis://10.0.0.5:6379" }
 *       limits:
 *         - { name: per-user, rate: 100/min, algorithm: token-bucket, burst: 20, key: principal, perRoute: false }
 *       plans:
 *         premium: { limits: [{ name: per-user, rate: 1000/min, algorithm: token-bucket, burst: 100, key: principal, perRoute: false }] }
 * routes:
 *   - path: /api/v1/password-reset
 *     methods: [POST]
 *     upstream: api
 *     public: true
 *     policies:
 *       rate-limit:
 *         failureMode: closed
 *         limits: [{ name: password-reset, rate: 5/15m, key: ip }]
 * ```
 */
export default createRateLimitPolicy();

function compileRateLimit(config: RateLimitConfig, env: CompileEnv, now: () => number, pool: StorePool, warnIntervalMs: number): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  const ipv6Subnet = config.ipv6Subnet ?? 64;
  const failureMode = config.failureMode ?? 'open';
  if (failureMode === 'closed' && config.fallback !== undefined) {
    issues.push({ path: ['fallback'], message: 'applies only to failureMode: open (closed refuses requests while the store is down)', severity: 'error' });
  }
  const fallbackKind = failureMode === 'open' ? config.fallback ?? 'memory' : 'none';
  const storeConfig: StoreConfig = { ...DEFAULT_STORE, ...config.store };

  const own = compileLimitSet(config.limits ?? [], '', ['limits'], ipv6Subnet, issues);
  const plans: Array<readonly [string, LimitSet]> = [];
  for (const [role, plan] of Object.entries(config.plans ?? {})) {
    plans.push([role, compileLimitSet(plan.limits, role, ['plans', role, 'limits'], ipv6Subnet, issues)]);
  }
  const concurrency = config.concurrency;
  const concurrencyKey = concurrency === undefined ? undefined : compileKey({ name: 'concurrency', plan: '', perRoute: concurrency.perRoute ?? true, key: concurrency.key ?? 'principal', ipv6Subnet });
  if (issues.length > 0) throw new ConfigError(issues);
  if (own.limits.length === 0 && plans.every(([, set]) => set.limits.length === 0) && concurrency === undefined) return {};

  const headers = { xRateLimit: config.headers?.xRateLimit ?? true, ietf: config.headers?.ietf ?? false };
  const primary = pool.acquire(storeConfig, { now, logger: env.logger });
  const store = primary.store;
  const backup = fallbackKind === 'memory' && storeConfig.type !== 'memory' ? pool.acquire({ ...storeConfig, type: 'memory' }, { now }) : undefined;
  const fallback = backup?.store;
  const down = new StoreUnavailableError('the rate-limit store is not connected');
  const unavailable = env.deny('unavailable', { detail: 'Rate limits cannot be checked right now; try again shortly.', headers: [['retry-after', '1']] });
  const concurrencyDenial = env.deny('concurrency_exceeded', { detail: 'Too many of your requests are in flight on this route; retry when one has finished.', headers: [['retry-after', '1']] });
  const concurrencyRefused: PolicyAuditEvent = Object.freeze({ type: 'rate-limit', outcome: 'failure', rule: 'concurrency', reason: `more than ${concurrency?.max ?? 0} in flight` });

  // ── store health ──────────────────────────────────────────────────────────
  let degradedSince: number | undefined;
  let lastWarning = Number.NEGATIVE_INFINITY;
  const storeFailed = (error: unknown): void => {
    const t = now();
    degradedSince ??= t;
    if (t - lastWarning < warnIntervalMs) return;
    lastWarning = t;
    env.logger.warn({
      event: 'rate_limit_store_unavailable', route: env.routeName, store: storeConfig.type, failureMode, fallback: fallbackKind,
      reason: error instanceof Error ? error.message : String(error),
    }, failureMode === 'closed' ? 'rate-limit store unavailable: refusing requests (503)' : fallbackKind === 'memory' ? 'rate-limit store unavailable: limiting per node in memory' : 'rate-limit store unavailable: requests are not limited');
  };
  const storeAnswered = (): void => {
    if (degradedSince === undefined) return;
    env.logger.info({ event: 'rate_limit_store_recovered', route: env.routeName, store: storeConfig.type, downMs: now() - degradedSince }, 'rate-limit store answers again');
    degradedSince = undefined;
    lastWarning = Number.NEGATIVE_INFINITY;
  };

  /**
   * What to do when `using` could not answer: a store outage (StoreUnavailableError) applies the
   * failure mode; anything else is a bug and fails the request (500).
   */
  const onStoreError = (error: unknown, usingFallback: boolean, retry: (s: RateLimitStore, usingFallback: boolean) => HandlerResult): HandlerResult => {
    if (usingFallback || !(error instanceof StoreUnavailableError)) throw error;
    storeFailed(error);
    if (failureMode === 'closed') return unavailable;
    return fallback === undefined ? undefined : retry(fallback, true);
  };

  // ── limits ────────────────────────────────────────────────────────────────
  const select = plans.length === 0
    ? () => own
    : (principal: Principal | undefined): LimitSet => {
      if (principal !== undefined && principal.roles.length > 0) {
        for (const [role, set] of plans) if (principal.roles.includes(role)) return set;
      }
      return own;
    };

  const check = (s: RateLimitStore, usingFallback: boolean, ctx: RequestContext, set: LimitSet): HandlerResult => {
    let results: LimitResult[] | Promise<LimitResult[]>;
    try {
      if (!usingFallback && !s.healthy()) throw down;
      results = hitAll(s, ctx, set.limits);
    } catch (error) {
      return onStoreError(error, usingFallback, (f, fb) => check(f, fb, ctx, set));
    }
    if (results instanceof Promise) {
      return results.then(
        (r) => decide(ctx, set, r, usingFallback),
        (error: unknown) => onStoreError(error, usingFallback, (f, fb) => check(f, fb, ctx, set)),
      );
    }
    return decide(ctx, set, results, usingFallback);
  };

  const decide = (ctx: RequestContext, set: LimitSet, results: readonly LimitResult[], usingFallback: boolean): HandlerResult => {
    if (!usingFallback) storeAnswered();
    let refused = -1;
    let shown = -1;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (!r.allowed) {
        if (refused === -1 || r.retryAfterMs > results[refused]!.retryAfterMs) refused = i;
      } else if (shown === -1 || r.remaining < results[shown]!.remaining || (r.remaining === results[shown]!.remaining && r.resetMs > results[shown]!.resetMs)) {
        shown = i;
      }
    }
    if (refused !== -1) shown = refused;
    if (headers.xRateLimit && shown !== -1) {
      const r = results[shown]!;
      ctx.addResponseHeader('x-ratelimit-limit', String(r.limit));
      ctx.addResponseHeader('x-ratelimit-remaining', String(r.remaining));
      ctx.addResponseHeader('x-ratelimit-reset', String(seconds(r.resetMs)));
    }
    if (headers.ietf && results.length > 0) {
      ctx.addResponseHeader('ratelimit-policy', set.policyField);
      let items = '';
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        // On a refusal only the refused limits: their window ends with Retry-After (draft §6).
        if (refused !== -1 && r.allowed) continue;
        items += (items === '' ? '' : ', ') + serviceItem(set.limits[i]!.name, r);
      }
      ctx.addResponseHeader('ratelimit', items);
    }
    if (refused !== -1) return tooMany(ctx, set, results, refused);
    return concurrency === undefined ? undefined : acquire(usingFallback ? fallback! : store, usingFallback, ctx);
  };

  const tooMany = (ctx: RequestContext, set: LimitSet, results: readonly LimitResult[], worst: number): Denial => {
    const names: string[] = [];
    for (let i = 0; i < results.length; i++) if (!results[i]!.allowed) names.push(set.limits[i]!.name);
    const limit = set.limits[worst]!;
    env.audit(ctx, names.length === 1 ? limit.refused : { ...limit.refused, reason: `exceeded ${names.join(', ')}` });
    const retry = Math.max(1, seconds(results[worst]!.retryAfterMs));
    const denial = env.deny('exceeded', {
      detail: `Rate limit '${limit.name}' exceeded; retry after ${retry} second${retry === 1 ? '' : 's'}.`,
      headers: [['retry-after', String(retry)]],
    });
    // RFC 9457 extension member, as the draft's quota-exceeded problem type names it.
    return Object.freeze({ ...denial, bodyPrefix: `${denial.bodyPrefix},"violated-policies":${JSON.stringify(names)}` });
  };

  // ── concurrency ───────────────────────────────────────────────────────────
  const leases = new WeakMap<RequestContext, ConcurrencyLease>();
  const ended = new WeakSet<RequestContext>();
  const max = concurrency?.max ?? 0;
  const leaseMs = concurrency?.leaseMs ?? 60_000;

  const acquire = (s: RateLimitStore, usingFallback: boolean, ctx: RequestContext): HandlerResult => {
    let lease: ConcurrencyLease | Promise<ConcurrencyLease>;
    try {
      if (!usingFallback && !s.healthy()) throw down;
      lease = s.acquire(concurrencyKey!(ctx), max, leaseMs);
    } catch (error) {
      return onStoreError(error, usingFallback, (f, fb) => acquire(f, fb, ctx));
    }
    if (lease instanceof Promise) {
      return lease.then(
        (l) => leased(ctx, l),
        (error: unknown) => onStoreError(error, usingFallback, (f, fb) => acquire(f, fb, ctx)),
      );
    }
    return leased(ctx, lease);
  };

  const leased = (ctx: RequestContext, lease: ConcurrencyLease): HandlerResult => {
    if (!lease.allowed) {
      env.audit(ctx, concurrencyRefused);
      return concurrencyDenial;
    }
    // The client may have gone (and onEnd run) while the store answered.
    if (ended.has(ctx)) lease.release();
    else leases.set(ctx, lease);
    return undefined;
  };

  const removed = [...(headers.xRateLimit ? X_RATELIMIT_FIELDS : []), ...(headers.ietf ? IETF_FIELDS : [])];
  return {
    onRequest(ctx) {
      const set = select(ctx.principal);
      if (set.limits.length > 0) return check(store, false, ctx, set);
      return concurrency === undefined ? undefined : acquire(store, false, ctx);
    },
    ...(concurrency === undefined ? {} : {
      onEnd(ctx: RequestContext) {
        const lease = leases.get(ctx);
        if (lease === undefined) {
          ended.add(ctx);
          return;
        }
        leases.delete(ctx);
        lease.release();
      },
    }),
    // An upstream's own rate-limit fields would contradict ours.
    ...(removed.length > 0 ? { responseHeaders: { remove: removed } } : {}),
    health: () => [{ component: `rate-limit store ${storeConfig.type}`, up: store.healthy() }],
    async ready() {
      // Not reachable yet: logged here; requests meet the failure mode until it is.
      if ((await store.ready?.()) === false) storeFailed(new StoreUnavailableError(`cannot connect to the ${storeConfig.type} store`));
    },
    async close() {
      await Promise.allSettled([primary.release(), backup?.release()]);
    },
  };
}

function hitAll(store: RateLimitStore, ctx: RequestContext, limits: readonly CompiledLimit[]): LimitResult[] | Promise<LimitResult[]> {
  const results = new Array<LimitResult>(limits.length);
  let pending: Array<Promise<void>> | undefined;
  for (let i = 0; i < limits.length; i++) {
    const limit = limits[i]!;
    const r = store.hit(limit.key(ctx), limit.spec, limit.cost);
    if (r instanceof Promise) (pending ??= []).push(r.then((v) => { results[i] = v; }));
    else results[i] = r;
  }
  return pending === undefined ? results : Promise.all(pending).then(() => results);
}

function compileLimitSet(limits: readonly LimitConfig[], plan: string, at: ConfigPath, ipv6Subnet: number, issues: ConfigIssue[]): LimitSet {
  const compiled: CompiledLimit[] = [];
  const names = new Set<string>();
  limits.forEach((limit, i) => {
    const path = (field: string): ConfigPath => [...at, i, field];
    if (names.has(limit.name)) issues.push({ path: path('name'), message: `'${limit.name}' is already the name of another limit in this list; names must be unique (they key the counters)`, severity: 'error' });
    names.add(limit.name);
    let rate;
    try {
      rate = parseRate(limit.rate);
    } catch (error) {
      issues.push({ path: path('rate'), message: (error as Error).message, severity: 'error' });
      return;
    }
    const algorithm = limit.algorithm ?? 'sliding-window';
    const cost = limit.cost ?? 1;
    if (limit.burst !== undefined && algorithm !== 'token-bucket') {
      issues.push({ path: path('burst'), message: `applies only to algorithm: token-bucket (this limit is ${algorithm})`, severity: 'error' });
      return;
    }
    const capacity = limit.burst ?? rate.limit;
    if (cost > capacity) {
      issues.push({ path: path('cost'), message: `${cost} is more than the limit allows at once (${capacity}): every request would be refused`, severity: 'error' });
      return;
    }
    const spec: LimitSpec = algorithm === 'token-bucket' && limit.burst !== undefined
      ? { algorithm, limit: rate.limit, windowMs: rate.windowMs, burst: limit.burst }
      : { algorithm, limit: rate.limit, windowMs: rate.windowMs };
    compiled.push({
      name: limit.name,
      spec,
      cost,
      key: compileKey({ name: limit.name, plan, perRoute: limit.perRoute ?? true, key: limit.key ?? 'ip', ipv6Subnet }),
      refused: Object.freeze({ type: 'rate-limit', outcome: 'failure', rule: limit.name, reason: `exceeded ${limit.rate}${plan === '' ? '' : ` (plan ${plan})`} per ${limit.key ?? 'ip'}` }),
    });
  });
  return { limits: compiled, policyField: compiled.map((l) => policyItem(l.name, l.spec)).join(', ') };
}
