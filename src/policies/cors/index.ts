/**
 * cors: Cross-Origin Resource Sharing, decided at the gateway (request phase, before
 * authentication).
 *
 * A preflight (OPTIONS with Access-Control-Request-Method) is answered here and never forwarded:
 * 204 with the exact allowed origin, the methods, the requested headers when all of them are
 * allowed, Max-Age and, when configured, Allow-Credentials; anything not allowed gets 403
 * `cors.preflight_denied` without a single CORS header. The router sends a preflight to the route
 * that serves the requested method even when that route does not list OPTIONS, and no credential
 * is asked for (browsers never send one on a preflight).
 *
 * An actual request from an allowed origin gets Access-Control-Allow-Origin (that origin, never
 * `*` with credentials), Allow-Credentials and Expose-Headers on whatever answer it gets, the
 * upstream's or a refusal's (so a page can read its 401). A request from another origin, or
 * without Origin, is not refused: it goes on as usual and simply gets no CORS header, so the
 * browser withholds the answer from the page. Every answer past this policy carries
 * `Vary: Origin`, added beside the upstream's own Vary instead of replacing it. CORS headers an
 * upstream sends are removed: the gateway alone decides.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv } from '../../core/policy.js';
import { createReply, type Denial } from '../../core/problem.js';
import { compilePattern, normalizeOrigin, NULL_ORIGIN, originMatcher, type OriginPattern } from './origin.js';
import { CorsSchema, type CorsConfig } from './schema.js';

export { CorsSchema, CORS_METHODS, MAX_AGE_LIMIT, MAX_LIST, type CorsConfig } from './schema.js';
export { compilePattern, matchesPattern, normalizeOrigin, type OriginPattern } from './origin.js';

/** Response headers only this policy sets: an upstream's are removed. */
const CORS_RESPONSE_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
] as const;

/** A preflight answer depends on these request headers besides Origin. */
const PREFLIGHT_VARY = 'Access-Control-Request-Method, Access-Control-Request-Headers';

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * The cors policy.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/v1/tasks/*
 *     methods: [GET, POST, PUT, DELETE]
 *     upstream: tasks
 *     policies:
 *       cors:
 *         origins: [https://app.example.com]
 *         methods: [GET, POST, PUT, DELETE]
 *         allowedHeaders: [authorization, content-type]
 *         exposedHeaders: [x-ratelimit-remaining]
 *         credentials: true
 * ```
 */
export default definePolicy({
  name: 'cors',
  phase: 'request',
  description: 'CORS: exact and anchored-pattern origin allowlists, preflights answered at the gateway before authentication, never * with credentials, Vary: Origin.',
  schema: CorsSchema,
  errors: {
    preflight_denied: {
      status: 403,
      title: 'Forbidden',
      description: 'A CORS preflight asked for an origin, method or request header this route does not allow (see the route\'s cors policy). The answer carries no CORS header, so the browser does not send the actual request.',
    },
  },
  compile: compileCors,
});

