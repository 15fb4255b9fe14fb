/**
 * Config of the rate-limit policy: the limits (rate, algorithm, key), plans that replace them for
 * principals with a role, a concurrency limit, the store that counts, what happens when that store
 * cannot answer, and which response headers tell clients where they stand.
 *
 * The policy declares mergeWithDefaults: a route's settings are shallow-merged over the defaults',
 * so `store`, `failureMode` and `headers` are written once under `defaults.policies.rate-limit` and
 * a route states only its `limits`. That is why the top-level fields carry no schema default (a
 * filled-in default on the route would replace the defaults' setting); compile() applies them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { durationMs, strictObject, stringEnum } from '../../core/schema-types.js';

/** Algorithms a limit can count with. */
export const ALGORITHMS = ['fixed-window', 'sliding-window', 'token-bucket'] as const;

/** A limit's name: part of its counters' keys, of the audit rule and of the IETF policy item. */
export const LIMIT_NAME = '^[a-z0-9][a-z0-9_.-]{0,63}$';

/**
 * What a limit counts per: `ip`, `principal`, `api-key`, `route` or `header:<name>`. A header name
 * is an RFC 9110 token.
 */
export const LIMIT_KEY = "^(?:ip|principal|api-key|route|header:[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128})$";

/** Most limits in one list (each is one store operation per request). */
export const MAX_LIMITS = 8;

/** A role name as principals carry it (the key of `plans`). */
const ROLE_KEY = '^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$';

/** The store when none is configured: memory, bounded. */
export const DEFAULT_STORE = { type: 'memory', url: 'redis://127.0.0.1:6379', keyPrefix: 'portcullis:rl:', commandTimeoutMs: 250, maxKeys: 100_000 } as const;

/**
 * One limit.
 *
 * @example
 * ```yaml
 * - { name: per-user, rate: 100/min, algorithm: token-bucket, burst: 20, key: principal, perRoute: false }
 * - { name: signup, rate: 3/hour, key: ip }
 * ```
 */
export const LimitSchema = strictObject({
  name: Type.String({
    description: 'Names the limit: in its counters\' keys (two limits never share a counter), in the audit record of every refusal, in `violated-policies` of the 429 body and in the IETF RateLimit fields. Unique within the policy. Lower-case letters, digits, `_`, `.`, `-`.',
    pattern: LIMIT_NAME,
  }),
  rate: Type.String({
    description: 'Requests per window: `N/unit` or `N/<multiplier><unit>` (`100/min`, `5/15m`, `10/s`, `1000/day`, `3/hour`). Units: s, sec, second(s), m, min, minute(s), h, hour(s), d, day(s). For a token bucket: the refill rate (the average rate allowed).',
    minLength: 3,
    maxLength: 32,
  }),
  algorithm: stringEnum(ALGORITHMS, {
    description: 'sliding-window (default): a weighted two-window counter, smooth at window edges (a fixed window lets 2 × N through around an edge), two counters per key. fixed-window: a counter per aligned window, the cheapest; right for long quotas (per day). token-bucket (GCRA): an average rate with bursts up to `burst`.',
    default: 'sliding-window',
  }),
  burst: Type.Optional(Type.Integer({
    description: 'token-bucket only: the bucket\'s capacity, the most requests allowed at once after a quiet period. Default: the N of `rate`.',
    minimum: 1,
    maximum: 1_000_000_000,
  })),
  key: Type.String({
    description: 'What is counted per. ip: the client IP after trusted-proxy resolution (IPv6 per `ipv6Subnet` prefix). principal: the authenticated caller. api-key: the API key (its prefix) that authenticated the request. route: one counter for everyone (protects the upstream). header:<name>: the value of a request header. A request without the part (no principal, no API key, no header) is counted per client IP in a separate namespace, never in one shared bucket. Values a client controls are hashed (SHA-256) before they become keys.',
    pattern: LIMIT_KEY,
    default: 'ip',
  }),
  perRoute: Type.Boolean({
    description: 'true (default): each route has its own counters (the route template is part of the key). false: one counter across every route the policy applies to (a per-caller budget for the whole API).',
    default: true,
  }),
  cost: Type.Integer({
    description: 'How many hits one request counts for (an expensive search costs 5).',
    minimum: 1,
    maximum: 1_000_000,
    default: 1,
  }),
}, { description: 'One limit: N requests per window per key.' });

const LimitListSchema = Type.Array(LimitSchema, {
  description: 'Limits checked on every request; all must pass (a request refused by one still counts against the others it passed). On a route, this list replaces the defaults\' list.',
  maxItems: MAX_LIMITS,
});

/**
 * A plan: the limits of principals with one role.
 *
 * @example
 * ```yaml
 * premium: { limits: [{ name: per-user, rate: 1000/min, algorithm: token-bucket, burst: 100, key: principal, perRoute: false }] }
 * ```
 */
export const PlanSchema = strictObject({
  limits: LimitListSchema,
}, { description: 'Limits that replace `limits` for principals with this role.' });

/**
 * The counter store.
 *
 * @example
 * ```yaml
 * store: { type: redis, url: "redis://10.0.0.5:6379", keyPrefix: "portcullis:rl:" }
 * ```
 */
