import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, type ConfigPath } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import type { Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy, { compilePattern, normalizeOrigin, type CorsConfig } from './index.js';

const APP = 'https://app.example.com';

const DEFAULTS: CorsConfig = { origins: [], originPatterns: [], allowNull: false, methods: ['GET', 'HEAD', 'POST'], allowedHeaders: [], exposedHeaders: [], credentials: false, maxAgeSec: 600 };

interface Outcome {
  /** What onRequest returned (a preflight answer or refusal), undefined to continue. */
  readonly result: Denial | undefined;
  /** The headers added to the response, as a lower-case map (repeated names joined with ', '). */
  readonly headers: Record<string, string>;
}

function compile(config: Partial<CorsConfig>): (headers: Record<string, string>, method?: string) => Outcome {
  const compiled = policy.compile({ ...DEFAULTS, ...config }, compileEnvFor(policy));
  const onRequest = compiled.onRequest;
  assert.ok(onRequest);
  return (headers, method = 'GET') => {
    const ctx: RequestContext = fakeContext({ method, url: '/api/x', headers });
    const result = onRequest(ctx);
    assert.ok(!(result instanceof Promise), 'expected a synchronous answer');
    return { result: result ?? undefined, headers: headerMap(ctx.responseHeaders, result ?? undefined) };
  };
}

function headerMap(added: readonly string[], reply: Denial | undefined): Record<string, string> {
  const all = [...(reply?.headers ?? []), ...added];
  const out: Record<string, string> = {};
  for (let i = 0; i < all.length; i += 2) {
    const name = all[i]!;
    out[name] = out[name] === undefined ? all[i + 1]! : `${out[name]}, ${all[i + 1]!}`;
  }
  return out;
}

/** The Access-Control-Allow-Origin an actual request from `origin` gets (undefined: none). */
function allowOriginFor(config: Partial<CorsConfig>, origin: string): string | undefined {
  const outcome = compile(config)({ origin });
  assert.equal(outcome.result, undefined, 'an actual request is never refused');
  return outcome.headers['access-control-allow-origin'];
}

function preflight(config: Partial<CorsConfig>, origin: string | undefined, method: string, requestHeaders?: string): Outcome {
  const headers: Record<string, string> = { 'access-control-request-method': method };
  if (origin !== undefined) headers.origin = origin;
  if (requestHeaders !== undefined) headers['access-control-request-headers'] = requestHeaders;
  return compile(config)(headers, 'OPTIONS');
}

function corsHeaders(headers: Record<string, string>): string[] {
  return Object.keys(headers).filter((h) => h.startsWith('access-control-'));
}

function issuesOf(config: Partial<CorsConfig>): string[] {
  try {
    policy.compile({ ...DEFAULTS, ...config }, compileEnvFor(policy));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues.map((i) => `${JSON.stringify(i.path)} ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

function warningsOf(config: Partial<CorsConfig>): Array<[ConfigPath, string]> {
  const warnings: Array<[ConfigPath, string]> = [];
  policy.compile({ ...DEFAULTS, ...config }, compileEnvFor(policy, { warn: (path, message) => warnings.push([path, message]) }));
  return warnings;
}

// ── exact origins and look-alikes ────────────────────────────────────────────

test('an allowed origin is reflected exactly', () => {
  assert.equal(allowOriginFor({ origins: [APP] }, APP), APP);
});

test('look-alike origins of an exact entry get no Access-Control-Allow-Origin', () => {
  const lookAlikes = ['https://app.example.com.evil.io', 'https://evilapp.example.com', 'http://app.example.com', 'https://app.example.com:8443', 'https://app.example.co', 'https://example.com', 'https://APP.EXAMPLE.COM', 'https://app.example.com/', ' https://app.example.com', `${APP}, https://evil.io`];
  assert.deepEqual(lookAlikes.map((o) => allowOriginFor({ origins: [APP] }, o)), lookAlikes.map(() => undefined));
});

test('configured origins are normalised: case, default port and trailing slash', () => {
  assert.equal(allowOriginFor({ origins: ['HTTPS://App.Example.COM:443/'] }, APP), APP);
  assert.equal(allowOriginFor({ origins: ['http://localhost:80'] }, 'http://localhost'), 'http://localhost');
  assert.equal(allowOriginFor({ origins: ['https://app.example.com:8443'] }, 'https://app.example.com:8443'), 'https://app.example.com:8443');
});

test('normalizeOrigin gives the serialisation browsers send', () => {
  assert.deepEqual(['HTTPS://App.Example.com:443/', 'http://[::1]:8080', 'https://bücher.example'].map(normalizeOrigin), [{ origin: APP }, { origin: 'http://[::1]:8080' }, { origin: 'https://xn--bcher-kva.example' }]);
});

test('a request without Origin gets no CORS header and is not refused', () => {
  const outcome = compile({ origins: [APP] })({});
  assert.deepEqual([outcome.result, corsHeaders(outcome.headers)], [undefined, []]);
});

test('the null origin is refused unless allowNull', () => {
  assert.equal(allowOriginFor({ origins: [APP] }, 'null'), undefined);
  assert.equal(allowOriginFor({ origins: ['*'] }, 'null'), undefined);
  assert.equal(allowOriginFor({ allowNull: true }, 'null'), 'null');
});

test('origins * answers * without credentials, never the caller\'s origin', () => {
  assert.equal(allowOriginFor({ origins: ['*'] }, 'https://anyone.example'), '*');
});

// ── patterns ─────────────────────────────────────────────────────────────────

test('a pattern matches subdomains of its domain, at any depth, with its scheme and port', () => {
  const config = { originPatterns: ['https://*.example.com'] };
  const origins = ['https://a.example.com', 'https://evilapp.example.com', 'https://a.b.example.com', 'https://x-1.example.com'];
  assert.deepEqual(origins.map((o) => allowOriginFor(config, o)), origins);
});

test('a pattern never matches look-alikes, the bare domain, another scheme or port', () => {
  const config = { originPatterns: ['https://*.example.com'] };
  const origins = ['https://app.example.com.evil.io', 'https://evilexample.com', 'https://example.com', 'https://.example.com', 'https://a..example.com', 'http://a.example.com', 'https://a.example.com:8443', 'https://a.example.com:443', 'https://a.example.com/', 'https://A.example.com', 'https://a.example.com@evil.io', 'null'];
  assert.deepEqual(origins.map((o) => allowOriginFor(config, o)), origins.map(() => undefined));
});

test('a pattern with a port matches only that port', () => {
  const config = { originPatterns: ['http://*.example.test:8080'] };
  assert.deepEqual(['http://a.example.test:8080', 'http://a.example.test', 'http://a.example.test:80'].map((o) => allowOriginFor(config, o)), ['http://a.example.test:8080', undefined, undefined]);
});

test('compilePattern lower-cases and drops the default port', () => {
  assert.deepEqual(compilePattern('HTTPS://*.Example.com:443'), { pattern: { scheme: 'https', suffix: '.example.com', port: '' } });
});

// ── actual requests ──────────────────────────────────────────────────────────

test('credentials and exposed headers are added for an allowed origin', () => {
  const { headers } = compile({ origins: [APP], credentials: true, exposedHeaders: ['X-RateLimit-Remaining', 'ETag'] })({ origin: APP });
  assert.deepEqual(headers, { vary: 'Origin', 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'X-RateLimit-Remaining, ETag' });
});

test('Vary: Origin is added to every answer, allowed origin or not', () => {
  const check = compile({ origins: [APP] });
  assert.deepEqual([check({}).headers, check({ origin: 'https://evil.io' }).headers], [{ vary: 'Origin' }, { vary: 'Origin' }]);
});

test('an OPTIONS request that is not a preflight goes on', () => {
  assert.equal(compile({ origins: [APP] })({ origin: APP }, 'OPTIONS').result, undefined);
});

test('upstream CORS headers are removed: the gateway alone decides', () => {
  const remove = policy.compile(DEFAULTS, compileEnvFor(policy)).responseHeaders?.remove ?? [];
  assert.ok(remove.includes('access-control-allow-origin') && remove.includes('access-control-allow-credentials'));
});

test('the policy says it answers preflights', () => {
  assert.equal(policy.compile(DEFAULTS, compileEnvFor(policy)).answersPreflight, true);
});

// ── preflights ───────────────────────────────────────────────────────────────

test('an allowed preflight is a 204 with every CORS header, answered here', () => {
  const { result, headers } = preflight({ origins: [APP], methods: ['GET', 'PUT'], allowedHeaders: ['X-Custom', 'Content-Type'], credentials: true, maxAgeSec: 300 }, APP, 'PUT', 'content-type,x-custom');
  assert.deepEqual([result?.status, result?.code, result?.bodyPrefix], [204, 'cors.preflight', '']);
  assert.deepEqual(headers, {
    'access-control-allow-origin': APP,
    'access-control-allow-methods': 'GET, PUT',
    'access-control-allow-headers': 'content-type, x-custom',
    'access-control-allow-credentials': 'true',
    'access-control-max-age': '300',
    vary: 'Access-Control-Request-Method, Access-Control-Request-Headers, Origin',
  });
});

test('a preflight without requested headers gets no Access-Control-Allow-Headers', () => {
  assert.equal(preflight({ origins: [APP] }, APP, 'POST').headers['access-control-allow-headers'], undefined);
});

test('requested headers are matched case-insensitively', () => {
  assert.equal(preflight({ origins: [APP], allowedHeaders: ['x-custom'] }, APP, 'GET', 'X-Custom').result?.status, 204);
});

/** A refused preflight: 403 cors.preflight_denied with no CORS header at all. */
function assertDenied(outcome: Outcome): void {
  assert.deepEqual([outcome.result?.status, outcome.result?.code, corsHeaders(outcome.headers)], [403, 'cors.preflight_denied', []]);
}

test('a preflight from an unlisted or look-alike origin is refused without CORS headers', () => {
  for (const origin of ['https://app.example.com.evil.io', 'https://evilapp.example.com', 'http://app.example.com', 'https://app.example.com:8443', 'null']) assertDenied(preflight({ origins: [APP] }, origin, 'GET'));
});

test('a preflight without Origin is refused', () => {
  assertDenied(preflight({ origins: ['*'] }, undefined, 'GET'));
});

test('a preflight for a method not listed is refused (methods are case-sensitive)', () => {
  assertDenied(preflight({ origins: [APP] }, APP, 'DELETE'));
  assertDenied(preflight({ origins: [APP], methods: ['PATCH'] }, APP, 'patch'));
});

test('a preflight asking for a header not listed is refused', () => {
  assertDenied(preflight({ origins: [APP], allowedHeaders: ['content-type'] }, APP, 'GET', 'content-type, x-other'));
});

test('allowedHeaders * covers any header but never Authorization', () => {
  assert.equal(preflight({ origins: [APP], allowedHeaders: ['*'] }, APP, 'GET', 'x-anything, content-type').result?.status, 204);
  assertDenied(preflight({ origins: [APP], allowedHeaders: ['*'] }, APP, 'GET', 'authorization'));
  assertDenied(preflight({ origins: [APP], allowedHeaders: ['*'] }, APP, 'GET', 'x-a, Authorization'));
});

test('Authorization listed by name is allowed', () => {
  assert.equal(preflight({ origins: [APP], allowedHeaders: ['*', 'Authorization'] }, APP, 'GET', 'authorization').result?.status, 204);
});

test('a malformed requested header name is refused', () => {
  assertDenied(preflight({ origins: [APP], allowedHeaders: ['*'] }, APP, 'GET', 'x a'));
});

test('a preflight with origins * answers * and no credentials', () => {
  const { headers } = preflight({ origins: ['*'] }, 'https://anyone.example', 'GET');
  assert.deepEqual([headers['access-control-allow-origin'], headers['access-control-allow-credentials']], ['*', undefined]);
});

// ── configuration mistakes and warnings ─────────────────────────────────────

test('origins * with credentials is a ConfigError', () => {
  assert.deepEqual(issuesOf({ origins: ['*'], credentials: true }), ['["origins",0] * cannot be used with credentials: true (browsers refuse it, and reflecting any origin instead would hand every site the caller\'s cookies); list the origins']);
});

test('* with other origins is a ConfigError', () => {
  assert.deepEqual(issuesOf({ origins: [APP, '*'] }), ['["origins",1] * allows every origin: it must be the only entry']);
});

test('allowedHeaders * or exposedHeaders * with credentials is a ConfigError', () => {
  assert.deepEqual(issuesOf({ origins: [APP], credentials: true, allowedHeaders: ['*'], exposedHeaders: ['x-a', '*'] }), [
    '["allowedHeaders",0] * cannot be used with credentials: true (browsers take it literally); list the headers',
    '["exposedHeaders",1] * cannot be used with credentials: true (browsers take it literally); list the headers',
  ]);
});

test('every invalid origin and pattern is reported at its index', () => {
  assert.deepEqual(issuesOf({ origins: ['https://app.example.com/login', 'ftp://files.example.com', 'null', 'https://a:99999'], originPatterns: ['https://*.com', 'https://app.*.example.com', '*.example.com', 'https://*.example.com:0'] }), [
    '["origins",0] \'https://app.example.com/login\' is not an origin: write scheme://host[:port], without path, query or credentials',
    '["origins",1] \'ftp://files.example.com\' is not an http or https origin',
    '["origins",2] the null origin is allowed with allowNull: true, not as an entry',
    '["origins",3] \'https://a:99999\' is not an origin: the host or port is invalid',
    '["originPatterns",0] \'https://*.com\' is not an origin pattern: write http(s)://*.domain[:port], with * as the whole first label and an ASCII (punycode) domain of at least two labels',
    '["originPatterns",1] \'https://app.*.example.com\' is not an origin pattern: write http(s)://*.domain[:port], with * as the whole first label and an ASCII (punycode) domain of at least two labels',
    '["originPatterns",2] \'*.example.com\' is not an origin pattern: write http(s)://*.domain[:port], with * as the whole first label and an ASCII (punycode) domain of at least two labels',
    '["originPatterns",3] \'https://*.example.com:0\': port 0 is out of range',
  ]);
});

test('an origin with credentials or a query is a ConfigError', () => {
  assert.equal(issuesOf({ origins: ['https://user@app.example.com', 'https://app.example.com?x=1'] }).length, 2);
});

test('check flags origins *', () => {
  assert.deepEqual(warningsOf({ origins: ['*'] }), [[['origins'], 'every origin may read this route\'s answers: fine for an anonymous public API, but on an authenticated route list the origins of your own front ends']]);
});

test('check flags allowNull and an empty allowlist', () => {
  assert.deepEqual(warningsOf({ allowNull: true }).map(([p]) => p), [['allowNull']]);
  assert.deepEqual(warningsOf({}), [[['origins'], 'no origin is allowed: every preflight is refused']]);
});

test('an ordinary config warns about nothing', () => {
  assert.deepEqual(warningsOf({ origins: [APP], originPatterns: ['https://*.example.com'], credentials: true }), []);
});
