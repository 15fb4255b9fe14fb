import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../../core/context.js';
import type { Denial } from '../../core/problem.js';
import type { CompileEnv } from '../../core/policy.js';
import { compileEnvFor } from '../test-helpers.js';
import policy from './index.js';
import type { SizeLimitConfig } from './schema.js';

const DEFAULTS: SizeLimitConfig = { maxBodyBytes: 1_048_576, maxUrlLength: 8192, maxQueryParams: 256 };

const env: CompileEnv = compileEnvFor(policy);

/** The compiled onRequest, checked to answer synchronously (size checks never need to wait). */
function handler(overrides: Partial<SizeLimitConfig> = {}): (ctx: RequestContext) => Denial | undefined {
  const onRequest = policy.compile({ ...DEFAULTS, ...overrides }, env).onRequest;
  assert.ok(onRequest);
  return (ctx) => {
    const result = onRequest(ctx);
    assert.ok(!(result instanceof Promise), 'expected a synchronous answer');
    return result as Denial | undefined;
  };
}

function context(url: string, headers: Record<string, string> = {}): RequestContext {
  const req = { method: 'POST', url, headers };
  return new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse, 'https', '127.0.0.1', 'test-id', 0);
}

function denial(result: Denial | undefined): Denial {
  assert.ok(result !== undefined, 'expected a denial');
  return result;
}

test('a request within every limit continues', () => {
  assert.equal(handler()(context('/x?a=1', { 'content-length': '10' })), undefined);
});

test('a Content-Length above maxBodyBytes is refused with body_too_large (413)', () => {
  const d = denial(handler({ maxBodyBytes: 100 })(context('/x', { 'content-length': '101' })));
  assert.equal(d.code, 'size-limit.body_too_large');
  assert.equal(d.status, 413);
});

test('a Content-Length equal to maxBodyBytes is allowed', () => {
  assert.equal(handler({ maxBodyBytes: 100 })(context('/x', { 'content-length': '100' })), undefined);
});

test('a Content-Length too large for a safe integer is still refused', () => {
  const d = denial(handler()(context('/x', { 'content-length': '99999999999999999999999' })));
  assert.equal(d.code, 'size-limit.body_too_large');
});

test('maxBodyBytes 0 refuses any non-empty declared body', () => {
  const d = denial(handler({ maxBodyBytes: 0 })(context('/x', { 'content-length': '1' })));
  assert.equal(d.code, 'size-limit.body_too_large');
});

test('a request with no Content-Length gets the streaming cap', () => {
  const ctx = context('/x', { 'transfer-encoding': 'chunked' });
  handler({ maxBodyBytes: 4096 })(ctx);
  assert.equal(ctx.maxBodyBytes, 4096);
});

test('an allowed request with a Content-Length also gets the streaming cap', () => {
  const ctx = context('/x', { 'content-length': '10' });
  handler({ maxBodyBytes: 4096 })(ctx);
  assert.equal(ctx.maxBodyBytes, 4096);
});

test('a lower cap set earlier in the pipeline is kept', () => {
  const ctx = context('/x');
  ctx.maxBodyBytes = 10;
  handler({ maxBodyBytes: 4096 })(ctx);
  assert.equal(ctx.maxBodyBytes, 10);
});

test('a malformed Content-Length does not throw and is left to the streaming cap', () => {
  const ctx = context('/x', { 'content-length': 'abc' });
  assert.equal(handler({ maxBodyBytes: 4096 })(ctx), undefined);
  assert.equal(ctx.maxBodyBytes, 4096);
});

test('a request target longer than maxUrlLength is refused with url_too_long (414)', () => {
  const d = denial(handler({ maxUrlLength: 16 })(context(`/${'a'.repeat(16)}`)));
  assert.equal(d.code, 'size-limit.url_too_long');
  assert.equal(d.status, 414);
});

test('the query string counts towards maxUrlLength', () => {
  const d = denial(handler({ maxUrlLength: 16 })(context(`/x?q=${'a'.repeat(13)}`)));
  assert.equal(d.code, 'size-limit.url_too_long');
});

test('a request target exactly maxUrlLength long is allowed', () => {
  assert.equal(handler({ maxUrlLength: 16 })(context(`/${'a'.repeat(15)}`)), undefined);
});

test('url_too_long is checked before the body', () => {
  const d = denial(handler({ maxUrlLength: 4, maxBodyBytes: 1 })(context('/long', { 'content-length': '2' })));
  assert.equal(d.code, 'size-limit.url_too_long');
});

test('more query parameters than maxQueryParams are refused with too_many_query_params (400)', () => {
  const d = denial(handler({ maxQueryParams: 2 })(context('/x?a=1&b=2&c=3')));
  assert.equal(d.code, 'size-limit.too_many_query_params');
  assert.equal(d.status, 400);
});

test('exactly maxQueryParams query parameters are allowed', () => {
  assert.equal(handler({ maxQueryParams: 3 })(context('/x?a=1&b=2&c=3')), undefined);
});

test('empty parameters between separators count', () => {
  const d = denial(handler({ maxQueryParams: 3 })(context('/x?&&&')));
  assert.equal(d.code, 'size-limit.too_many_query_params');
});

test('maxQueryParams 0 refuses any query string', () => {
  const d = denial(handler({ maxQueryParams: 0 })(context('/x?a')));
  assert.equal(d.code, 'size-limit.too_many_query_params');
});

test('maxQueryParams 0 allows a bare ? with nothing after it', () => {
  assert.equal(handler({ maxQueryParams: 0 })(context('/x?')), undefined);
});

test('denials are built once in compile, not per request', () => {
  const h = handler({ maxBodyBytes: 1 });
  const a = h(context('/x', { 'content-length': '2' }));
  const b = h(context('/y', { 'content-length': '3' }));
  assert.equal(a, b);
});

test('every error code the policy returns is declared with its status', () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(policy.errors).map(([code, spec]) => [code, spec.status])),
    { body_too_large: 413, url_too_long: 414, too_many_query_params: 400 },
  );
});
