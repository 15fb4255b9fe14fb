import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { ConfigError } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { OutboundError, type OutboundClient, type OutboundRequest, type OutboundResponse, NO_OUTBOUND } from '../../core/outbound.js';
import type { CompiledPolicy, PolicyAuditEvent, ResponseBody } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import type { Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import defaultPolicy, { createObjectLevelPolicy, ObjectLevelSchema, type ObjectLevelConfig } from './index.js';

const fill = new Ajv({ useDefaults: true, strict: false }).compile(ObjectLevelSchema);

function principal(id: string, roles: string[] = ['editor'], attributes: Record<string, unknown> = {}): Principal {
  return { id, kind: 'user', roles, scopes: [], attributes, method: 'jwt' };
}

const alice = principal('alice', ['editor'], { account: 42, team: 'platform' });
const bob = principal('bob', ['viewer']);
const carol = principal('carol', ['admin']);

/** An outbound client answering from a function, recording every request. */
interface FakeOutbound extends OutboundClient {
  readonly seen: OutboundRequest[];
}

function outboundOf(answer: (url: string) => OutboundResponse | Error | Promise<OutboundResponse>): FakeOutbound {
  const seen: OutboundRequest[] = [];
  return {
    seen,
    check: (...args) => NO_OUTBOUND.check(...args),
    request(req) {
      seen.push(req);
      const a = answer(req.url);
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve(a);
    },
  };
}

function reply(status: number, body: unknown): OutboundResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

const TASKS: Record<string, unknown> = {
  'task-1': { id: 'task-1', ownerId: 'alice', department: 'engineering', meta: { classification: 2 } },
  'task-2': { id: 'task-2', ownerId: 'bob', department: 'sales', meta: { classification: 1 } },
  'task-3': { id: 'task-3', title: 'no owner' },
};

/** The tasks above at https://api.internal/tasks/{id}; anything else 404. */
function tasksOutbound(): FakeOutbound {
  return outboundOf((url) => {
    const id = decodeURIComponent(url.slice('https://api.internal/tasks/'.length));
    const task = TASKS[id];
    return task === undefined ? reply(404, { error: 'not found' }) : reply(200, task);
  });
}

interface Harness {
  readonly compiled: CompiledPolicy;
  readonly audits: PolicyAuditEvent[];
}

function compile(config: Record<string, unknown>, outbound: OutboundClient = tasksOutbound(), now: () => number = () => 0): Harness {
  const filled = structuredClone(config);
  assert.equal(fill(filled), true, JSON.stringify(fill.errors));
  const policy = createObjectLevelPolicy({ now });
  const audits: PolicyAuditEvent[] = [];
  const compiled = policy.compile(filled as ObjectLevelConfig, compileEnvFor(policy, { outbound, audit: (_ctx, e) => audits.push(e) }));
  return { compiled, audits };
}

interface RequestOptions {
  readonly method?: string;
  readonly url?: string;
  readonly params?: Record<string, string>;
  readonly who?: Principal | undefined;
  readonly body?: unknown;
}

function request(options: RequestOptions = {}): RequestContext {
  const ctx = fakeContext({ method: options.method ?? 'GET', url: options.url ?? '/' });
  ctx.params = options.params ?? {};
  ctx.principal = 'who' in options ? options.who : alice;
  ctx.body = options.body;
  return ctx;
}

async function decide(h: Harness, ctx: RequestContext): Promise<Denial | undefined> {
  const out = h.compiled.onRequest?.(ctx);
  return (await out) ?? undefined;
}

function decideSync(h: Harness, ctx: RequestContext): Denial | undefined {
  const out = h.compiled.onRequest?.(ctx);
  assert.ok(!(out instanceof Promise), 'expected a synchronous answer');
  return out ?? undefined;
}

function respond(h: Harness, ctx: RequestContext, status: number, value: unknown, isJson = true): { denial: Denial | undefined; body: ResponseBody } {
  const raw = Buffer.from(isJson ? JSON.stringify(value) : String(value));
  const body: ResponseBody = { isJson, value: isJson ? structuredClone(value) : undefined, raw, changed: false };
  const hook = h.compiled.onResponseBody;
  assert.ok(hook, 'expected a response hook');
  const denial = hook(ctx, { status, headers: [] }, body) ?? undefined;
  return { denial, body };
}

const last = (h: Harness) => h.audits[h.audits.length - 1];

// ── the policy ────────────────────────────────────────────────────────────────

test('the default export is object-level, in the authorize phase, with four codes', () => {
  assert.deepEqual([defaultPolicy.name, defaultPolicy.phase, Object.keys(defaultPolicy.errors)], ['object-level', 'authorize', ['not_found', 'forbidden', 'unavailable', 'unverifiable']]);
});

test('the refusal statuses are 404, 403, 503 and 502', () => {
  assert.deepEqual(Object.values(defaultPolicy.errors).map((e) => e.status), [404, 403, 503, 502]);
});

// ── config errors ─────────────────────────────────────────────────────────────

function configIssues(config: Record<string, unknown>): Array<[string, string]> {
  try {
    compile(config);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => [i.path.join('.'), i.message]);
  }
  assert.fail('expected a ConfigError');
}

