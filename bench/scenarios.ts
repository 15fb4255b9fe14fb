/**
 * The benchmark scenarios: one request shape each, the Portcullis routes that serve it, and what
 * the bare undici proxy can do of the same work. A new scenario (full chain) is one more entry
 * here; run.ts and the config generator need no change.
 */
import { rateLimitPolicyYaml } from './gateway-config.js';
import { jwtPolicyYaml } from './jwt.js';

/** What run.ts knows only once the run has started, for the routes. */
export interface RouteContext {
  /** Upstream base URL (http://127.0.0.1:PORT); it also serves the bench's JWK set at /jwks. */
  readonly upstream: string;
  /** Issuer and audience of the bench's tokens. */
  readonly issuer: string;
  readonly audience: string;
  /**
   * The Redis a `redis: true` scenario counts in (run.ts starts one, or takes BENCH_REDIS_URL),
   * with a key prefix of this run's own; undefined in a run without such a scenario.
   */
  readonly redis?: { readonly url: string; readonly keyPrefix: string };
}

/** One benchmark scenario. */
export interface Scenario {
  /** Name used with `--scenario`. */
  readonly name: string;
  /** One line for the table. */
  readonly description: string;
  /** The request the load generator repeats. */
  readonly request: {
    readonly method: 'GET' | 'POST';
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body?: string;
  };
  /**
   * Whether every request carries `Authorization: Bearer <RS256 JWT>`, cycling through the
   * bench's N distinct tokens (JWT_TOKENS, 1000). The undici floor verifies them on `/s2/` paths,
   * as the shared harness's peer does; the upstream's origin goes into Portcullis's
   * `outbound.allow` so the jwt policy can fetch the JWK set from it.
   */
  readonly bearer?: boolean;
  /** Portcullis routes as YAML flow mappings; the upstream is always named `api`. */
  readonly routes: (ctx: RouteContext) => readonly string[];
  /** YAML lines under `defaults.policies` (indented by the generator), if any. */
  readonly defaultPolicies?: readonly string[];
  /** Whether the bare undici proxy does this scenario's work (false: it is not timed). */
  readonly undici: boolean;
  /** Whether `direct` is timed (default true); false where it would repeat another scenario's row. */
  readonly direct?: boolean;
  /**
   * Needs a Redis (RouteContext.redis). run.ts also checks, before timing, that the check request
   * left counters under the run's key prefix, and reports the Redis server's CPU per row.
   */
  readonly redis?: boolean;
  /** What the undici row of this scenario is, for the ratio lines (default: "undici"). */
  readonly undiciLabel?: string;
  /**
   * A pass-through scenario whose undici row is "the bare undici proxy": when it is in the same
   * run, Portcullis's row is also given as a ratio to it.
   */
  readonly baseline?: string;
  /**
   * A scenario whose Portcullis row this one's is divided by, when both are in the run: what the
   * scenario's extra policy costs the gateway itself (rl-memory / pass).
   */
  readonly portcullisBaseline?: string;
  /** Printed under the ratios: what the numbers mean (e.g. a cache-hit test); `tokens` is N. */
  readonly caveat?: (tokens: number) => string;
  /** Response headers Portcullis must send, checked once before timing (lower-case names). */
  readonly expectHeaders?: Readonly<Record<string, string>>;
  /** Top-level config lines (an `openapi:` section), if any. */
  readonly topLevel?: readonly string[];
  /** Files written beside the generated config (the OpenAPI document), name → text. */
  readonly files?: Readonly<Record<string, string>>;
}

/** Headers every scenario sends, as the shared peer harness does (a name in Host, not an IP). */
// Capitalised: wrk.format adds its own Host unless the table has "Host".
const BASE_HEADERS = { Host: 'api.bench.local', Accept: 'application/json', 'User-Agent': 'wrk-bench/1.0' } as const;
// Plain HTTP: no HSTS (RFC 6797 §7.2), the rest of the default security headers are there.
const DEFAULT_HEADERS = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" } as const;

/** The demo's task creation (DEMO.md): the body every POST scenario sends. */
const TASK_BODY = '{"title":"Write the quarterly report","description":"Collect the numbers from finance and summarise them for the board.","priority":"high","dueDate":"2026-12-31"}';
const TASK_POST = { method: 'POST', path: '/api/v1/tasks', headers: { ...BASE_HEADERS, 'Content-Type': 'application/json' }, body: TASK_BODY } as const;

/** The createTask operation of the demo's document, with its schema. */
const TASKS_DOCUMENT = `openapi: 3.1.0
info: { title: bench, version: '1' }
paths:
  /api/v1/tasks:
    post:
      operationId: createTask
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [title]
              properties:
                id: { type: string, readOnly: true }
                title: { type: string, minLength: 1, maxLength: 200 }
                description: { type: string, maxLength: 2000 }
                priority: { type: string, enum: [low, normal, high] }
                dueDate: { type: string, format: date }
                ownerId: { type: string, readOnly: true }
                createdAt: { type: string, format: date-time, readOnly: true }
      responses:
        '200': { description: ok }
`;

/** Rate-limit headers of a limit that never triggers (the bench limit's count is 1e9). */
const RL_HEADERS = { ...DEFAULT_HEADERS, 'x-ratelimit-limit': '1000000000' } as const;

/**
 * The rate-limit scenarios' route: `pass`'s route plus one sliding-window limit of 1e9/min keyed
 * by client IP, which never triggers (like the shared harness's BENCH_RATE_LIMIT_MAX).
 */
