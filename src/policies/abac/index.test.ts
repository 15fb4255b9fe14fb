import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from '../../core/context.js';
import { ConfigError } from '../../core/config-error.js';
import type { PolicyAuditEvent } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import type { Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import defaultPolicy, { createAbacPolicy, type AbacConfig } from './index.js';

/** DEMO.md's reports condition, with business hours spelled out as the docs show. */
const REPORTS = 'user.department == resource.department && user.clearance >= resource.classification && time.hour >= 9 && time.hour < 17 && time.dayOfWeek >= 1 && time.dayOfWeek <= 5';
/** The same with the convenience field. */
const REPORTS_SHORT = 'user.department == resource.department && user.clearance >= resource.classification && time.businessHours';

const MONDAY_10 = Date.parse('2026-06-01T10:00:00Z');
const at = (iso: string) => Date.parse(iso);

const ALICE = principal('alice', ['editor'], { department: 'engineering', clearance: 2 });
const BOB = principal('bob', ['viewer'], { department: 'sales', clearance: 1 });
const CAROL = principal('carol', ['admin'], { department: 'engineering', clearance: 3 });

function principal(id: string, roles: string[], attributes: Record<string, unknown>): Principal {
  return Object.freeze({ id, kind: 'user' as const, roles, scopes: [], attributes, method: 'jwt' });
}

interface Compiled {
  readonly check: (ctx: RequestContext) => Denial | undefined;
  readonly events: PolicyAuditEvent[];
}

/** The compiled onRequest at a fixed instant, checked to answer synchronously. */
function compile(overrides: Partial<AbacConfig> & { condition: string }, now = MONDAY_10): Compiled {
  const policy = createAbacPolicy({ now: () => now });
  const config: AbacConfig = { timeZone: 'UTC', businessHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, resource: {}, denyAs: 'forbidden', ...overrides };
  const events: PolicyAuditEvent[] = [];
  const onRequest = policy.compile(config, compileEnvFor(policy, { audit: (_ctx, e) => events.push(e) })).onRequest;
  assert.ok(onRequest);
  return {
    events,
    check: (ctx) => {
      const result = onRequest(ctx);
      assert.ok(!(result instanceof Promise), 'expected a synchronous answer');
      return result ?? undefined;
    },
  };
}

interface RequestSpec {
  readonly who?: Principal;
  readonly url?: string;
  readonly method?: string;
  readonly params?: Record<string, string>;
  readonly resource?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

/** A request for a report, as the router and an object lookup would leave it. */
function request(spec: RequestSpec = {}): RequestContext {
  const ctx = fakeContext({ method: spec.method ?? 'GET', url: spec.url ?? '/api/v1/reports/engineering', headers: spec.headers ?? {} }, 'https', '203.0.113.9');
  ctx.route = '/api/v1/reports/{department}';
  ctx.params = spec.params ?? { department: 'engineering' };
  ctx.principal = spec.who;
  if (spec.resource !== undefined) (ctx as { resource?: Record<string, unknown> }).resource = spec.resource;
  return ctx;
}

function report(who: Principal, department: string, classification: number): RequestContext {
  return request({ who, url: `/api/v1/reports/${department}`, params: { department }, resource: { classification } });
}

function allowed(c: Compiled, ctx: RequestContext): boolean {
  const d = c.check(ctx);
  if (d !== undefined) assert.equal(d.code, 'abac.forbidden');
  return d === undefined;
}

function issuesOf(overrides: Partial<AbacConfig> & { condition: string }): Array<[string, string]> {
  try {
    compile(overrides);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues.map((i) => [i.path.join('.'), i.message]);
  }
  assert.fail('expected a ConfigError');
}

// ── the DEMO.md reports example ───────────────────────────────────────────────

test('alice (engineering, clearance 2) may read an engineering report of classification 2', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), report(ALICE, 'engineering', 2)), true);
});

test('alice may not read an engineering report of classification 3', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), report(ALICE, 'engineering', 3)), false);
});

test('bob (sales) may not read an engineering report', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), report(BOB, 'engineering', 1)), false);
});