test('a config with no block is refused at load', () => {
  assert.deepEqual(configIssues({}), [['', 'checks nothing: set binding, lookup or response']]);
});

test('a lookup that checks no owner and copies nothing is refused at load', () => {
  assert.deepEqual(configIssues({ lookup: { url: 'https://api.internal/tasks/{taskId}' } }), [['lookup', 'checks no owner and copies no attributes: set ownerField, attributes or both']]);
});

test('two attributes stored under the same name are refused at load', () => {
  assert.deepEqual(configIssues({ lookup: { url: 'https://api.internal/tasks/{taskId}', attributes: ['owner.id', 'project.id'] } }), [['lookup.attributes.1', 'would be stored as resource.id, like attributes[0]']]);
});

test('a malformed placeholder is refused at load', () => {
  assert.deepEqual(configIssues({ lookup: { url: 'https://api.internal/tasks/{task-id}', ownerField: 'o' } }), [['lookup.url', '\'{task-id}\' is not a placeholder: use {paramName} with letters, digits and _']]);
});

test('an unclosed placeholder is refused at load', () => {
  assert.deepEqual(configIssues({ lookup: { url: 'https://api.internal/tasks/{taskId', ownerField: 'o' } }), [['lookup.url', 'unclosed \'{\' at character 28']]);
});

// ── binding ───────────────────────────────────────────────────────────────────

test('a path binding lets the caller through synchronously', () => {
  const h = compile({ binding: { name: 'userId' } });
  assert.equal(decideSync(h, request({ params: { userId: 'alice' } })), undefined);
});

test('a passing binding is audited as a success with its rule', () => {
  const h = compile({ binding: { name: 'userId' } });
  decideSync(h, request({ params: { userId: 'alice' } }));
  assert.deepEqual(h.audits, [{ type: 'authorization', outcome: 'success', rule: 'object-level: binding path.userId == user.id' }]);
});

test('a path binding to another user is 404 object-level.not_found', () => {
  const h = compile({ binding: { name: 'userId' } });
  assert.equal(decideSync(h, request({ params: { userId: 'bob' } }))?.code, 'object-level.not_found');
});

test('a refused binding is audited with the reason', () => {
  const h = compile({ binding: { name: 'userId' } });
  decideSync(h, request({ params: { userId: 'bob' } }));
  assert.deepEqual(h.audits, [{ type: 'authorization', outcome: 'failure', rule: 'object-level: binding path.userId == user.id', reason: 'not_bound_to_caller' }]);
});

test('denyAs forbidden answers 403 object-level.forbidden', () => {
  const h = compile({ binding: { name: 'userId' }, denyAs: 'forbidden' });
  const denial = decideSync(h, request({ params: { userId: 'bob' } }));
  assert.deepEqual([denial?.code, denial?.status], ['object-level.forbidden', 403]);
});

test('a binding to a missing path parameter is refused', () => {
  const h = compile({ binding: { name: 'userId' } });
  decideSync(h, request({ params: {} }));
  assert.equal(last(h)?.reason, 'value_missing');
});

