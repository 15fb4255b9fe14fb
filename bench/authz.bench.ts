/**
 * Micro-benchmark of authorization: the per-request cost of the compiled rbac check and of the
 * compiled abac condition of DEMO.md's reports route, in ns per request (median of 5 runs of
 * 200 000 iterations each, after a warm-up). Not a test.
 *
 *   node --import tsx bench/authz.bench.ts [iterations]
 *
 * The handlers are measured with a no-op audit sink (the decision itself), and once more with the
 * audit line the compiler writes for every decision (pino JSON to /dev/null), which is what a
 * deployment pays on top.
 */
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import type { RequestContext } from '../src/core/context.js';
import type { CompileEnv, Policy, PolicyAuditEvent, RequestHandler } from '../src/core/policy.js';
import type { Principal } from '../src/core/principal.js';
import { compileEnvFor, fakeContext } from '../src/policies/test-helpers.js';
import rbac, { type RbacConfig } from '../src/policies/rbac/index.js';
import { createAbacPolicy, compileCondition, type AbacConfig } from '../src/policies/abac/index.js';
import { createTimeSource } from '../src/policies/abac/clock.js';

const N = Number(process.argv[2] ?? 200_000);
const RUNS = 5;
const WARMUP = 50_000;

const ROLES: RbacConfig['roles'] = {
  viewer: { permissions: ['read'], inherits: [] },
  editor: { permissions: ['write'], inherits: ['viewer'] },
  admin: { permissions: ['delete', 'manage_users'], inherits: ['editor'] },
};
const REPORTS = 'user.department == resource.department && user.clearance >= resource.classification && time.businessHours';
const MONDAY_10 = Date.parse('2026-06-01T10:00:00Z');

const noAudit = (policy: Policy): CompileEnv => compileEnvFor(policy);
const logged = (policy: Policy, logger: Logger): CompileEnv => compileEnvFor(policy, {
  // The line compile.ts's policyAuditSink writes for every decision.
  audit: (ctx: RequestContext, { type, outcome, rule, reason }: PolicyAuditEvent) => {
    logger.info({ event: 'audit', type, outcome, policy: policy.name, rule, reason, requestId: ctx.requestId, clientIp: ctx.clientIp, method: ctx.method, route: ctx.route, path: ctx.path, principal: ctx.principal?.id });
  },
});

function principal(id: string, roles: string[], attributes: Record<string, unknown>): Principal {
  return Object.freeze({ id, kind: 'user' as const, roles, scopes: [], attributes, method: 'jwt' });
}

function context(who: Principal, url: string, params: Record<string, string>, resource?: Record<string, unknown>): RequestContext {
  const ctx = fakeContext({ method: 'GET', url });
  ctx.principal = who;
  ctx.params = params;
  ctx.route = '/api/v1/reports/{department}';
  if (resource !== undefined) (ctx as { resource?: Record<string, unknown> }).resource = resource;
  return ctx;
}

function handler(policy: Policy, config: unknown, env: CompileEnv): RequestHandler {
  const onRequest = policy.compile(config as never, env).onRequest;
  if (onRequest === undefined) throw new Error(`${policy.name}: no handler`);
  return onRequest;
}

/** Median ns per call over RUNS runs of N calls; checks the expected answer first. */
function measure(name: string, run: () => unknown, expect: (result: unknown) => boolean): number {
  if (!expect(run())) throw new Error(`${name}: unexpected answer`);
  for (let i = 0; i < WARMUP; i++) run();
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    for (let i = 0; i < N; i++) run();
    samples.push(((performance.now() - start) * 1e6) / N);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(RUNS / 2)]!;
  process.stdout.write(`${name.padEnd(58)} ${median.toFixed(0).padStart(7)} ns/op  (min ${samples[0]!.toFixed(0)}, max ${samples[RUNS - 1]!.toFixed(0)}; ${RUNS}×${N})\n`);
  return median;
}

const allowed = (r: unknown) => r === undefined;
const refused = (r: unknown) => typeof r === 'object' && r !== null && 'status' in r;

const carol = principal('carol', ['admin'], { department: 'engineering', clearance: 3 });
const alice = principal('alice', ['editor'], { department: 'engineering', clearance: 2 });
const bob = principal('bob', ['viewer'], { department: 'sales', clearance: 1 });
const many = principal('dave', ['auditor', 'intern', 'viewer', 'editor'], {});

const rbacConfig: RbacConfig = { roles: ROLES, require: ['delete'], mode: 'all' };
const rbacCheck = handler(rbac, rbacConfig, noAudit(rbac));
const rbacAny = handler(rbac, { ...rbacConfig, require: ['read', 'write'], mode: 'any' }, noAudit(rbac));
const deleteAsAdmin = context(carol, '/api/v1/tasks/7', { taskId: '7' });
const deleteAsEditor = context(alice, '/api/v1/tasks/7', { taskId: '7' });
const fourRoles = context(many, '/api/v1/tasks/7', { taskId: '7' });

process.stdout.write('rbac (require [delete], demo table with inheritance)\n');
measure('rbac allow (admin, 1 role)', () => rbacCheck(deleteAsAdmin), allowed);
measure('rbac deny (editor, 1 role)', () => rbacCheck(deleteAsEditor), refused);
measure('rbac deny (4 roles, 2 unknown)', () => rbacCheck(fourRoles), refused);
measure('rbac mode any allow (editor)', () => rbacAny(deleteAsEditor), allowed);

const abac = createAbacPolicy({ now: () => MONDAY_10 });
const abacConfig: AbacConfig = { condition: REPORTS, timeZone: 'Europe/Berlin', businessHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, resource: {}, denyAs: 'forbidden' };
const abacCheck = handler(abac, abacConfig, noAudit(abac));
const aliceReport = context(alice, '/api/v1/reports/engineering', { department: 'engineering' }, { classification: 2 });
const bobReport = context(bob, '/api/v1/reports/engineering', { department: 'engineering' }, { classification: 2 });

process.stdout.write(`\nabac (${REPORTS})\n`);
measure('abac allow (alice): variables + CEL', () => abacCheck(aliceReport), allowed);
measure('abac deny (bob): variables + CEL', () => abacCheck(bobReport), refused);
{
  const condition = compileCondition(REPORTS);
  const timeAt = createTimeSource('Europe/Berlin', abacConfig.businessHours);
  const variables = { user: { ...alice.attributes, id: alice.id }, resource: { department: 'engineering', classification: 2 }, time: timeAt(MONDAY_10) };
  measure('CEL evaluate only (prebuilt variables)', () => condition.evaluate(variables), (r) => r === true);
  measure('time variable (cached minute, new Date)', () => timeAt(MONDAY_10), (r) => r !== undefined);
}
{
  const withQuery = handler(abac, { ...abacConfig, condition: `${REPORTS} && request.query.format == "pdf"` }, noAudit(abac));
  const ctx = context(alice, '/api/v1/reports/engineering?format=pdf&lang=en', { department: 'engineering' }, { classification: 2 });
  measure('abac allow, condition also reads request.query', () => withQuery(ctx), allowed);
}

process.stdout.write('\nwith the audit line of every decision (pino JSON to /dev/null)\n');
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
const rbacLogged = handler(rbac, rbacConfig, logged(rbac, logger));
const abacLogged = handler(abac, abacConfig, logged(abac, logger));
measure('rbac allow + audit line', () => rbacLogged(deleteAsAdmin), allowed);
measure('abac allow + audit line', () => abacLogged(aliceReport), allowed);
