/**
 * Resolves the rbac role table once, at compile: each role's effective permissions, its own plus
 * everything it inherits, transitively. Unknown parents and inheritance cycles are configuration
 * errors with the path of the offending `inherits` entry.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { RbacRole } from './schema.js';

/**
 * Every role's effective permissions. Throws ConfigError listing every unknown parent and cycle.
 *
 * @example
 * ```ts
 * const table = resolveRoleTable({ viewer: { permissions: ['read'], inherits: [] }, editor: { permissions: ['write'], inherits: ['viewer'] } });
 * table.get('editor') // Set { 'write', 'read' }
 * ```
 */
export function resolveRoleTable(roles: Readonly<Record<string, RbacRole>>): ReadonlyMap<string, ReadonlySet<string>> {
  const defined = new Map(Object.entries(roles));
  const resolved = new Map<string, Set<string>>();
  const visiting: string[] = [];
  const issues: ConfigIssue[] = [];

  const visit = (name: string, role: RbacRole): Set<string> => {
    const done = resolved.get(name);
    if (done !== undefined) return done;
    visiting.push(name);
    const permissions = new Set(role.permissions);
    role.inherits.forEach((parentName, i) => {
      const path = ['roles', name, 'inherits', i];
      const parent = defined.get(parentName);
      if (parent === undefined) {
        issues.push({ path, message: `'${parentName}' is not a role of this table`, severity: 'error' });
        return;
      }
      const at = visiting.indexOf(parentName);
      if (at !== -1) {
        issues.push({ path, message: `role inheritance cycle: ${[...visiting.slice(at), parentName].join(' → ')}`, severity: 'error' });
        return;
      }
      for (const p of visit(parentName, parent)) permissions.add(p);
    });
    visiting.pop();
    resolved.set(name, permissions);
    return permissions;
  };

  for (const [name, role] of defined) visit(name, role);
  if (issues.length > 0) throw new ConfigError(issues);
  return resolved;
}
