import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import policy, { isInternal, pathRewriter } from './index.js';
import { TransformSchema, type TransformConfig } from './schema.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import { ConfigError } from '../../core/config-error.js';
import type { CompiledPolicy, ResponseBody } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(TransformSchema);

/** A config with the schema's defaults filled in, as the loader hands it to compile. */
function configOf(input: unknown): TransformConfig {
  const copy = structuredClone(input);
  assert.equal(validate(copy), true, JSON.stringify(validate.errors));
  return copy as TransformConfig;
}

function compile(input: unknown): CompiledPolicy {
  return policy.compile(configOf(input), compileEnvFor(policy));
}

function errorsOf(input: unknown): Array<[string, string]> {
  assert.equal(validate(structuredClone(input)), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

function compileError(input: unknown): [string, string] {
  try {
    compile(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [error.issues[0]!.path.join('.'), error.issues[0]!.message];
  }
  assert.fail('compile did not throw');
}

const alice: Principal = { id: 'alice', kind: 'user', roles: ['editor', 'viewer'], scopes: [], attributes: { department: 'engineering', clearance: 2, note: 'a\r\nx-admin: yes' }, method: 'jwt' };

function run(identityHeaders: Record<string, string>, principal: Principal | undefined) {
  const compiled = compile({ request: { identityHeaders } });
  const ctx = fakeContext();
  ctx.principal = principal;
  void compiled.onRequest?.(ctx);
  return { compiled, headers: ctx.upstreamHeaders ?? [] };
}

test('identity headers carry the principal\'s fields to the upstream', () => {
  assert.deepEqual(run({ 'X-User-Id': 'id', 'x-user-department': 'attributes.department' }, alice).headers, ['x-user-id', 'alice', 'x-user-department', 'engineering']);
});

test('lists are joined with commas and numbers written as text', () => {
  assert.deepEqual(run({ 'x-user-roles': 'roles', 'x-user-clearance': 'attributes.clearance' }, alice).headers, ['x-user-roles', 'editor,viewer', 'x-user-clearance', '2']);
});

test('a client-sent copy of every identity header is stripped', () => {
  assert.deepEqual(run({ 'X-User-Id': 'id' }, alice).compiled.stripRequestHeaders, ['x-user-id']);
});

test('without a principal no identity header is sent', () => {
  assert.deepEqual(run({ 'x-user-id': 'id' }, undefined).headers, []);
});

test('a value with CR/LF is percent-encoded, never a second header', () => {
  const [, value] = run({ 'x-user-note': 'attributes.note' }, alice).headers;
  assert.equal(value, 'a%0D%0Ax-admin%3A%20yes');
});

test('a missing attribute leaves its header out', () => {
  assert.deepEqual(run({ 'x-user-team': 'attributes.team' }, alice).headers, []);
});

// --- schema ---

test('an empty config gets safe defaults: only X-Internal-* stripped, both ways', () => {
  assert.deepEqual(configOf({}), {
    request: { identityHeaders: {}, setHeaders: {}, removeHeaders: [], renameHeaders: {}, stripInternalHeaders: true, rewritePath: {} },
    response: { setHeaders: {}, removeHeaders: [], renameHeaders: {}, stripInternalHeaders: true, removeFields: [], redactFields: {} },
  });
});

test('unknown keys are refused at every level', () => {
  assert.deepEqual(errorsOf({ requests: {} }), [['', 'additionalProperties']]);
  assert.deepEqual(errorsOf({ request: { addHeaders: {} } }), [['/request', 'additionalProperties']]);
  assert.deepEqual(errorsOf({ request: { rewritePath: { prefix: '/a' } } }), [['/request/rewritePath', 'additionalProperties']]);
  assert.deepEqual(errorsOf({ response: { redact: {} } }), [['/response', 'additionalProperties']]);
});

test('a header name that is not an RFC 9110 token is refused', () => {
  assert.deepEqual(errorsOf({ request: { setHeaders: { 'x bad': 'v' } } }), [['/request/setHeaders', 'additionalProperties']]);
  assert.deepEqual(errorsOf({ request: { identityHeaders: { 'x:user': 'id' } } }), [['/request/identityHeaders', 'additionalProperties']]);
  assert.deepEqual(errorsOf({ request: { removeHeaders: ['x(y)'] } }), [['/request/removeHeaders/0', 'pattern']]);
  assert.deepEqual(errorsOf({ response: { renameHeaders: { 'x-a': 'x b' } } }), [['/response/renameHeaders/x-a', 'pattern']]);
});

test('a header value with CR, LF or another control character is refused', () => {
  assert.deepEqual(errorsOf({ request: { setHeaders: { 'x-a': 'v\r\nx-admin: 1' } } }), [['/request/setHeaders/x-a', 'pattern']]);
  assert.deepEqual(errorsOf({ response: { setHeaders: { 'x-a': 'a\u0000b' } } }), [['/response/setHeaders/x-a', 'pattern']]);
  assert.deepEqual(errorsOf({ response: { setHeaders: { 'x-a': 'tab\there' } } }), [['/response/setHeaders/x-a', 'pattern']]);
});

test('path prefixes must be /segments without a trailing slash or percent-encoding', () => {
  assert.deepEqual(errorsOf({ request: { rewritePath: { stripPrefix: 'api' } } }), [['/request/rewritePath/stripPrefix', 'pattern']]);
  assert.deepEqual(errorsOf({ request: { rewritePath: { addPrefix: '/v2/' } } }), [['/request/rewritePath/addPrefix', 'pattern']]);
  assert.deepEqual(errorsOf({ request: { rewritePath: { addPrefix: '/%2e%2e' } } }), [['/request/rewritePath/addPrefix', 'pattern']]);
});

test('malformed field paths are refused', () => {
  assert.deepEqual(errorsOf({ response: { removeFields: ['a..b'] } }), [['/response/removeFields/0', 'pattern']]);
  assert.deepEqual(errorsOf({ response: { redactFields: { 'a[0].b': '*' } } }), [['/response/redactFields', 'additionalProperties']]);
});

// --- compile-time checks ---

test('a dot segment in a prefix is a ConfigError with its path', () => {
  assert.deepEqual(compileError({ request: { rewritePath: { addPrefix: '/v2/..' } } }), ['request.rewritePath.addPrefix', "/v2/.. must not contain a '.' or '..' segment"]);
});

test('headers the gateway manages cannot be set, removed or renamed', () => {
  assert.deepEqual(compileError({ request: { setHeaders: { 'Content-Length': '0' } } }), ['request.setHeaders.Content-Length', 'content-length is managed by the gateway and cannot be changed in the request']);
  assert.deepEqual(compileError({ response: { removeHeaders: ['transfer-encoding'] } }), ['response.removeHeaders.0', 'transfer-encoding is managed by the gateway and cannot be changed in the response']);
});

test('a header used twice in one direction is a ConfigError', () => {
  assert.deepEqual(compileError({ request: { identityHeaders: { 'x-user-id': 'id' }, setHeaders: { 'X-User-Id': 'x' } } }), ['request.setHeaders.X-User-Id', 'x-user-id is already used by request.identityHeaders.x-user-id']);
});

test('credential headers cannot be renamed', () => {
  assert.deepEqual(compileError({ request: { renameHeaders: { Authorization: 'x-auth' } } }), ['request.renameHeaders.Authorization', 'authorization carries credentials and cannot be renamed']);
});

test('an internal response header cannot be set while internal headers are stripped', () => {
  assert.deepEqual(compileError({ response: { setHeaders: { 'X-Internal-Trace': '1' } } }), ['response.setHeaders.X-Internal-Trace', 'x-internal-trace would be removed again by stripInternalHeaders']);
  assert.ok(compile({ response: { setHeaders: { 'X-Internal-Trace': '1' }, stripInternalHeaders: false } }).responseHeaders);
});

test('the same field removed and redacted is a ConfigError', () => {
  assert.deepEqual(compileError({ response: { removeFields: ['items[].email'], redactFields: { 'items.email': '*' } } }), ['response.redactFields.items.email', 'items.email is already listed in response.removeFields']);
});

// --- request operations ---

function request(input: unknown, headers: Record<string, string>, url = '/api/users') {
  const compiled = compile(input);
  const ctx = fakeContext({ url, headers });
  void compiled.onRequest?.(ctx);
  return { compiled, ctx };
}

test('set headers replace a client copy and reach the upstream', () => {
  const { compiled, ctx } = request({ request: { setHeaders: { 'X-Tenant': 'acme' } } }, { 'x-tenant': 'evil' });
  assert.deepEqual([compiled.stripRequestHeaders, ctx.upstreamHeaders], [['x-tenant'], ['x-tenant', 'acme']]);
});

test('removed headers are stripped', () => {
  assert.deepEqual(request({ request: { removeHeaders: ['X-Debug'] } }, {}).compiled.stripRequestHeaders, ['x-debug']);
});

test('a renamed header is forwarded under its new name, a client copy of the new name dropped', () => {
  const { compiled, ctx } = request({ request: { renameHeaders: { 'X-Old': 'X-New' } } }, { 'X-Old': 'v1', 'x-new': 'spoofed' });
  assert.deepEqual([compiled.stripRequestHeaders, ctx.upstreamHeaders], [['x-old', 'x-new'], ['x-new', 'v1']]);
});

test('client-sent X-Internal-* headers are dropped by the proxy: the policy declares the prefix', () => {
  const { compiled } = request({}, {});
  assert.deepEqual(compiled.stripRequestHeaderPrefixes, ['x-internal-']);
});

test('with stripInternalHeaders false no prefix is dropped', () => {
  const { compiled } = request({ request: { stripInternalHeaders: false } }, {});
  assert.equal(compiled.stripRequestHeaderPrefixes, undefined);
});

test('the prefix check is exact', () => {
  assert.deepEqual(['X-Internal-A', 'x-internal-', 'x-internal_a', 'y-internal-a', 'x-internal'].map(isInternal), [true, false, false, false, false]);
});

test('the path is rewritten for the upstream', () => {
  const rewrite = pathRewriter('/api', '/v2')!;
  assert.deepEqual(['/api/users', '/api', '/api/', '/apix/users', '/other'].map(rewrite), ['/v2/users', '/v2', '/v2/', '/v2/apix/users', '/v2/other']);
  const strip = pathRewriter('/api', undefined)!;
  assert.deepEqual(['/api/users', '/api', '/api//evil.example/x'].map(strip), ['/users', '/', '/evil.example/x']);
  assert.equal(pathRewriter(undefined, undefined), undefined);
});

test('the rewrite sets ctx.upstreamPath and leaves ctx.path as sent', () => {
  const { ctx } = request({ request: { rewritePath: { stripPrefix: '/api', addPrefix: '/v2' } } }, {}, '/api/users?x=1');
  assert.deepEqual([ctx.path, ctx.upstreamPath, ctx.query], ['/api/users', '/v2/users', 'x=1']);
});

// --- response operations ---

test('response set and remove are static; renames drop an upstream copy of the target', () => {
  const compiled = compile({ response: { setHeaders: { 'Cache-Control': 'no-store' }, removeHeaders: ['X-Backend'], renameHeaders: { 'X-Old': 'X-New' } } });
  assert.deepEqual(compiled.responseHeaders, { set: [['cache-control', 'no-store']], remove: ['x-backend', 'x-new'] });
});

test('onResponse renames headers and strips X-Internal-*', () => {
  const compiled = compile({ response: { renameHeaders: { 'X-Old': 'X-New' } } });
  const head = { status: 200, headers: ['x-internal-trace', 't', 'x-old', 'v', 'content-type', 'application/json', 'x-internal-node', 'n'] };
  compiled.onResponse!(fakeContext(), head);
  assert.deepEqual(head.headers, ['x-new', 'v', 'content-type', 'application/json']);
});

test('no response hook and no body hook without anything to do', () => {
  const compiled = compile({ response: { stripInternalHeaders: false } });
  assert.deepEqual([compiled.onResponse, compiled.onResponseBody, compiled.responseHeaders], [undefined, undefined, undefined]);
});

function bodyOf(value: unknown, isJson = true): ResponseBody {
  return { isJson, value, raw: Buffer.from(JSON.stringify(value)), changed: false };
}

test('fields are removed and redacted in nested arrays', () => {
  const compiled = compile({ response: { removeFields: ['users[].passwordHash', 'meta.internal'], redactFields: { 'users[].email': '***', 'groups[].members[].email': '***' } } });
  const body = bodyOf({
    users: [{ id: 1, email: 'a@x', passwordHash: 'h1' }, { id: 2, passwordHash: 'h2' }],
    groups: [{ members: [{ email: 'b@x' }, { name: 'c' }] }],
    meta: { internal: 'x', page: 1 },
  });
  compiled.onResponseBody!(fakeContext(), { status: 200, headers: [] }, body);
  assert.equal(body.changed, true);
  assert.deepEqual(body.value, {
    users: [{ id: 1, email: '***' }, { id: 2 }],
    groups: [{ members: [{ email: '***' }, { name: 'c' }] }],
    meta: { page: 1 },
  });
});

test('a top-level array is walked element by element', () => {
  const compiled = compile({ response: { removeFields: ['passwordHash'] } });
  const body = bodyOf([{ id: 1, passwordHash: 'h' }]);
  compiled.onResponseBody!(fakeContext(), { status: 200, headers: [] }, body);
  assert.deepEqual(body.value, [{ id: 1 }]);
});

test('a body without the fields is left unchanged (not re-serialised)', () => {
  const compiled = compile({ response: { removeFields: ['passwordHash'] } });
  const body = bodyOf({ id: 1 });
  compiled.onResponseBody!(fakeContext(), { status: 200, headers: [] }, body);
  assert.equal(body.changed, false);
});

test('a non-JSON body passes unchanged', () => {
  const compiled = compile({ response: { removeFields: ['passwordHash'] } });
  const body: ResponseBody = { isJson: false, value: undefined, raw: Buffer.from('passwordHash=h'), changed: false };
  compiled.onResponseBody!(fakeContext(), { status: 200, headers: [] }, body);
  assert.deepEqual([body.changed, body.value], [false, undefined]);
});
