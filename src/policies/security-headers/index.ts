/**
 * security-headers: the response headers that make browsers treat an API's responses safely
 * (OWASP API8:2023, security misconfiguration). Everything is computed once in compile() and
 * handed to the gateway as static headers; the only per-response work is Cache-Control for
 * authenticated callers.
 */
import { definePolicy } from '../../core/policy.js';
import type { CompiledPolicy, ResponseHead } from '../../core/policy.js';
import type { RequestContext } from '../../core/context.js';
import { configError } from '../../core/config-error.js';
import { HSTS_DEFAULTS, SecurityHeadersSchema, type SecurityHeadersConfig } from './schema.js';

export { SecurityHeadersSchema, type SecurityHeadersConfig } from './schema.js';

/** Headers that reveal the upstream's software and version to an attacker's fingerprinting. */
const ALWAYS_REMOVED = ['server', 'x-powered-by'] as const;

/** Removing these from an upstream response would break its framing, so config may not. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/**
 * The security-headers policy.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/*
 *     methods: [GET]
 *     upstream: api
 *     policies:
 *       security-headers: { hsts: { preload: true }, removeHeaders: [x-aspnet-version] }
 * ```
 */
export default definePolicy({
  name: 'security-headers',
  phase: 'response',
  description: 'Adds HSTS, CSP, nosniff, Referrer-Policy, X-Frame-Options and CORP to every response, strips Server and X-Powered-By, and marks authenticated responses no-store.',
  schema: SecurityHeadersSchema,
  errors: {},
  compile(config): CompiledPolicy {
    const set = buildSetHeaders(config);
    const remove = buildRemoveList(config.removeHeaders, set);
    const responseHeaders = Object.freeze({ set, remove });
    if (!config.noStoreWhenAuthenticated) return { responseHeaders };
    return { responseHeaders, onResponse: noStoreForPrincipal };
  },
});

/**
 * Replaces any upstream Cache-Control with `no-store` when the caller is authenticated: a
 * response built for one principal must not be served to another from a shared cache.
 */
function noStoreForPrincipal(ctx: RequestContext, head: ResponseHead): void {
  // Anonymous responses are the upstream's business; return before touching anything.
  if (ctx.principal === undefined) return;
  const headers = head.headers;
  let w = 0;
  for (let r = 0; r + 1 < headers.length; r += 2) {
    if (headers[r] === 'cache-control') continue;
    if (w !== r) {
      headers[w] = headers[r]!;
      headers[w + 1] = headers[r + 1]!;
    }
    w += 2;
  }
  headers.length = w;
  headers.push('cache-control', 'no-store');
}

function buildSetHeaders(config: SecurityHeadersConfig): ReadonlyArray<readonly [string, string]> {
  const set: Array<readonly [string, string]> = [];
  if (config.hsts !== false) set.push(['strict-transport-security', hstsValue(config.hsts)]);
  set.push(['x-content-type-options', 'nosniff']);
  const csp = config.contentSecurityPolicy === false ? '' : config.contentSecurityPolicy.trim();
  if (csp !== '') set.push(['content-security-policy', csp]);
  if (config.referrerPolicy !== false) set.push(['referrer-policy', config.referrerPolicy]);
  if (config.frameOptions !== false) set.push(['x-frame-options', config.frameOptions]);
  if (config.crossOriginResourcePolicy !== false) set.push(['cross-origin-resource-policy', config.crossOriginResourcePolicy]);
  return Object.freeze(set.map((pair) => Object.freeze(pair)));
}

function hstsValue(hsts: Exclude<SecurityHeadersConfig['hsts'], false>): string {
  const maxAge = hsts.maxAge ?? HSTS_DEFAULTS.maxAge;
  const includeSubDomains = hsts.includeSubDomains ?? HSTS_DEFAULTS.includeSubDomains;
  const preload = hsts.preload ?? HSTS_DEFAULTS.preload;
  // The preload list (hstspreload.org) rejects a domain without both; asking for it anyway would
  // look protected and not be.
  if (preload && maxAge < 31_536_000) throw configError(['hsts', 'maxAge'], 'preload needs maxAge of at least 31536000 (one year)');
  if (preload && !includeSubDomains) throw configError(['hsts', 'includeSubDomains'], 'preload needs includeSubDomains: true');
  let value = `max-age=${maxAge}`;
  if (includeSubDomains) value += '; includeSubDomains';
  if (preload) value += '; preload';
  return value;
}

function buildRemoveList(extra: readonly string[], set: ReadonlyArray<readonly [string, string]>): readonly string[] {
  const remove = new Set<string>(ALWAYS_REMOVED);
  const setNames = new Set(set.map(([name]) => name));
  extra.forEach((raw, i) => {
    const name = raw.toLowerCase();
    if (FRAMING.has(name)) throw configError(['removeHeaders', i], `${name} frames the response body and cannot be removed`);
    // Removing and setting the same header is contradictory; the option that turns it off says so.
    if (setNames.has(name)) throw configError(['removeHeaders', i], `${name} is set by this policy; turn it off with its own option instead`);
    remove.add(name);
  });
  return Object.freeze([...remove]);
}