test('bob may read a sales report of classification 1', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), report(BOB, 'sales', 1)), true);
});

test('carol (clearance 3) may read the engineering report of classification 3', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), report(CAROL, 'engineering', 3)), true);
});

test('time.businessHours gives the same answer as the spelled-out hours', () => {
  assert.equal(allowed(compile({ condition: REPORTS_SHORT }), report(ALICE, 'engineering', 2)), true);
});

test('a refusal is 403 abac.forbidden', () => {
  const d = compile({ condition: REPORTS }).check(report(BOB, 'engineering', 1));
  assert.deepEqual([d?.code, d?.status], ['abac.forbidden', 403]);
});

test('denyAs not_found refuses with 404 abac.not_found', () => {
  const d = compile({ condition: REPORTS, denyAs: 'not_found' }).check(report(BOB, 'engineering', 1));
  assert.deepEqual([d?.code, d?.status], ['abac.not_found', 404]);
});

test('every refusal is the one denial built at compile time', () => {
  const c = compile({ condition: REPORTS });
  assert.equal(c.check(report(BOB, 'engineering', 1)), c.check(report(ALICE, 'engineering', 3)));
});

// ── resource ──────────────────────────────────────────────────────────────────

test('static resource attributes from the config are read', () => {
  const c = compile({ condition: REPORTS, resource: { classification: 2 } });
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('what a lookup put on ctx.resource overrides the static attributes', () => {
  const c = compile({ condition: REPORTS, resource: { classification: 1 } });
  assert.equal(allowed(c, request({ who: ALICE, resource: { classification: 3 } })), false);
});

test('a path parameter cannot override a static resource attribute', () => {
  const c = compile({ condition: 'resource.classification == 3', resource: { classification: 3 } });
  assert.equal(allowed(c, request({ who: ALICE, params: { department: 'engineering', classification: '1' } })), true);
});

test('path parameters are resource attributes', () => {
  assert.equal(allowed(compile({ condition: 'resource.department == "engineering"' }), request({ who: ALICE })), true);
});

// ── user ──────────────────────────────────────────────────────────────────────

test('user has the principal\'s id, kind, roles, scopes and method', () => {
  const c = compile({ condition: 'user.id == "alice" && user.kind == "user" && "editor" in user.roles && size(user.scopes) == 0 && user.method == "jwt"' });
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('user.attributes holds the attributes too', () => {
  assert.equal(allowed(compile({ condition: 'user.attributes.department == "engineering"' }), request({ who: ALICE })), true);
});

test('an attribute named like a principal field does not replace it', () => {
  const mallory = principal('mallory', [], { id: 'alice', roles: ['admin'] });
  assert.equal(allowed(compile({ condition: 'user.id == "alice" || "admin" in user.roles' }), request({ who: mallory })), false);
});

test('an anonymous caller is an empty user: has(user.id) is false', () => {
  assert.equal(allowed(compile({ condition: '!has(user.id)' }), request()), true);
});

test('an anonymous caller on a condition that reads user attributes is refused', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), request({ resource: { classification: 0 } })), false);
});

// ── request ───────────────────────────────────────────────────────────────────

