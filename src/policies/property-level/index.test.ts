import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { ConfigError } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import type { CompiledPolicy, PolicyAuditEvent, ResponseBody } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { problemBody, type Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy, { MAX_ARRAY_NESTING, MAX_LISTED_VIOLATIONS, PropertyLevelSchema, withSchemaAnnotations, type PropertyLevelConfig } from './index.js';

const fill = new Ajv({ useDefaults: true, strict: false }).compile(PropertyLevelSchema);

function filled(config: Record<string, unknown>): PropertyLevelConfig {
  const copy = structuredClone(config);
  assert.equal(fill(copy), true, JSON.stringify(fill.errors));
  return copy;
}

function principal(id: string, roles: string[]): Principal {
  return { id, kind: 'user', roles, scopes: [], attributes: {}, method: 'jwt' };
}

const alice = principal('alice', ['editor']);
const carol = principal('carol', ['admin']);
const auditor = principal('dave', ['auditor', 'admin']);

interface Harness {
  readonly compiled: CompiledPolicy;
  readonly audits: PolicyAuditEvent[];
  readonly warnings: string[];
}

function compile(config: Record<string, unknown>): Harness {
  const audits: PolicyAuditEvent[] = [];
  const warnings: string[] = [];
  const compiled = policy.compile(filled(config), compileEnvFor(policy, { audit: (_ctx, e) => audits.push(e), warn: (path, message) => warnings.push(`${path.join('.')}: ${message}`) }));
  return { compiled, audits, warnings };
}

function write(h: Harness, body: unknown, options: { method?: string; who?: Principal; raw?: string } = {}): { denial: Denial | undefined; ctx: RequestContext } {
  const ctx = fakeContext({ method: options.method ?? 'POST', url: '/tasks' });
  ctx.principal = options.who ?? alice;
  if (options.raw !== undefined) ctx.rawBody = Buffer.from(options.raw);
  else if (body !== undefined) {
    ctx.rawBody = Buffer.from(JSON.stringify(body));
    ctx.body = structuredClone(body);
  }
  const out = h.compiled.onRequest?.(ctx);
  assert.ok(!(out instanceof Promise), 'expected a synchronous answer');
  return { denial: out ?? undefined, ctx };
}

function problem(denial: Denial | undefined): Record<string, unknown> {
  assert.ok(denial);
  return JSON.parse(problemBody(denial, 'r1')) as Record<string, unknown>;
}

function read(h: Harness, value: unknown, options: { method?: string; who?: Principal | undefined; raw?: string } = {}): { denial: Denial | undefined; body: ResponseBody } {
  const ctx = fakeContext({ method: options.method ?? 'GET', url: '/users/me' });
  ctx.principal = 'who' in options ? options.who : alice;
  const isJson = options.raw === undefined;
  const body: ResponseBody = { isJson, value: isJson ? structuredClone(value) : undefined, raw: Buffer.from(options.raw ?? JSON.stringify(value)), changed: false };
  const hook = h.compiled.onResponseBody;
  assert.ok(hook);
  return { denial: hook(ctx, { status: 200, headers: [] }, body) ?? undefined, body };
}

const last = (h: Harness) => h.audits[h.audits.length - 1];
const TASK_RULES = { write: { serverOwned: ['id', 'ownerId', 'createdAt', 'meta.createdBy'], allowForRoles: { admin: ['ownerId'] } } };
const ME = { id: 'alice', name: 'Alice', email: 'alice@example.com', passwordHash: '$2b$12$x', internalNotes: 'band E4', owner: { passwordHash: 'y', name: 'o' }, items: [{ secret: 1, n: 1 }, { secret: 2, n: 2 }] };

// ── the policy ────────────────────────────────────────────────────────────────

test('the policy is property-level, in the authorize phase, with its three codes', () => {
  assert.deepEqual([policy.name, policy.phase, Object.entries(policy.errors).map(([c, e]) => `${c} ${e.status}`)], ['property-level', 'authorize', ['read_only_property 400', 'uninspectable_body 400', 'unverifiable 502']]);
});

test('a config with neither write nor read is refused at load', () => {
  assert.throws(() => compile({}), (e: unknown) => e instanceof ConfigError && e.issues[0]?.message === 'checks nothing: set write, read or both');
});

test('allowForRoles naming a property that is not server-owned is refused at load', () => {
  assert.throws(() => compile({ write: { serverOwned: ['id'], allowForRoles: { admin: ['ownerId'] } } }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'write.allowForRoles.admin.0');
});

test('a property both removed and masked is refused at load', () => {
  assert.throws(() => compile({ read: { remove: ['email'], mask: { email: '***' } } }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'read.mask.email');
});

test('empty rules load with a warning', () => {
  assert.deepEqual(compile({ write: {}, read: {} }).warnings, ['write.serverOwned: is empty: the write rules check nothing', 'read: removes and masks nothing: the read rules check nothing']);
});

test('only write rules make the route read request bodies', () => {
  assert.deepEqual([compile(TASK_RULES).compiled.requestBody, compile({ read: { remove: ['x'] } }).compiled.requestBody], ['json', undefined]);
});

// ── write ─────────────────────────────────────────────────────────────────────

test('a body without server-owned properties passes and is audited', () => {
  const h = compile(TASK_RULES);
  assert.deepEqual([write(h, { title: 'x' }).denial, last(h)?.outcome], [undefined, 'success']);
});

test('a body that sets ownerId is refused with 400 property-level.read_only_property', () => {
  const h = compile(TASK_RULES);
  const { denial } = write(h, { title: 'x', ownerId: 'bob' });
  assert.deepEqual([denial?.code, denial?.status], ['property-level.read_only_property', 400]);
});

test('the refusal lists pointers and names, never values', () => {
  const h = compile(TASK_RULES);
  const p = problem(write(h, { ownerId: 'bob-secret-value', createdAt: '2020' }).denial);
  assert.deepEqual([p.errors, p.detail, JSON.stringify(p).includes('bob-secret-value')], [
    [{ pointer: '/ownerId', in: 'body', reason: 'read-only' }, { pointer: '/createdAt', in: 'body', reason: 'read-only' }],
    'These properties are set by the server and may not be sent: ownerId, createdAt.',
    false,
  ]);
});

test('the refusal is audited with the rule and the property names', () => {
  const h = compile(TASK_RULES);
  write(h, { ownerId: 'bob' });
  assert.deepEqual(last(h), { type: 'authorization', outcome: 'failure', rule: 'property-level: write serverOwned id, ownerId, createdAt, meta.createdBy', reason: 'read_only: ownerId' });
});

test('a nested server-owned property is refused with its pointer', () => {
  const h = compile(TASK_RULES);
  assert.deepEqual(problem(write(h, { meta: { createdBy: 'x', tag: 'y' } }).denial).errors, [{ pointer: '/meta/createdBy', in: 'body', reason: 'read-only' }]);
});

test('an array of objects is checked element by element', () => {
  const h = compile(TASK_RULES);
  assert.deepEqual(problem(write(h, [{ title: 'a' }, { title: 'b', id: 'task-1' }]).denial).errors, [{ pointer: '/1/id', in: 'body', reason: 'read-only' }]);
});

test('a case variant is refused by default', () => {
  const h = compile(TASK_RULES);
  assert.equal(write(h, { OWNERID: 'bob' }).denial?.code, 'property-level.read_only_property');
});

test('with caseInsensitive false only the exact name is refused', () => {
  const h = compile({ write: { serverOwned: ['ownerId'], caseInsensitive: false } });
  assert.equal(write(h, { OwnerId: 'bob' }).denial, undefined);
});

test('a property with the same name at another depth is not refused', () => {
  const h = compile(TASK_RULES);
  assert.equal(write(h, { createdBy: 'x', tags: [{ ownerId: 'bob' }] }).denial, undefined);
});

test('at most MAX_LISTED_VIOLATIONS pointers are listed', () => {
  const h = compile(TASK_RULES);
  const body = Array.from({ length: 50 }, () => ({ id: 'x' }));
  assert.equal((problem(write(h, body).denial).errors as unknown[]).length, MAX_LISTED_VIOLATIONS);
});

test('allowForRoles lets an admin set ownerId, audited as allowed for the role', () => {
  const h = compile(TASK_RULES);
  assert.deepEqual([write(h, { ownerId: 'bob' }, { who: carol }).denial, last(h)?.reason], [undefined, 'allowed_for_role: ownerId']);
});

test('allowForRoles does not cover the other server-owned properties', () => {
  const h = compile(TASK_RULES);
  assert.deepEqual(problem(write(h, { ownerId: 'bob', id: 'x' }, { who: carol }).denial).errors, [{ pointer: '/id', in: 'body', reason: 'read-only' }]);
});

test('onViolation strip removes the properties and forwards the rest', () => {
  const h = compile({ write: { serverOwned: ['id', 'ownerId'], onViolation: 'strip' } });
  const { denial, ctx } = write(h, { title: 'x', ownerId: 'bob', nested: { id: 'kept' } });
  assert.deepEqual([denial, ctx.body, ctx.rawBody?.toString(), last(h)?.reason], [undefined, { title: 'x', nested: { id: 'kept' } }, '{"title":"x","nested":{"id":"kept"}}', 'stripped: ownerId']);
});

test('GET is not a write: its body is not checked', () => {
  const h = compile(TASK_RULES);
  assert.deepEqual([write(h, { id: 'x' }, { method: 'GET' }).denial, h.audits.length], [undefined, 0]);
});

test('a write without a body passes', () => {
  const h = compile(TASK_RULES);
  assert.equal(write(h, undefined, { method: 'PATCH' }).denial, undefined);
});

test('a write whose body is not JSON is refused (fail closed)', () => {
  const h = compile(TASK_RULES);
  const { denial } = write(h, undefined, { raw: 'ownerId=bob&title=x' });
  assert.deepEqual([denial?.code, last(h)?.reason], ['property-level.uninspectable_body', 'body_not_json']);
});

test('with allowNonJson a body that is not JSON is forwarded', () => {
  const h = compile({ write: { serverOwned: ['id'], allowNonJson: true } });
  assert.equal(write(h, undefined, { raw: 'id=1' }).denial, undefined);
});

test('arrays nested deeper than the walk follows are refused', () => {
  const h = compile(TASK_RULES);
  let body: unknown = { id: 'x' };
  for (let i = 0; i <= MAX_ARRAY_NESTING; i++) body = [body];
  assert.equal(write(h, body).denial?.code, 'property-level.uninspectable_body');
});

test('a JSON scalar body sets no property', () => {
  const h = compile(TASK_RULES);
  assert.equal(write(h, 'ownerId').denial, undefined);
});

// ── read ──────────────────────────────────────────────────────────────────────

const READ = { read: { remove: ['passwordHash', 'internalNotes', 'owner.passwordHash', 'items[].secret'] } };

test('removed properties are gone, nested and in arrays, the rest is kept', () => {
  const h = compile(READ);
  const { denial, body } = read(h, ME);
  assert.deepEqual([denial, body.changed, body.value], [undefined, true, { id: 'alice', name: 'Alice', email: 'alice@example.com', owner: { name: 'o' }, items: [{ n: 1 }, { n: 2 }] }]);
});

test('a filtered response is audited with the rules that applied', () => {
  const h = compile(READ);
  read(h, ME);
  assert.deepEqual(last(h), { type: 'authorization', outcome: 'success', rule: 'property-level: read removes passwordHash, internalNotes, owner.passwordHash, items[].secret', reason: 'filtered: passwordHash, internalNotes, owner.passwordHash, items[].secret' });
});

test('a response without those properties is left as it came, and nothing is audited', () => {
  const h = compile(READ);
  const { body } = read(h, { id: 'alice' });
  assert.deepEqual([body.changed, h.audits.length], [false, 0]);
});

test('every element of a top-level array is filtered', () => {
  const h = compile(READ);
  assert.deepEqual(read(h, [{ id: 1, passwordHash: 'a' }, { id: 2, passwordHash: 'b' }]).body.value, [{ id: 1 }, { id: 2 }]);
});

test('a masked property keeps its key with the mask as value', () => {
  const h = compile({ read: { mask: { email: '***' } } });
  assert.deepEqual(read(h, { id: 1, email: 'a@example.com' }).body.value, { id: 1, email: '***' });
});

test('a mask does not add a property that was absent', () => {
  const h = compile({ read: { mask: { email: '***' } } });
  assert.deepEqual(read(h, { id: 1 }).body.value, { id: 1 });
});

test('perRole replaces the rules: an admin keeps internalNotes', () => {
  const h = compile({ read: { remove: ['passwordHash', 'internalNotes'], perRole: { admin: { remove: ['passwordHash'] } } } });
  assert.deepEqual(read(h, { passwordHash: 'x', internalNotes: 'n' }, { who: carol }).body.value, { internalNotes: 'n' });
});

test('perRole with nothing to remove shows the role everything', () => {
  const h = compile({ read: { remove: ['passwordHash'], perRole: { admin: { remove: [] } } } });
  assert.deepEqual(read(h, { passwordHash: 'x' }, { who: carol }).body.changed, false);
});

test('the first perRole entry the principal has decides', () => {
  const h = compile({ read: { remove: ['a', 'b'], perRole: { auditor: { remove: ['a'] }, admin: { remove: [] } } } });
  assert.deepEqual(read(h, { a: 1, b: 2 }, { who: auditor }).body.value, { b: 2 });
});

test('an anonymous caller gets the base rules', () => {
  const h = compile({ read: { remove: ['a'], perRole: { admin: { remove: [] } } } });
  assert.deepEqual(read(h, { a: 1 }, { who: undefined }).body.value, {});
});

test('a response that is not JSON is refused with 502 property-level.unverifiable', () => {
  const h = compile(READ);
  const { denial } = read(h, undefined, { raw: 'passwordHash=$2b$12$x' });
  assert.deepEqual([denial?.code, denial?.status, last(h)?.reason], ['property-level.unverifiable', 502, 'response_not_json']);
});

test('an empty response (HEAD, 204) passes', () => {
  const h = compile(READ);
  assert.equal(read(h, undefined, { raw: '' }).denial, undefined);
});

test('with allowNonJson a response that is not JSON passes', () => {
  const h = compile({ read: { remove: ['x'], allowNonJson: true } });
  assert.equal(read(h, undefined, { raw: 'x=1' }).denial, undefined);
});

test('read rules limited to GET leave a POST response alone', () => {
  const h = compile({ read: { remove: ['passwordHash'], methods: ['GET'] } });
  assert.equal(read(h, { passwordHash: 'x' }, { method: 'POST' }).body.changed, false);
});

test('read rules apply to every method by default (a POST answer that echoes a hash)', () => {
  const h = compile({ read: { remove: ['passwordHash'] } });
  assert.deepEqual(read(h, { passwordHash: 'x' }, { method: 'POST' }).body.value, {});
});

// ── schema annotations (the OpenAPI extension point) ──────────────────────────

test('readOnly properties join serverOwned, creating write rules when there are none', () => {
  const config = withSchemaAnnotations(filled({ read: { remove: ['x'] } }), { readOnly: ['id', 'createdAt'] });
  assert.deepEqual(config.write?.serverOwned, ['id', 'createdAt']);
});

test('writeOnly properties are removed for everyone, per-role variants included', () => {
  const config = withSchemaAnnotations(filled({ read: { remove: ['x'], perRole: { admin: { remove: [] } } } }), { writeOnly: ['password'] });
  assert.deepEqual([config.read?.remove, config.read?.perRole.admin?.remove], [['x', 'password'], ['password']]);
});

test('annotated properties are not duplicated and the given config is not changed', () => {
  const given = filled({ write: { serverOwned: ['id'] } });
  const config = withSchemaAnnotations(given, { readOnly: ['id', 'ownerId'] });
  assert.deepEqual([config.write?.serverOwned, given.write?.serverOwned], [['id', 'ownerId'], ['id']]);
});

test('an annotated config compiles and enforces both directions', () => {
  const config = withSchemaAnnotations(filled({ read: { remove: [] } }), { readOnly: ['id'], writeOnly: ['password'] });
  const audits: PolicyAuditEvent[] = [];
  const compiled = policy.compile(config, compileEnvFor(policy, { audit: (_c, e) => audits.push(e) }));
  const h: Harness = { compiled, audits, warnings: [] };
  assert.deepEqual([write(h, { id: 1 }).denial?.code, read(h, { password: 'p', a: 1 }).body.value], ['property-level.read_only_property', { a: 1 }]);
});