test('a query binding reads the parameter', () => {
  const h = compile({ binding: { source: 'query', name: 'owner' } });
  assert.equal(decideSync(h, request({ url: '/tasks?owner=alice&sort=due' })), undefined);
});

test('a query binding refuses a repeated parameter (upstreams disagree on which copy counts)', () => {
  const h = compile({ binding: { source: 'query', name: 'owner' } });
  assert.equal(decideSync(h, request({ url: '/tasks?owner=alice&owner=bob' }))?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'ambiguous_query: the parameter is repeated');
});

test('a query binding without the parameter is refused', () => {
  const h = compile({ binding: { source: 'query', name: 'owner' } });
  assert.equal(decideSync(h, request({ url: '/tasks' }))?.code, 'object-level.not_found');
});

test('a body binding asks for the JSON body', () => {
  assert.equal(compile({ binding: { source: 'body', name: 'from.account' } }).compiled.requestBody, 'json');
});

test('other bindings do not make the route read bodies', () => {
  assert.equal(compile({ binding: { name: 'userId' } }).compiled.requestBody, undefined);
});

test('a body binding compares a nested property with a principal attribute, a number with its text', () => {
  const h = compile({ binding: { source: 'body', name: 'from.account', equals: 'user.attributes.account' } });
  assert.equal(decideSync(h, request({ method: 'POST', body: { from: { account: '42' } } })), undefined);
});

test('a body binding refuses another account', () => {
  const h = compile({ binding: { source: 'body', name: 'from.account', equals: 'user.attributes.account' } });
  assert.equal(decideSync(h, request({ method: 'POST', body: { from: { account: 43 } } }))?.code, 'object-level.not_found');
});

test('a body binding refuses a value that is an object, not an identifier', () => {
  const h = compile({ binding: { source: 'body', name: 'from' } });
  decideSync(h, request({ method: 'POST', body: { from: { id: 'alice' } } }));
  assert.equal(last(h)?.reason, 'value_not_an_identifier');
});

test('a body binding never follows the prototype chain', () => {
  const h = compile({ binding: { source: 'body', name: 'constructor.name' } });
  assert.equal(decideSync(h, request({ method: 'POST', body: {} }))?.code, 'object-level.not_found');
});

test('a caller without the compared attribute is refused', () => {
  const h = compile({ binding: { name: 'team', equals: 'user.attributes.team' } });
  decideSync(h, request({ params: { team: 'platform' }, who: bob }));
  assert.equal(last(h)?.reason, 'caller_attribute_missing');
});

test('an empty value never matches, even an empty attribute', () => {
  const h = compile({ binding: { name: 'team', equals: 'user.attributes.team' } });
  assert.equal(decideSync(h, request({ params: { team: '' }, who: principal('eve', [], { team: '' }) }))?.code, 'object-level.not_found');
});

test('an anonymous request (public route) is refused and audited', () => {
  const h = compile({ binding: { name: 'userId' } });
  assert.equal(decideSync(h, request({ params: { userId: 'alice' }, who: undefined }))?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'no_principal');
});

test('a binding limited to POST does not check GET, and records nothing', () => {
  const h = compile({ binding: { name: 'userId', methods: ['POST'] } });
  assert.deepEqual([decideSync(h, request({ params: { userId: 'bob' } })), h.audits.length], [undefined, 0]);
});

test('a bypass role skips the binding and is audited with its rule', () => {
  const h = compile({ binding: { name: 'userId' }, bypassRoles: ['admin'] });
  assert.equal(decideSync(h, request({ params: { userId: 'bob' }, who: carol })), undefined);
  assert.deepEqual(h.audits, [{ type: 'authorization', outcome: 'success', rule: 'object-level: bypass role admin' }]);
});

test('a role not in bypassRoles does not bypass', () => {
  const h = compile({ binding: { name: 'userId' }, bypassRoles: ['admin'] });
  assert.equal(decideSync(h, request({ params: { userId: 'alice' }, who: bob }))?.code, 'object-level.not_found');
});

// ── lookup ────────────────────────────────────────────────────────────────────

const LOOKUP = { url: 'https://api.internal/tasks/{taskId}', ownerField: 'ownerId' };