test('request has method, path, route, params and clientIp', () => {
  const c = compile({ condition: 'request.method == "GET" && request.path == "/api/v1/reports/engineering" && request.route == "/api/v1/reports/{department}" && request.params.department == "engineering" && request.clientIp == "203.0.113.9"' });
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('request headers are read by lower-case name', () => {
  const c = compile({ condition: 'request.headers["x-tenant"] == "acme"' });
  assert.equal(allowed(c, request({ who: ALICE, headers: { 'x-tenant': 'acme' } })), true);
});

test('request query parameters are decoded', () => {
  const c = compile({ condition: 'request.query.format == "pdf file"' });
  assert.equal(allowed(c, request({ who: ALICE, url: '/api/v1/reports/engineering?format=pdf%20file' })), true);
});

test('a repeated query parameter is refused when the condition reads the query', () => {
  const c = compile({ condition: 'request.query.format == "pdf"' });
  c.check(request({ who: ALICE, url: '/api/v1/reports/engineering?format=pdf&format=csv' }));
  assert.equal(c.events[0]?.reason, 'ambiguous_query: a query parameter is repeated');
});

test('a repeated query parameter does not matter to a condition that does not read the query', () => {
  const c = compile({ condition: 'request.method == "GET"' });
  assert.equal(allowed(c, request({ who: ALICE, url: '/api/v1/reports/engineering?format=pdf&format=csv' })), true);
});

// ── time, with a fake clock ───────────────────────────────────────────────────

test('09:00 on a Monday is within business hours', () => {
  assert.equal(allowed(compile({ condition: REPORTS }, at('2026-06-01T09:00:00Z')), report(ALICE, 'engineering', 2)), true);
});

test('08:59 is before business hours', () => {
  assert.equal(allowed(compile({ condition: REPORTS }, at('2026-06-01T08:59:59Z')), report(ALICE, 'engineering', 2)), false);
});

test('17:00 is after business hours (the end is exclusive)', () => {
  assert.equal(allowed(compile({ condition: REPORTS }, at('2026-06-01T17:00:00Z')), report(ALICE, 'engineering', 2)), false);
});

test('a Saturday is outside business hours', () => {
  assert.equal(allowed(compile({ condition: REPORTS }, at('2026-06-06T10:00:00Z')), report(ALICE, 'engineering', 2)), false);
});

test('a Sunday is outside business hours by time.businessHours too', () => {
  assert.equal(allowed(compile({ condition: REPORTS_SHORT }, at('2026-06-07T10:00:00Z')), report(ALICE, 'engineering', 2)), false);
});

test('time is read in the configured time zone: 08:30 UTC is 10:30 in Berlin', () => {
  const c = compile({ condition: 'time.businessHours && time.hour == 10 && time.minute == 30', timeZone: 'Europe/Berlin' }, at('2026-06-01T08:30:00Z'));
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('the same instant is outside business hours in UTC', () => {
  assert.equal(allowed(compile({ condition: 'time.businessHours' }, at('2026-06-01T08:30:00Z')), request({ who: ALICE })), false);
});

test('the date and day of the week follow the time zone across midnight', () => {
  // Sunday 23:30 in UTC is already Monday 08:30 in Tokyo.
  const c = compile({ condition: 'time.date == "2026-06-01" && time.dayOfWeek == 1', timeZone: 'Asia/Tokyo' }, at('2026-05-31T23:30:00Z'));
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('time.now is the request instant as a CEL timestamp', () => {
  const c = compile({ condition: 'time.now == timestamp("2026-06-01T10:00:00Z") && time.now.getHours("America/New_York") == 6' });
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('configured business hours and days are used', () => {
  const c = compile({ condition: 'time.businessHours', businessHours: { days: [6], start: '06:00', end: '07:00' } }, at('2026-06-06T06:59:00Z'));
  assert.equal(allowed(c, request({ who: ALICE })), true);
});

test('time follows the clock at request time, not at compile time', () => {
  let now = at('2026-06-01T16:59:00Z');
  const policy = createAbacPolicy({ now: () => now });
  const config: AbacConfig = { condition: 'time.businessHours', timeZone: 'UTC', businessHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, resource: {}, denyAs: 'forbidden' };
  const onRequest = policy.compile(config, compileEnvFor(policy)).onRequest;
  assert.ok(onRequest);
  const first = onRequest(request({ who: ALICE }));
  now += 60_000;
  assert.deepEqual([first, (onRequest(request({ who: ALICE })) as Denial | undefined)?.code], [undefined, 'abac.forbidden']);
});

// ── fail closed ───────────────────────────────────────────────────────────────

test('a condition reading a missing attribute denies with evaluation_error', () => {
  const c = compile({ condition: 'user.salary > 10' });
  c.check(request({ who: ALICE }));
  assert.deepEqual(c.events, [{ type: 'authorization', outcome: 'failure', rule: 'abac: user.salary > 10', reason: 'evaluation_error: No such key: salary' }]);
});

test('a type mismatch at run time denies with evaluation_error', () => {
  const c = compile({ condition: 'user.department > 1' });
  assert.deepEqual([c.check(request({ who: ALICE }))?.code, c.events[0]?.reason?.startsWith('evaluation_error: no such overload')], ['abac.forbidden', true]);
});

test('a missing resource attribute denies (no lookup ran)', () => {
  assert.equal(allowed(compile({ condition: REPORTS }), request({ who: ALICE })), false);
});

test('a non-boolean result denies with non_boolean', () => {
  const c = compile({ condition: 'user.department' });
  c.check(request({ who: ALICE }));
  assert.deepEqual([c.events[0]?.outcome, c.events[0]?.reason], ['failure', 'non_boolean']);
});

// ── audit ─────────────────────────────────────────────────────────────────────

test('an allowed request is an audit event whose rule is the condition', () => {
  const c = compile({ condition: REPORTS });
  c.check(report(ALICE, 'engineering', 2));
  assert.deepEqual(c.events, [{ type: 'authorization', outcome: 'success', rule: `abac: ${REPORTS}` }]);
});

test('a false condition is audited as condition_false', () => {
  const c = compile({ condition: REPORTS });
  c.check(report(BOB, 'engineering', 1));
  assert.deepEqual(c.events, [{ type: 'authorization', outcome: 'failure', rule: `abac: ${REPORTS}`, reason: 'condition_false' }]);
});

test('the condition in the rule is cut to 200 characters', () => {
  const condition = `${'true && '.repeat(40)}true`;
  const c = compile({ condition });
  c.check(request({ who: ALICE }));
  assert.equal(c.events[0]?.rule, `abac: ${condition.slice(0, 199)}…`);
});

// ── configuration errors ──────────────────────────────────────────────────────

test('a syntax error is a ConfigError at condition with the library\'s message', () => {
  const [issue, ...rest] = issuesOf({ condition: 'user.department ==' });
  assert.deepEqual([issue?.[0], issue?.[1].startsWith('is not valid CEL: Unexpected token: EOF'), rest], ['condition', true, []]);
});

test('an unknown variable is a ConfigError', () => {
  assert.match(issuesOf({ condition: 'usr.department == "sales"' })[0]?.[1] ?? '', /^is not valid CEL: Unknown variable: usr/);
});

test('a misspelt time field is a ConfigError', () => {
  assert.match(issuesOf({ condition: 'time.hours >= 9' })[0]?.[1] ?? '', /^is not valid CEL: No such key: hours/);
});

test('comparing a path parameter (a string) with an int is a ConfigError', () => {
  assert.match(issuesOf({ condition: 'request.params.taskId == 7' })[0]?.[1] ?? '', /^is not valid CEL: no such overload: string == int/);
});

test('a condition of a type other than bool is a ConfigError', () => {
  assert.deepEqual(issuesOf({ condition: 'time.hour + 1' }), [['condition', 'must be a bool expression; this one is of type int']]);
});

test('matches() is refused at load (ReDoS)', () => {
  assert.match(issuesOf({ condition: 'request.path.matches("^/api/(a+)+$")' })[0]?.[1] ?? '', /^matches\(\) is not available/);
});

test('an unknown time zone is a ConfigError at timeZone', () => {
  assert.deepEqual(issuesOf({ condition: 'true', timeZone: 'Mars/Olympus_Mons' }).map(([p]) => p), ['timeZone']);
});

test('business hours that end before they start are a ConfigError', () => {
  assert.deepEqual(issuesOf({ condition: 'true', businessHours: { days: [1], start: '17:00', end: '09:00' } }), [['businessHours.end', 'must be after start (17:00)']]);
});

test('a bad condition and a bad time zone are reported together', () => {
  assert.deepEqual(issuesOf({ condition: '(', timeZone: 'Nowhere' }).map(([p]) => p), ['condition', 'timeZone']);
});

test('the default export is the abac policy of the authorize phase with its error codes', () => {
  assert.deepEqual([defaultPolicy.name, defaultPolicy.phase, Object.fromEntries(Object.entries(defaultPolicy.errors).map(([c, s]) => [c, s.status]))], ['abac', 'authorize', { forbidden: 403, not_found: 404 }]);
});