const rateLimitRoute = (store: Parameters<typeof rateLimitPolicyYaml>[0]['store']) =>
  `{ path: "/s1/*", methods: [GET], upstream: api, public: true, policies: { rate-limit: ${rateLimitPolicyYaml({ rate: '1000000000/min', algorithm: 'sliding-window', store })} } }`;

/** The jwt scenarios' route: RS256 only (like the floor), keys from the upstream's /jwks. */
const jwtRoute = (ctx: RouteContext, maxEntries?: number) =>
  `{ path: "/s2/*", methods: [GET], upstream: api, policies: { jwt: ${jwtPolicyYaml({ issuer: ctx.issuer, audience: ctx.audience, jwksUri: `${ctx.upstream}/jwks`, algorithms: ['RS256'], maxEntries })} } }`;

/** Every scenario by name. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  pass: {
    name: 'pass',
    description: 'GET pass-through (default size-limit + security-headers on)',
    request: { method: 'GET', path: '/s1/x', headers: BASE_HEADERS },
    routes: () => ['{ path: "/s1/*", methods: [GET], upstream: api, public: true }'],
    undici: true,
    undiciLabel: 'undici pass-through',
    expectHeaders: DEFAULT_HEADERS,
  },
  jwt: {
    name: 'jwt',
    description: 'GET + RS256 bearer JWT, jwt policy with its verification cache (maxEntries 10000)',
    request: { method: 'GET', path: '/s2/x', headers: BASE_HEADERS },
    bearer: true,
    routes: (ctx) => [jwtRoute(ctx)],
    undici: true,
    undiciLabel: 'undici jwt floor',
    baseline: 'pass',
    caveat: (n) => `cache ON (maxEntries 10000 >= ${n} distinct tokens): after the first ${n} requests of the warm-up every request is a cache hit, so this row is a CACHE-HIT test, not a signature-verification test`,
    expectHeaders: DEFAULT_HEADERS,
  },
  'jwt-nocache': {
    name: 'jwt-nocache',
    description: 'GET + RS256 bearer JWT, jwt policy with cache: { maxEntries: 0 }',
    request: { method: 'GET', path: '/s2/x', headers: BASE_HEADERS },
    bearer: true,
    routes: (ctx) => [jwtRoute(ctx, 0)],
    undici: true,
    undiciLabel: 'undici jwt floor',
    baseline: 'pass',
    caveat: () => 'cache OFF (maxEntries 0): every request pays a full RS256 verification, as the undici floor does',
    expectHeaders: DEFAULT_HEADERS,
  },
  'rl-memory': {
    name: 'rl-memory',
    description: 'pass + rate-limit 1e9/min per IP, sliding-window, memory store (never triggers)',
    request: { method: 'GET', path: '/s1/x', headers: BASE_HEADERS },
    routes: () => [rateLimitRoute({ type: 'memory' })],
    undici: false,
    direct: false,
    baseline: 'pass',
    portcullisBaseline: 'pass',
    caveat: () => 'one counter (every request comes from 127.0.0.1, key ip); X-RateLimit-Limit/-Remaining/-Reset on every response',
    expectHeaders: RL_HEADERS,
  },
  'rl-redis': {
    name: 'rl-redis',
    description: 'pass + rate-limit 1e9/min per IP, sliding-window, Redis store (one EVALSHA per request)',
    request: { method: 'GET', path: '/s1/x', headers: BASE_HEADERS },
    routes: (ctx) => {
      if (ctx.redis === undefined) throw new Error('rl-redis needs a Redis (RouteContext.redis)');
      return [rateLimitRoute({ type: 'redis', ...ctx.redis })];
    },
    undici: false,
    direct: false,
    redis: true,
    baseline: 'pass',
    portcullisBaseline: 'pass',
    caveat: () => 'one Redis key, one EVALSHA round trip per request on loopback; the Redis server\'s own CPU is in the note column (the run\'s own redis-server shares the load core), failureMode closed (an unreachable Redis makes the row INVALID, never a silent memory fallback)',
    expectHeaders: RL_HEADERS,
  },
  post: {
    name: 'post',
    description: 'POST of the demo\'s task-creation body, passed through (no body inspection)',
    request: TASK_POST,
    routes: () => ['{ path: "/api/v1/tasks", methods: [POST], upstream: api, public: true }'],
    undici: true,
    undiciLabel: 'undici pass-through',
    expectHeaders: DEFAULT_HEADERS,
  },
  validate: {
    name: 'validate',
    description: 'post + the body validated against the demo\'s OpenAPI schema (openapi policy, strict JSON parse)',
    request: TASK_POST,
    routes: () => [],
    topLevel: ['openapi:', '  document: bench-openapi.yaml', '  upstream: api', '  operations: [{ public: true, policies: { openapi: { response: off } } }]'],
    files: { 'bench-openapi.yaml': TASKS_DOCUMENT },
    undici: false,
    direct: false,
    baseline: 'post',
    portcullisBaseline: 'post',
    caveat: () => 'the same body as post; the route is generated from the OpenAPI document (createTask), request validation enforce, responses not checked',
    expectHeaders: DEFAULT_HEADERS,
  },
  waf: {
    name: 'waf',
    description: 'post + the WAF (paranoia 1) over the path, headers and every JSON value',
    request: TASK_POST,
    routes: () => ['{ path: "/api/v1/tasks", methods: [POST], upstream: api, public: true, policies: { waf: { mode: block } } }'],
    undici: false,
    direct: false,
    baseline: 'post',
    portcullisBaseline: 'post',
    caveat: () => 'every request has the same User-Agent (clean values of headers are remembered); the body is parsed strictly and each string inspected',
    expectHeaders: DEFAULT_HEADERS,
  },
};
