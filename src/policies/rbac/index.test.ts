import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from '../../core/context.js';
import { ConfigError } from '../../core/config-error.js';
import type { PolicyAuditEvent } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import type { Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy, { type RbacConfig } from './index.js';

/** The demo's role table (DEMO.md, people and roles), written with inheritance. */
const DEMO_ROLES: RbacConfig['roles'] = {
  viewer: { permissions: ['read'], inherits: [] },
  editor: { permissions: ['write'], inherits: ['viewer'] },
  admin: { permissions: ['delete', 'manage_users'], inherits: ['editor'] },
};

/** What the compiler passes once it merges a route's rbac settings over the defaults'. */
function config(route: Partial<RbacConfig>, roles: RbacConfig['roles'] = DEMO_ROLES): RbacConfig {
  return { ...{ roles, require: [], mode: 'all' as const }, ...route };
}

interface Compiled {
  readonly check: (ctx: RequestContext) => Denial | undefined;
  readonly events: PolicyAuditEvent[];
}

/** The compiled onRequest, checked to answer synchronously, and the audit events it records. */
function compile(route: Partial<RbacConfig>, roles?: RbacConfig['roles']): Compiled {
  const events: PolicyAuditEvent[] = [];
  const onRequest = policy.compile(config(route, roles), compileEnvFor(policy, { audit: (_ctx, e) => events.push(e) })).onRequest;
  assert.ok(onRequest, 'expected a request handler');
  return {
    events,
    check: (ctx) => {
      const result = onRequest(ctx);
      assert.ok(!(result instanceof Promise), 'expected a synchronous answer');
      return result ?? undefined;
    },
  };
}

function as(...roles: string[]): RequestContext {
  const ctx = fakeContext({ method: 'DELETE', url: '/api/v1/tasks/7' });
  const principal: Principal = { id: 'someone', kind: 'user', roles, scopes: [], attributes: {}, method: 'jwt' };
  ctx.principal = principal;
  return ctx;
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

function issuesOf(fn: () => unknown): Array<[string, string]> {
  return configErrorOf(fn).issues.map((i) => [i.path.join('.'), i.message]);
}

// ── the demo roles ────────────────────────────────────────────────────────────

const DEMO: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['viewer', ['read']],
  ['editor', ['read', 'write']],
  ['admin', ['read', 'write', 'delete', 'manage_users']],
];
for (const [role, granted] of DEMO) {
  for (const permission of ['read', 'write', 'delete', 'manage_users']) {
    const may = granted.includes(permission);
    test(`${role} ${may ? 'may' : 'may not'} use a route that requires ${permission}`, () => {
      const result = compile({ require: [permission] }).check(as(role));
      assert.equal(result?.code, may ? undefined : 'rbac.forbidden');
    });
  }
}

test('a refusal is 403 rbac.forbidden', () => {
  const d = compile({ require: ['delete'] }).check(as('editor'));
  assert.deepEqual([d?.code, d?.status], ['rbac.forbidden', 403]);
});

test('the refusal does not name the missing permission', () => {
  const d = compile({ require: ['manage_users'] }).check(as('editor'));
  assert.doesNotMatch(d?.bodyPrefix ?? '', /manage_users/);
});

test('every refusal is the one denial built at compile time', () => {
  const { check } = compile({ require: ['delete'] });
  assert.equal(check(as('editor')), check(as('viewer')));
});

// ── inheritance ───────────────────────────────────────────────────────────────

test('inheritance is transitive: admin gets read through editor from viewer', () => {
  assert.equal(compile({ require: ['read'] }).check(as('admin')), undefined);
});

test('inheritance does not flow downwards: editor does not get admin\'s delete', () => {
  assert.equal(compile({ require: ['delete'] }).check(as('editor'))?.code, 'rbac.forbidden');
});

test('a role may inherit from several roles', () => {
  const roles = { reader: { permissions: ['read'], inherits: [] }, writer: { permissions: ['write'], inherits: [] }, both: { permissions: [], inherits: ['reader', 'writer'] } };
  assert.equal(compile({ require: ['read', 'write'] }, roles).check(as('both')), undefined);
});

// ── modes ─────────────────────────────────────────────────────────────────────

test('mode all refuses a caller who has only some of the permissions', () => {
  assert.equal(compile({ require: ['read', 'delete'] }).check(as('editor'))?.code, 'rbac.forbidden');
});

test('mode all is met by the union of the caller\'s roles', () => {
  const roles = { reader: { permissions: ['read'], inherits: [] }, deleter: { permissions: ['delete'], inherits: [] } };
  assert.equal(compile({ require: ['read', 'delete'] }, roles).check(as('reader', 'deleter')), undefined);
});

test('mode any allows a caller who has one of the permissions', () => {
  assert.equal(compile({ require: ['delete', 'write'], mode: 'any' }).check(as('editor')), undefined);
});

test('mode any refuses a caller who has none of the permissions', () => {
  assert.equal(compile({ require: ['delete', 'write'], mode: 'any' }).check(as('viewer'))?.code, 'rbac.forbidden');
});

// ── principals ────────────────────────────────────────────────────────────────

test('a role that is not in the table grants nothing', () => {
  assert.equal(compile({ require: ['read'] }).check(as('superuser'))?.code, 'rbac.forbidden');
});

test('an unknown role beside a known one does not stop the known one from granting', () => {
  assert.equal(compile({ require: ['read'] }).check(as('superuser', 'viewer')), undefined);
});

test('role names that are Object.prototype members grant nothing', () => {
  assert.equal(compile({ require: ['read'] }).check(as('__proto__', 'constructor', 'toString'))?.code, 'rbac.forbidden');
});

test('a principal without roles is refused', () => {
  assert.equal(compile({ require: ['read'] }).check(as())?.code, 'rbac.forbidden');
});

test('an anonymous request (public route) is refused with 403, not 401', () => {
  const d = compile({ require: ['read'] }).check(fakeContext({ url: '/api/v1/tasks' }));
  assert.deepEqual([d?.code, d?.status], ['rbac.forbidden', 403]);
});

test('a route\'s { require } shallow-merged over the defaults\' { roles } uses the defaults\' table', () => {
  const defaults: RbacConfig = { roles: DEMO_ROLES, require: [], mode: 'all' };
  const route: RbacConfig = { require: ['delete'], mode: 'all' };
  const onRequest = policy.compile({ ...defaults, ...route }, compileEnvFor(policy)).onRequest;
  assert.deepEqual([onRequest?.(as('admin')), (onRequest?.(as('editor')) as Denial | undefined)?.code], [undefined, 'rbac.forbidden']);
});

test('require [] (a defaults config that only holds the table) decides nothing', () => {
  assert.equal(policy.compile(config({}), compileEnvFor(policy)).decides, false);
});

test('require [] still tells later policies what the principal\'s roles grant', () => {
  const compiled = policy.compile(config({}), compileEnvFor(policy));
  const ctx = as('admin');
  void compiled.onRequest?.(ctx);
  assert.deepEqual([ctx.permissionsOf?.(ctx.principal!, 'delete'), ctx.permissionsOf?.(ctx.principal!, 'fly')], [true, false]);
});

// ── audit ─────────────────────────────────────────────────────────────────────

test('an allowed request is an audit event with the rule', () => {
  const { check, events } = compile({ require: ['delete'] });
  check(as('admin'));
  assert.deepEqual(events, [{ type: 'authorization', outcome: 'success', rule: 'rbac: requires all of [delete]' }]);
});

test('a refusal is an audit event with the rule and what was missing', () => {
  const { check, events } = compile({ require: ['delete'] });
  check(as('editor'));
  assert.deepEqual(events, [{ type: 'authorization', outcome: 'failure', rule: 'rbac: requires all of [delete]', reason: 'missing delete' }]);
});

test('the audit reason lists every missing permission in mode all', () => {
  const { check, events } = compile({ require: ['read', 'write', 'delete', 'manage_users'] });
  check(as('editor'));
  assert.equal(events[0]?.reason, 'missing delete, manage_users');
});

test('a refusal in mode any names the whole requirement', () => {
  const { check, events } = compile({ require: ['delete', 'manage_users'], mode: 'any' });
  check(as('viewer'));
  assert.deepEqual(events, [{ type: 'authorization', outcome: 'failure', rule: 'rbac: requires any of [delete, manage_users]', reason: 'missing any of [delete, manage_users]' }]);
});

test('an anonymous refusal is audited as such', () => {
  const { check, events } = compile({ require: ['read'] });
  check(fakeContext());
  assert.equal(events[0]?.reason, 'no principal (anonymous request)');
});

// ── configuration errors ──────────────────────────────────────────────────────

test('a required permission that no role grants is a ConfigError at its index', () => {
  assert.deepEqual(issuesOf(() => compile({ require: ['read', 'purge'] })), [['require.1', 'no role of the table grants \'purge\' (roles are set under defaults.policies.rbac.roles)']]);
});

test('requiring a permission with an empty table (the table was left out) is a ConfigError', () => {
  assert.deepEqual(issuesOf(() => compile({ require: ['read'] }, {})).map(([path]) => path), ['require.0']);
});

test('an inheritance cycle is a ConfigError at the inherits entry that closes it', () => {
  const roles = { a: { permissions: ['read'], inherits: ['b'] }, b: { permissions: [], inherits: ['a'] } };
  assert.deepEqual(issuesOf(() => compile({ require: ['read'] }, roles)), [['roles.b.inherits.0', 'role inheritance cycle: a → b → a']]);
});

test('a role inheriting from itself is a cycle', () => {
  const roles = { a: { permissions: ['read'], inherits: ['a'] } };
  assert.deepEqual(issuesOf(() => compile({ require: ['read'] }, roles)), [['roles.a.inherits.0', 'role inheritance cycle: a → a']]);
});

test('a cycle is found even when the route requires nothing', () => {
  const roles = { a: { permissions: [], inherits: ['a'] } };
  assert.ok(configErrorOf(() => policy.compile(config({}, roles), compileEnvFor(policy))));
});

test('inheriting from a role that is not in the table is a ConfigError', () => {
  const roles = { editor: { permissions: ['write'], inherits: ['viewr'] } };
  assert.deepEqual(issuesOf(() => compile({ require: ['write'] }, roles)), [['roles.editor.inherits.0', '\'viewr\' is not a role of this table']]);
});

test('every mistake of the table is reported together', () => {
  const roles = { a: { permissions: ['read'], inherits: ['x'] }, b: { permissions: [], inherits: ['y'] } };
  assert.deepEqual(issuesOf(() => compile({ require: ['read'] }, roles)).map(([path]) => path), ['roles.a.inherits.0', 'roles.b.inherits.0']);
});

test('the policy runs in the authorize phase and declares its one error code', () => {
  assert.deepEqual([policy.name, policy.phase, Object.fromEntries(Object.entries(policy.errors).map(([c, s]) => [c, s.status]))], ['rbac', 'authorize', { forbidden: 403 }]);
});
