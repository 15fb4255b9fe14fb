/**
 * rbac: function-level authorization by role (OWASP API5:2023). The caller's roles, looked up in
 * the role table, must grant the permissions the route requires: all of them (mode `all`, the
 * default) or at least one (mode `any`). Anything else is 403 `rbac.forbidden`.
 *
 * compile() resolves role inheritance once and turns the route's requirement into a bit mask: each
 * role of the table becomes the mask of the required permissions it grants (inherited ones
 * included). A request then costs one Map lookup and one OR per role of the principal (usually one
 * to three), and a comparison, synchronously.
 *
 * - A principal role that is not in the table grants nothing.
 * - No principal: 403 `rbac.forbidden`. The authenticate step already refuses a request without a
 *   credential with 401 on every non-public route; rbac only meets an anonymous caller on a
 *   public route, where "authenticated" is not what is missing but the permission is.
 * - `require: []` (the default, as in `defaults.policies.rbac` that only holds the table): the
 *   policy checks nothing and adds no handler.
 * - A required permission that no role grants is a configuration error: the route could never be
 *   reached, which is almost always a typo.
 *
 * Every decision, allow and deny, is an audit event `authorization` whose rule is
 * `rbac: requires all of [delete]` and whose reason, on a refusal, names what was missing.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { Principal } from '../../core/principal.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type PolicyAuditEvent } from '../../core/policy.js';
import { resolveRoleTable } from './role-table.js';
import { RbacSchema, type RbacConfig } from './schema.js';

export { RbacSchema, RoleSchema, MAX_REQUIRED, type RbacConfig, type RbacRole } from './schema.js';
export { resolveRoleTable } from './role-table.js';

/**
 * The rbac policy. The role table sits in the defaults; each route requires permissions.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     rbac:
 *       roles:
 *         viewer: { permissions: [read] }
 *         editor: { permissions: [write], inherits: [viewer] }
 *         admin:  { permissions: [delete, manage_users], inherits: [editor] }
 * routes:
 *   - path: /api/v1/tasks/{taskId}
 *     methods: [DELETE]
 *     upstream: tasks
 *     policies:
 *       rbac: { require: [delete] }
 * ```
 */
export default definePolicy({
  name: 'rbac',
  mergeWithDefaults: true,
  phase: 'authorize',
  description: 'Role-based access control: the caller\'s roles, through a role table with inheritance, must grant the permissions a route requires (all or any).',
  schema: RbacSchema,
  errors: {
    forbidden: {
      status: 403,
      title: 'Forbidden',
      description: 'The caller\'s roles do not grant the permissions this route requires (rbac.require), or the route requires permissions and the request is anonymous. Which permission was missing is in the audit trail, not in the response.',
    },
  },
  compile: compileRbac,
});

function compileRbac(config: RbacConfig, env: CompileEnv): CompiledPolicy {
  const table = resolveRoleTable(config.roles ?? {});
  const { require, mode } = config;
  // Other policies (object-level's admin override) ask the same table what a principal may do.
  const permissionsOf = (principal: Principal, permission: string): boolean => {
    for (const role of principal.roles) if (table.get(role)?.has(permission) === true) return true;
    return false;
  };
  if (require.length === 0) {
    return table.size === 0 ? {} : { decides: false, onRequest(ctx: RequestContext) { ctx.permissionsOf = permissionsOf; } };
  }

  const issues: ConfigIssue[] = [];
  require.forEach((permission, i) => {
    if (![...table.values()].some((granted) => granted.has(permission))) {
      issues.push({ path: ['require', i], message: `no role of the table grants '${permission}' (roles are set under defaults.policies.rbac.roles)`, severity: 'error' });
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);

  // Bit i of a role's mask: the role grants require[i].
  const masks = new Map<string, number>();
  for (const [role, granted] of table) {
    let mask = 0;
    require.forEach((permission, i) => {
      if (granted.has(permission)) mask |= 1 << i;
    });
    if (mask !== 0) masks.set(role, mask);
  }
  const full = (1 << require.length) - 1;
  const all = mode === 'all';

  const forbidden = env.deny('forbidden', { detail: 'Your roles do not grant the permissions this operation requires.' });
  const rule = `rbac: requires ${mode} of [${require.join(', ')}]`;
  const allowed: PolicyAuditEvent = Object.freeze({ type: 'authorization', outcome: 'success', rule });
  const anonymous: PolicyAuditEvent = Object.freeze({ type: 'authorization', outcome: 'failure', rule, reason: 'no principal (anonymous request)' });
  const noneOf: PolicyAuditEvent = Object.freeze({ type: 'authorization', outcome: 'failure', rule, reason: `missing any of [${require.join(', ')}]` });
  const missing = (mask: number): PolicyAuditEvent => ({
    type: 'authorization',
    outcome: 'failure',
    rule,
    reason: `missing ${require.filter((_, i) => (mask & (1 << i)) === 0).join(', ')}`,
  });

  return {
    onRequest(ctx: RequestContext) {
      ctx.permissionsOf = permissionsOf;
      const principal = ctx.principal;
      if (principal === undefined) {
        env.audit(ctx, anonymous);
        return forbidden;
      }
      let mask = 0;
      for (const role of principal.roles) mask |= masks.get(role) ?? 0;
      if (all ? mask === full : mask !== 0) {
        env.audit(ctx, allowed);
        return undefined;
      }
      env.audit(ctx, all ? missing(mask) : noneOf);
      return forbidden;
    },
  };
}