test('a lookup that finds the caller the owner lets the request through', async () => {
  const h = compile({ lookup: LOOKUP });
  assert.equal(await decide(h, request({ method: 'PATCH', params: { taskId: 'task-1' } })), undefined);
});

test('a passing lookup is audited with its rule', async () => {
  const h = compile({ lookup: LOOKUP });
  await decide(h, request({ method: 'PATCH', params: { taskId: 'task-1' } }));
  assert.deepEqual(h.audits, [{ type: 'authorization', outcome: 'success', rule: 'object-level: lookup ownerId == user.id' }]);
});

test('a lookup that finds another owner is 404 and audited not_owner', async () => {
  const h = compile({ lookup: LOOKUP });
  assert.equal((await decide(h, request({ method: 'PATCH', params: { taskId: 'task-2' } })))?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'not_owner');
});

test('an object without an owner field is refused', async () => {
  const h = compile({ lookup: LOOKUP });
  assert.equal((await decide(h, request({ params: { taskId: 'task-3' } })))?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'owner_field_missing');
});

test('a lookup answered 404 is the same not-found refusal', async () => {
  const h = compile({ lookup: LOOKUP });
  assert.equal((await decide(h, request({ params: { taskId: 'task-404' } })))?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'object_not_found: lookup status 404');
});

test('a lookup answered 500 fails closed with 503 object-level.unavailable', async () => {
  const h = compile({ lookup: LOOKUP }, outboundOf(() => reply(500, { error: 'boom' })));
  assert.equal((await decide(h, request({ params: { taskId: 'task-1' } })))?.code, 'object-level.unavailable');
  assert.equal(last(h)?.reason, 'lookup_status: 500');
});

test('a lookup that times out fails closed with 503 and the outbound code in the audit', async () => {
  const h = compile({ lookup: LOOKUP }, outboundOf(() => new OutboundError('outbound.timeout', 'too slow')));
  assert.equal((await decide(h, request({ params: { taskId: 'task-1' } })))?.code, 'object-level.unavailable');
  assert.equal(last(h)?.reason, 'lookup_failed: outbound.timeout');
});

test('a lookup answered with something that is not JSON fails closed', async () => {
  const h = compile({ lookup: LOOKUP }, outboundOf(() => reply(200, '<html>oops</html>')));
  assert.equal((await decide(h, request({ params: { taskId: 'task-1' } })))?.code, 'object-level.unavailable');
  assert.equal(last(h)?.reason, 'lookup_invalid_json');
});

test('a lookup answered with a JSON array fails closed', async () => {
  const h = compile({ lookup: LOOKUP }, outboundOf(() => reply(200, [TASKS['task-1']])));
  assert.equal((await decide(h, request({ params: { taskId: 'task-1' } })))?.code, 'object-level.unavailable');
  assert.equal(last(h)?.reason, 'lookup_not_an_object');
});

test('the lookup is a GET with the configured timeout and size bound', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: { ...LOOKUP, timeoutMs: 750, maxResponseBytes: 4096 } }, outbound);
  await decide(h, request({ params: { taskId: 'task-1' } }));
  const seen = outbound.seen[0]!;
  assert.deepEqual([seen.url, seen.method, seen.timeoutMs, seen.maxBytes], ['https://api.internal/tasks/task-1', 'GET', 750, 4096]);
});

test('path parameters are URL-encoded into the lookup URL', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await decide(h, request({ params: { taskId: 'a b/../c?d' } }));
  assert.equal(outbound.seen[0]?.url, 'https://api.internal/tasks/a%20b%2F..%2Fc%3Fd');
});

test('a parameter of .. is refused without a lookup', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  assert.equal((await decide(h, request({ params: { taskId: '..' } })))?.code, 'object-level.not_found');
  assert.deepEqual([outbound.seen.length, last(h)?.reason], [0, 'bad_parameter: taskId']);
});

test('a missing parameter is refused without a lookup', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await decide(h, request({ params: {} }));
  assert.deepEqual([outbound.seen.length, last(h)?.reason], [0, 'bad_parameter: taskId']);
});

