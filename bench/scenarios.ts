/**
 * The benchmark scenarios: one request shape each, the Portcullis routes that serve it, and what
 * the bare undici proxy can do of the same work. A new scenario (JWT, full chain) is one more
 * entry here; run.ts and the config generator need no change.
 */

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
  /** Portcullis routes as YAML flow mappings; the upstream is always named `api`. */
  readonly routes: readonly string[];
  /** YAML lines under `defaults.policies` (indented by the generator), if any. */
  readonly defaultPolicies?: readonly string[];
  /** Whether the bare undici proxy does this scenario's work (false: it is not timed). */
  readonly undici: boolean;
  /** Response headers Portcullis must send, checked once before timing (lower-case names). */
  readonly expectHeaders?: Readonly<Record<string, string>>;
}

/** Headers every scenario sends, as the shared peer harness does (a name in Host, not an IP). */
// Capitalised: wrk.format adds its own Host unless the table has "Host".
const BASE_HEADERS = { Host: 'api.bench.local', Accept: 'application/json', 'User-Agent': 'wrk-bench/1.0' } as const;

/** Every scenario by name. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  pass: {
    name: 'pass',
    description: 'GET pass-through (default size-limit + security-headers on)',
    request: { method: 'GET', path: '/s1/x', headers: BASE_HEADERS },
    routes: ['{ path: "/s1/*", methods: [GET], upstream: api, public: true }'],
    undici: true,
    // Plain HTTP: no HSTS (RFC 6797 §7.2), the rest of the defaults are there.
    expectHeaders: { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" },
  },
  // jwt:  { request with Authorization: Bearer <RS256>, routes with `jwt: {...}` policy, undici: true (node:crypto verify) }
  // full: { POST JSON + JWT + rate limit + CORS + schema + WAF, undici: false }
};