function compileCors(config: CorsConfig, env: CompileEnv): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  const error = (path: Array<string | number>, message: string) => issues.push({ path, message, severity: 'error' });

  let any = false;
  const exact: string[] = [];
  config.origins.forEach((raw, i) => {
    if (raw === '*') {
      any = true;
      if (config.origins.length > 1) error(['origins', i], '* allows every origin: it must be the only entry');
      if (config.credentials) error(['origins', i], '* cannot be used with credentials: true (browsers refuse it, and reflecting any origin instead would hand every site the caller\'s cookies); list the origins');
      return;
    }
    if (raw.toLowerCase() === NULL_ORIGIN) {
      error(['origins', i], 'the null origin is allowed with allowNull: true, not as an entry');
      return;
    }
    const normal = normalizeOrigin(raw);
    if ('error' in normal) error(['origins', i], normal.error);
    else exact.push(normal.origin);
  });
  const patterns: OriginPattern[] = [];
  config.originPatterns.forEach((raw, i) => {
    const compiled = compilePattern(raw);
    if ('error' in compiled) error(['originPatterns', i], compiled.error);
    else patterns.push(compiled.pattern);
  });
  const headerStar = config.allowedHeaders.indexOf('*');
  if (headerStar !== -1 && config.credentials) error(['allowedHeaders', headerStar], '* cannot be used with credentials: true (browsers take it literally); list the headers');
  const exposedStar = config.exposedHeaders.indexOf('*');
  if (exposedStar !== -1 && config.credentials) error(['exposedHeaders', exposedStar], '* cannot be used with credentials: true (browsers take it literally); list the headers');
  if (issues.length > 0) throw new ConfigError(issues);

  if (any) env.warn(['origins'], 'every origin may read this route\'s answers: fine for an anonymous public API, but on an authenticated route list the origins of your own front ends');
  if (config.allowNull) env.warn(['allowNull'], 'any site can send Origin: null (a sandboxed iframe is enough): allowing it lets every site in');
  if (exact.length === 0 && patterns.length === 0 && !any && !config.allowNull) env.warn(['origins'], 'no origin is allowed: every preflight is refused');

  const matcher = originMatcher(exact, patterns, config.allowNull, any);
  const methods = new Set<string>(config.methods);
  const allowMethods = config.methods.join(', ');
  const allowed = new Set(config.allowedHeaders.filter((h) => h !== '*').map((h) => h.toLowerCase()));
  const anyHeader = headerStar !== -1;
  const maxAge = String(config.maxAgeSec);
  const exposed = config.exposedHeaders.join(', ');
  const credentials = config.credentials;
  const denied = env.deny('preflight_denied', { detail: 'This origin, method or request header is not allowed here.' });

  /** The requested header names (lower case), or undefined when one is not allowed. */
  const allowedRequestHeaders = (value: string | undefined): string[] | undefined => {
    const names: string[] = [];
    if (value === undefined) return names;
    for (const part of value.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === '') continue;
      if (!TOKEN.test(name)) return undefined;
      // Fetch: a `*` in Access-Control-Allow-Headers never covers Authorization.
      if (!allowed.has(name) && !(anyHeader && name !== 'authorization')) return undefined;
      names.push(name);
    }
    return names;
  };

  const preflight = (ctx: RequestContext, origin: string | undefined, method: string): Denial => {
    if (origin === undefined || !matcher.allows(origin) || !methods.has(method)) return denied;
    const headers = allowedRequestHeaders(single(ctx.req.headers['access-control-request-headers']));
    if (headers === undefined) return denied;
    const out: Array<readonly [string, string]> = [
      ['access-control-allow-origin', matcher.any && origin !== NULL_ORIGIN ? '*' : origin],
      ['access-control-allow-methods', allowMethods],
    ];
    if (headers.length > 0) out.push(['access-control-allow-headers', headers.join(', ')]);
    if (credentials) out.push(['access-control-allow-credentials', 'true']);
    out.push(['access-control-max-age', maxAge], ['vary', PREFLIGHT_VARY]);
    return createReply('cors.preflight', 204, out);
  };

  return {
    answersPreflight: true,
    responseHeaders: Object.freeze({ remove: CORS_RESPONSE_HEADERS }),
    onRequest(ctx) {
      ctx.addResponseHeader('vary', 'Origin');
      const origin = single(ctx.req.headers.origin);
      const method = ctx.method === 'OPTIONS' ? single(ctx.req.headers['access-control-request-method']) : undefined;
      if (method !== undefined) return preflight(ctx, origin, method);
      if (origin === undefined || !matcher.allows(origin)) return undefined;
      ctx.addResponseHeader('access-control-allow-origin', matcher.any && origin !== NULL_ORIGIN ? '*' : origin);
      if (credentials) ctx.addResponseHeader('access-control-allow-credentials', 'true');
      if (exposed !== '') ctx.addResponseHeader('access-control-expose-headers', exposed);
      return undefined;
    },
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