test('an anonymous request makes no lookup', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  assert.equal((await decide(h, request({ params: { taskId: 'task-1' }, who: undefined })))?.code, 'object-level.not_found');
  assert.equal(outbound.seen.length, 0);
});

test('attributes of the found object fill ctx.resource, by their last segment', async () => {
  const h = compile({ lookup: { ...LOOKUP, attributes: ['department', 'meta.classification'] } });
  const ctx = request({ params: { taskId: 'task-1' } });
  await decide(h, ctx);
  assert.deepEqual(ctx.resource, { department: 'engineering', classification: 2 });
});

test('attributes are merged into a resource another policy set', async () => {
  const h = compile({ lookup: { ...LOOKUP, attributes: ['department'] } });
  const ctx = request({ params: { taskId: 'task-1' } });
  ctx.resource = { kind: 'task' };
  await decide(h, ctx);
  assert.deepEqual(ctx.resource, { kind: 'task', department: 'engineering' });
});

test('an attribute-only lookup lets anyone through and fills the resource', async () => {
  const h = compile({ lookup: { url: LOOKUP.url, attributes: ['department'] } });
  const ctx = request({ params: { taskId: 'task-2' } });
  assert.deepEqual([await decide(h, ctx), ctx.resource], [undefined, { department: 'sales' }]);
});

test('a bypass still fetches attributes, without comparing the owner', async () => {
  const h = compile({ lookup: { ...LOOKUP, attributes: ['department'] }, bypassRoles: ['admin'] });
  const ctx = request({ params: { taskId: 'task-2' }, who: carol });
  assert.deepEqual([await decide(h, ctx), ctx.resource], [undefined, { department: 'sales' }]);
});

test('a bypass without attributes makes no lookup', () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP, bypassRoles: ['admin'] }, outbound);
  assert.deepEqual([decideSync(h, request({ params: { taskId: 'task-2' }, who: carol })), outbound.seen.length], [undefined, 0]);
});

test('a lookup limited to PATCH leaves GET alone', () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: { ...LOOKUP, methods: ['PATCH'] } }, outbound);
  assert.deepEqual([decideSync(h, request({ params: { taskId: 'task-2' } })), outbound.seen.length], [undefined, 0]);
});

// ── lookup cache ──────────────────────────────────────────────────────────────

test('a cached object is answered synchronously, with one outbound request', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await decide(h, request({ params: { taskId: 'task-1' } }));
  assert.deepEqual([decideSync(h, request({ params: { taskId: 'task-1' } })), outbound.seen.length], [undefined, 1]);
});

test('the cache is keyed by URL: another object is fetched', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await decide(h, request({ params: { taskId: 'task-1' } }));
  await decide(h, request({ params: { taskId: 'task-2' } }));
  assert.equal(outbound.seen.length, 2);
});

test('a cached object is decided per caller: bob is refused alice\'s task from the cache', async () => {
  const h = compile({ lookup: LOOKUP });
  await decide(h, request({ params: { taskId: 'task-1' } }));
  assert.equal(decideSync(h, request({ params: { taskId: 'task-1' }, who: bob }))?.code, 'object-level.not_found');
});

test('a cached object is fetched again once cacheTtlSec has passed', async () => {
  let now = 1_000_000;
  const outbound = tasksOutbound();
  const h = compile({ lookup: { ...LOOKUP, cacheTtlSec: 5 } }, outbound, () => now);
  await decide(h, request({ params: { taskId: 'task-1' } }));
  now += 5000;
  await decide(h, request({ params: { taskId: 'task-1' } }));
  assert.equal(outbound.seen.length, 2);
});

test('cacheTtlSec 0 fetches every time', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: { ...LOOKUP, cacheTtlSec: 0 } }, outbound);
  await decide(h, request({ params: { taskId: 'task-1' } }));
  await decide(h, request({ params: { taskId: 'task-1' } }));
  assert.equal(outbound.seen.length, 2);
});

test('a 404 is not cached (an object created a moment later is found)', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await decide(h, request({ params: { taskId: 'task-404' } }));
  await decide(h, request({ params: { taskId: 'task-404' } }));
  assert.equal(outbound.seen.length, 2);
});

