import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../../core/context.js';
import { ConfigError } from '../../core/config-error.js';
import type { CompileEnv, CompiledPolicy, ResponseHead } from '../../core/policy.js';
import { compileEnvFor } from '../test-helpers.js';
import type { Principal } from '../../core/principal.js';
import policy from './index.js';
import type { SecurityHeadersConfig } from './schema.js';

const DEFAULTS: SecurityHeadersConfig = {
  hsts: { maxAge: 31_536_000, includeSubDomains: true, preload: false },
  contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
  referrerPolicy: 'no-referrer',
  frameOptions: 'DENY',
  crossOriginResourcePolicy: 'same-origin',
  removeHeaders: [],
  noStoreWhenAuthenticated: true,
};

const env: CompileEnv = compileEnvFor(policy);

const alice: Principal = { id: 'alice', kind: 'user', roles: [], scopes: [], attributes: {}, method: 'jwt' };

function compile(overrides: Partial<SecurityHeadersConfig> = {}): CompiledPolicy {
  return policy.compile({ ...DEFAULTS, ...overrides }, env);
}

/** The static headers to set, as an object (names are unique). */
function setHeaders(overrides: Partial<SecurityHeadersConfig> = {}): Record<string, string> {
  return Object.fromEntries(compile(overrides).responseHeaders?.set ?? []);
}

function context(principal?: Principal): RequestContext {
  const req = { method: 'GET', url: '/x', headers: {} };
  const ctx = new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse, 'https', '127.0.0.1', 'test-id', 0);
  ctx.principal = principal;
  return ctx;
}

function respond(ctx: RequestContext, headers: string[], overrides: Partial<SecurityHeadersConfig> = {}): string[] {
  const head: ResponseHead = { status: 200, headers };
  compile(overrides).onResponse?.(ctx, head);
  return head.headers;
}

test('the defaults set the strict header set', () => {
  assert.deepEqual(setHeaders(), {
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-resource-policy': 'same-origin',
  });
});

test('every header name is lower case', () => {
  for (const [name] of compile().responseHeaders?.set ?? []) assert.equal(name, name.toLowerCase());
});

test('the defaults remove Server and X-Powered-By', () => {
  assert.deepEqual(compile().responseHeaders?.remove, ['server', 'x-powered-by']);
});

test('hsts false omits Strict-Transport-Security', () => {
  assert.equal(setHeaders({ hsts: false })['strict-transport-security'], undefined);
});

test('hsts preload with a year and subdomains adds preload', () => {
  assert.equal(setHeaders({ hsts: { maxAge: 63_072_000, includeSubDomains: true, preload: true } })['strict-transport-security'], 'max-age=63072000; includeSubDomains; preload');
});

test('hsts fields left out take their defaults', () => {
  assert.equal(setHeaders({ hsts: { maxAge: 600 } })['strict-transport-security'], 'max-age=600; includeSubDomains');
});

test('hsts includeSubDomains false leaves the directive out', () => {
  assert.equal(setHeaders({ hsts: { includeSubDomains: false } })['strict-transport-security'], 'max-age=31536000');
});

test('hsts preload with less than a year is a config error at hsts.maxAge', () => {
  assert.throws(() => compile({ hsts: { maxAge: 600, preload: true } }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'hsts.maxAge');
});

test('hsts preload without includeSubDomains is a config error at hsts.includeSubDomains', () => {
  assert.throws(() => compile({ hsts: { includeSubDomains: false, preload: true } }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'hsts.includeSubDomains');
});

test('a configured Content-Security-Policy is sent verbatim', () => {
  assert.equal(setHeaders({ contentSecurityPolicy: "default-src 'self'" })['content-security-policy'], "default-src 'self'");
});

test('an empty Content-Security-Policy omits the header', () => {
  assert.equal(setHeaders({ contentSecurityPolicy: '' })['content-security-policy'], undefined);
});

test('contentSecurityPolicy false omits the header', () => {
  assert.equal(setHeaders({ contentSecurityPolicy: false })['content-security-policy'], undefined);
});

test('a configured Cross-Origin-Resource-Policy is sent', () => {
  assert.equal(setHeaders({ crossOriginResourcePolicy: 'cross-origin' })['cross-origin-resource-policy'], 'cross-origin');
});

test('referrerPolicy, frameOptions and crossOriginResourcePolicy false omit their headers', () => {
  const set = setHeaders({ referrerPolicy: false, frameOptions: false, crossOriginResourcePolicy: false });
  assert.deepEqual(Object.keys(set).sort(), ['content-security-policy', 'strict-transport-security', 'x-content-type-options']);
});

test('extra removeHeaders are lower-cased and added to the defaults once', () => {
  assert.deepEqual(compile({ removeHeaders: ['X-AspNet-Version', 'Server', 'x-aspnet-version'] }).responseHeaders?.remove, ['server', 'x-powered-by', 'x-aspnet-version']);
});

test('removing a framing header is a config error at its index', () => {
  assert.throws(() => compile({ removeHeaders: ['x-a', 'Content-Length'] }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'removeHeaders.1');
});

test('removing a header the policy sets is a config error', () => {
  assert.throws(() => compile({ removeHeaders: ['X-Frame-Options'] }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'removeHeaders.0');
});

test('removing a header the policy was told not to set is allowed', () => {
  assert.deepEqual(compile({ frameOptions: false, removeHeaders: ['x-frame-options'] }).responseHeaders?.remove, ['server', 'x-powered-by', 'x-frame-options']);
});

test('the static headers are frozen', () => {
  const headers = compile().responseHeaders;
  assert.ok(Object.isFrozen(headers?.set) && Object.isFrozen(headers?.remove));
});

test('an authenticated response gets cache-control: no-store', () => {
  assert.deepEqual(respond(context(alice), ['content-type', 'application/json']), ['content-type', 'application/json', 'cache-control', 'no-store']);
});

test('an authenticated response has every upstream cache-control replaced', () => {
  const out = respond(context(alice), ['cache-control', 'public', 'etag', '"1"', 'cache-control', 'max-age=600', 'vary', 'accept']);
  assert.deepEqual(out, ['etag', '"1"', 'vary', 'accept', 'cache-control', 'no-store']);
});

test('an anonymous response keeps the upstream cache-control untouched', () => {
  const headers = ['cache-control', 'public, max-age=600'];
  assert.deepEqual(respond(context(), headers), ['cache-control', 'public, max-age=600']);
});

test('noStoreWhenAuthenticated false registers no response handler', () => {
  assert.equal(compile({ noStoreWhenAuthenticated: false }).onResponse, undefined);
});

test('the policy declares no error codes', () => {
  assert.deepEqual(policy.errors, {});
});