export const StoreSchema = strictObject({
  type: stringEnum(['memory', 'redis'] as const, {
    description: 'memory: counters in this process, bounded by maxKeys (each gateway node counts alone). redis: counters shared by every node on one Redis (each check one atomic Lua script on the server\'s clock).',
    default: 'memory',
  }),
  url: Type.String({
    description: 'redis only: `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS.',
    pattern: '^rediss?://\\S+$',
    maxLength: 2048,
    default: DEFAULT_STORE.url,
  }),
  keyPrefix: Type.String({
    description: 'redis only: prefix of every key, so several gateways (or tests) can share one Redis.',
    pattern: '^[A-Za-z0-9:_.-]{1,64}$',
    default: DEFAULT_STORE.keyPrefix,
  }),
  commandTimeoutMs: durationMs({
    description: 'redis only: the longest a request waits for the store; past it the failure mode applies.',
    maximum: 10_000,
    default: DEFAULT_STORE.commandTimeoutMs,
  }),
  maxKeys: Type.Integer({
    description: 'memory (and the memory fallback): the most counters held; the least recently used are evicted, so a flood of distinct keys cannot exhaust memory.',
    minimum: 100,
    maximum: 10_000_000,
    default: DEFAULT_STORE.maxKeys,
  }),
}, { description: 'Where counters live.' });

/**
 * A concurrency limit.
 *
 * @example
 * ```yaml
 * concurrency: { max: 5, key: principal }
 * ```
 */
export const ConcurrencySchema = strictObject({
  max: Type.Integer({ description: 'The most requests in flight at once per key; one more is refused with 429.', minimum: 1, maximum: 1_000_000 }),
  key: Type.String({ description: 'What in-flight requests are counted per (as for a limit\'s key).', pattern: LIMIT_KEY, default: 'principal' }),
  perRoute: Type.Boolean({ description: 'true (default): counted per route; false: across every route the policy applies to.', default: true }),
  leaseMs: durationMs({
    description: 'A slot is freed when its request ends; should a gateway node die first, the slot expires after this long. Longer than the slowest request.',
    minimum: 1000,
    default: 60_000,
  }),
}, { description: 'At most `max` requests in flight per key (OWASP API4 and API6: expensive operations, scraping).' });

/**
 * Which rate-limit response headers are sent.
 *
 * @example
 * ```yaml
 * headers: { xRateLimit: true, ietf: true }
 * ```
 */
export const HeadersSchema = strictObject({
  xRateLimit: Type.Boolean({
    description: 'X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (seconds) on every response of a limited route, from the most restrictive limit (a refused one, else the one with the least remaining).',
    default: true,
  }),
  ietf: Type.Boolean({
    description: 'Also the IETF fields of draft-ietf-httpapi-ratelimit-headers (-09 and later): `RateLimit-Policy: "name";q=100;w=60` for every limit that applies and `RateLimit: "name";r=42;t=30` with what is left.',
    default: false,
  }),
}, { description: 'Response headers that tell clients their limits.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(RateLimitSchema);
 * const config = { limits: [{ name: 'signup', rate: '3/hour' }] };
 * validate(config); // true; the limit is now sliding-window, key ip, perRoute true, cost 1
 * ```
 */
export const RateLimitSchema = strictObject({
  store: Type.Optional(StoreSchema),
  limits: Type.Optional(LimitListSchema),
  plans: Type.Optional(Type.Record(Type.String({ pattern: ROLE_KEY }), PlanSchema, {
    description: 'Role → limits. A principal with one of these roles gets that plan\'s limits instead of `limits`: the first plan, in the order written, whose role the principal has.',
    maxProperties: 100,
    additionalProperties: false,
  })),
  concurrency: Type.Optional(ConcurrencySchema),
  failureMode: Type.Optional(stringEnum(['open', 'closed'] as const, {
    description: 'When the store cannot answer (Redis down or slower than commandTimeoutMs). open (default): requests go through, counted by the `fallback`; a warning is logged at most once a minute. closed: refused with 503 rate-limit.unavailable (for flows where no limit is worse than no service: login, password reset).',
  })),
  fallback: Type.Optional(stringEnum(['memory', 'none'] as const, {
    description: 'failureMode open only. memory (default): while the store is down each node enforces the limits alone, in memory (at most nodes × N in total, never unlimited). none: no limit at all until the store is back.',
  })),
  headers: Type.Optional(HeadersSchema),
  ipv6Subnet: Type.Optional(Type.Integer({
    description: 'ip keys: an IPv6 client is counted per prefix of this length (default 64: one customer\'s subnet, which a single host can rotate through freely). 128 counts each address.',
    minimum: 32,
    maximum: 128,
  })),
}, { description: 'Rate limits, flow quotas and concurrency limits per IP, principal, API key, route or header, counted in memory or in Redis across nodes (OWASP API4:2023 unrestricted resource consumption, API6:2023 sensitive business flows).' });

/** The policy's config, as compile() receives it (the route's settings merged over the defaults'). */
export type RateLimitConfig = Static<typeof RateLimitSchema>;

/** One limit (defaults filled in). */
export type LimitConfig = Static<typeof LimitSchema>;

/** The store config (defaults filled in). */
export type StoreConfig = Static<typeof StoreSchema>;

/** The concurrency config (defaults filled in). */
export type ConcurrencyConfig = Static<typeof ConcurrencySchema>;