test('a failure is not cached', async () => {
  let calls = 0;
  const outbound = outboundOf(() => (++calls === 1 ? new OutboundError('outbound.failed', 'reset') : reply(200, TASKS['task-1'])));
  const h = compile({ lookup: LOOKUP }, outbound);
  const first = await decide(h, request({ params: { taskId: 'task-1' } }));
  const second = await decide(h, request({ params: { taskId: 'task-1' } }));
  assert.deepEqual([first?.code, second], ['object-level.unavailable', undefined]);
});

test('concurrent misses for one URL share one outbound request', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await Promise.all([1, 2, 3].map(() => decide(h, request({ params: { taskId: 'task-1' } }))));
  assert.equal(outbound.seen.length, 1);
});

test('the cache holds at most cacheMaxEntries objects', async () => {
  const outbound = outboundOf((url) => reply(200, { ownerId: 'alice', url }));
  const h = compile({ lookup: { ...LOOKUP, cacheMaxEntries: 2 } }, outbound);
  for (const id of ['a', 'b', 'c', 'a']) await decide(h, request({ params: { taskId: id } }));
  // a was evicted by c, so it is fetched again.
  assert.equal(outbound.seen.length, 4);
});

// ── response check ────────────────────────────────────────────────────────────

const RESPONSE = { ownerField: 'ownerId' };
const LIST = { tasks: [{ id: 't1', ownerId: 'alice' }, { id: 't2', ownerId: 'bob' }, { id: 't3', ownerId: 'alice' }, { id: 't4' }] };

test('a response check makes onRequest require a principal but do no other work', () => {
  const h = compile({ response: RESPONSE });
  assert.deepEqual([decideSync(h, request()), h.audits.length], [undefined, 0]);
});

test('a response check refuses an anonymous request before it is forwarded', () => {
  const h = compile({ response: RESPONSE });
  assert.equal(decideSync(h, request({ who: undefined }))?.code, 'object-level.not_found');
});

test('the caller\'s own object passes unchanged, audited as a success', () => {
  const h = compile({ response: RESPONSE });
  const { denial, body } = respond(h, request(), 200, { id: 't1', ownerId: 'alice' });
  assert.deepEqual([denial, body.changed, last(h)], [undefined, false, { type: 'authorization', outcome: 'success', rule: 'object-level: response ownerId == user.id' }]);
});

test('another\'s object is replaced by the not-found refusal', () => {
  const h = compile({ response: RESPONSE });
  assert.equal(respond(h, request(), 200, { id: 't2', ownerId: 'bob' }).denial?.code, 'object-level.not_found');
});

test('an object whose owner is in a nested field is checked there', () => {
  const h = compile({ response: { ownerField: 'meta.owner.id' } });
  assert.equal(respond(h, request(), 200, { meta: { owner: { id: 'alice' } } }).denial, undefined);
});

test('an upstream 404 gets the same refusal as another\'s object', () => {
  const h = compile({ response: RESPONSE });
  assert.equal(respond(h, request(), 404, { error: 'task not found' }).denial?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'upstream_status: 404');
});

test('an upstream 500 passes unchanged (no object to check) and is not audited', () => {
  const h = compile({ response: RESPONSE });
  assert.deepEqual([respond(h, request(), 500, { error: 'boom' }).denial, h.audits.length], [undefined, 0]);
});

test('a response that is not JSON fails closed with 502 object-level.unverifiable', () => {
  const h = compile({ response: RESPONSE });
  assert.equal(respond(h, request(), 200, 'owner=bob', false).denial?.code, 'object-level.unverifiable');
  assert.equal(last(h)?.reason, 'response_not_json');
});

test('an empty 200 (a HEAD response) cannot be checked and is refused', () => {
  const h = compile({ response: RESPONSE });
  assert.equal(respond(h, request({ method: 'HEAD' }), 200, '', false).denial?.code, 'object-level.unverifiable');
});

