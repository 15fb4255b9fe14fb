/**
 * The benchmark scenarios: one request shape each, the Portcullis routes that serve it, and what
 * the bare undici proxy can do of the same work. A new scenario (full chain) is one more entry
 * here; run.ts and the config generator need no change.
 */
import { jwtPolicyYaml } from './jwt.js';

/** What run.ts knows only once the run has started, for the routes. */
export interface RouteContext {
  /** Upstream base URL (http://127.0.0.1:PORT); it also serves the bench's JWK set at /jwks. */
  readonly upstream: string;
  /** Issuer and audience of the bench's tokens. */
  readonly issuer: string;
  readonly audience: string;
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
  /** What the undici row of this scenario is, for the ratio lines (default: "undici"). */
  readonly undiciLabel?: string;
  /**
   * A pass-through scenario whose undici row is "the bare undici proxy": when it is in the same
   * run, Portcullis's row is also given as a ratio to it.
   */
  readonly baseline?: string;
  /** Printed under the ratios: what the numbers mean (e.g. a cache-hit test); `tokens` is N. */
  readonly caveat?: (tokens: number) => string;
  /** Response headers Portcullis must send, checked once before timing (lower-case names). */
  readonly expectHeaders?: Readonly<Record<string, string>>;
}

/** Headers every scenario sends, as the shared peer harness does (a name in Host, not an IP). */
// Capitalised: wrk.format adds its own Host unless the table has "Host".
const BASE_HEADERS = { Host: 'api.bench.local', Accept: 'application/json', 'User-Agent': 'wrk-bench/1.0' } as const;
// Plain HTTP: no HSTS (RFC 6797 §7.2), the rest of the default security headers are there.
const DEFAULT_HEADERS = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" } as const;

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
  // full: { POST JSON + JWT + rate limit + CORS + schema + WAF, undici: false }
};