test('a list keeps only the caller\'s items', () => {
  const h = compile({ response: { ...RESPONSE, listPath: 'tasks' } });
  const { denial, body } = respond(h, request(), 200, LIST);
  assert.deepEqual([denial, body.changed, body.value], [undefined, true, { tasks: [{ id: 't1', ownerId: 'alice' }, { id: 't3', ownerId: 'alice' }] }]);
});

test('a filtered list is audited with the count', () => {
  const h = compile({ response: { ...RESPONSE, listPath: 'tasks' } });
  respond(h, request(), 200, LIST);
  assert.equal(last(h)?.reason, 'filtered: 2 of 4 items removed');
});

test('a list of only the caller\'s items is left as it came', () => {
  const h = compile({ response: { ...RESPONSE, listPath: 'tasks' } });
  const { body } = respond(h, request(), 200, { tasks: [{ ownerId: 'alice' }] });
  assert.deepEqual([body.changed, last(h)?.reason], [false, undefined]);
});

test('a top-level array is a list without listPath', () => {
  const h = compile({ response: RESPONSE });
  const { body } = respond(h, request({ who: bob }), 200, LIST.tasks);
  assert.deepEqual(body.value, [{ id: 't2', ownerId: 'bob' }]);
});

test('onList deny refuses a list with any item of another', () => {
  const h = compile({ response: { ...RESPONSE, listPath: 'tasks', onList: 'deny' } });
  assert.equal(respond(h, request(), 200, LIST).denial?.code, 'object-level.not_found');
  assert.equal(last(h)?.reason, 'list_has_items_of_others');
});

test('a response without the configured list fails closed', () => {
  const h = compile({ response: { ...RESPONSE, listPath: 'tasks' } });
  assert.equal(respond(h, request(), 200, { items: [] }).denial?.code, 'object-level.unverifiable');
  assert.equal(last(h)?.reason, 'response_list_missing');
});

test('owners compare as text: a numeric owner id matches a string attribute', () => {
  const h = compile({ response: { ownerField: 'accountId', owner: 'user.attributes.account' } });
  assert.equal(respond(h, request(), 200, { accountId: 42 }).denial, undefined);
});

test('a response check is for GET and HEAD by default: a POST response passes', () => {
  const h = compile({ response: RESPONSE });
  assert.deepEqual([respond(h, request({ method: 'POST' }), 201, { ownerId: 'bob' }).denial, h.audits.length], [undefined, 0]);
});

test('a bypass role sees every item of a list', () => {
  const h = compile({ response: { ...RESPONSE, listPath: 'tasks' }, bypassRoles: ['admin'] });
  const { denial, body } = respond(h, request({ who: carol }), 200, LIST);
  assert.deepEqual([denial, body.changed], [undefined, false]);
});

test('denyAs forbidden applies to the response check too', () => {
  const h = compile({ response: RESPONSE, denyAs: 'forbidden' });
  assert.equal(respond(h, request(), 200, { ownerId: 'bob' }).denial?.code, 'object-level.forbidden');
});

// ── combined ──────────────────────────────────────────────────────────────────

test('lookup for PATCH and response for GET on one route: each where it applies', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: { ...LOOKUP, methods: ['PATCH'] }, response: { ...RESPONSE, methods: ['GET'] } }, outbound);
  const patch = await decide(h, request({ method: 'PATCH', params: { taskId: 'task-2' } }));
  const get = decideSync(h, request({ method: 'GET', params: { taskId: 'task-2' } }));
  assert.deepEqual([patch?.code, get, outbound.seen.length], ['object-level.not_found', undefined, 1]);
});

test('a binding that refuses stops before the lookup', async () => {
  const outbound = tasksOutbound();
  const h = compile({ binding: { name: 'userId' }, lookup: LOOKUP }, outbound);
  await decide(h, request({ params: { userId: 'bob', taskId: 'task-1' } }));
  assert.equal(outbound.seen.length, 0);
});

test('close() empties the lookup cache', async () => {
  const outbound = tasksOutbound();
  const h = compile({ lookup: LOOKUP }, outbound);
  await decide(h, request({ params: { taskId: 'task-1' } }));
  await h.compiled.close?.();
  await decide(h, request({ params: { taskId: 'task-1' } }));
  assert.equal(outbound.seen.length, 2);
});
