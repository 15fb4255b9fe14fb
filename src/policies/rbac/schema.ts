/**
 * Config of the rbac policy: the role table (role → permissions, optionally inheriting other
 * roles' permissions) and what one route requires. The table belongs in
 * `defaults.policies.rbac.roles`, written once; a route states only `require` (and `mode`) under
 * its own `policies.rbac`, and the compiler merges the route's settings over the defaults'
 * (rbac declares mergeWithDefaults), so every route checks against the same table.
 */
import { Type, type Static } from '@sinclair/typebox';
import { strictObject, stringEnum } from '../../core/schema-types.js';

/** Most permissions one route may require (they are checked as bits of one 32-bit mask). */
export const MAX_REQUIRED = 30;

/** A role name: what a principal's `roles` carry (JWT claim, API key entry). */
export const ROLE_NAME = '^[A-Za-z0-9][A-Za-z0-9._:@/-]*$';

/** {@link ROLE_NAME} as a key of the role table, at most 128 characters. */
const ROLE_KEY = '^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$';

/** A permission name (`read`, `tasks:delete`, `users.manage`). */
export const PERMISSION_NAME = '^[A-Za-z0-9][A-Za-z0-9._:/-]*$';

/**
 * One role of the table.
 *
 * @example
 * ```yaml
 * editor: { permissions: [write], inherits: [viewer] }
 * ```
 */
export const RoleSchema = strictObject({
  permissions: Type.Array(Type.String({ description: 'A permission name.', pattern: PERMISSION_NAME, maxLength: 128 }), {
    description: 'Permissions this role grants directly.',
    default: [],
    maxItems: 1000,
    uniqueItems: true,
  }),
  inherits: Type.Array(Type.String({ description: 'A role name of this table.', pattern: ROLE_NAME, maxLength: 128 }), {
    description: 'Roles whose permissions this role also grants (transitively). Every name must be a role of this table; a cycle is a configuration error.',
    default: [],
    maxItems: 100,
    uniqueItems: true,
  }),
}, { description: 'A role: the permissions it grants and the roles it inherits from.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(RbacSchema);
 * const config = { require: ['delete'] };
 * validate(config); // true; config.mode is now 'all'; roles stays absent (it comes from the defaults)
 * ```
 */
export const RbacSchema = strictObject({
  // No default: a route's `{ require: [...] }` is merged over the defaults' config, and a filled-in
  // `roles: {}` would replace the defaults' table.
  roles: Type.Optional(Type.Record(Type.String({ pattern: ROLE_KEY }), RoleSchema, {
    description: 'The role table, role name → role. Write it once under defaults.policies.rbac; a route that sets only `require` (and `mode`) keeps it. A principal role that is not in the table grants nothing.',
    maxProperties: 1000,
    additionalProperties: false,
  })),
  require: Type.Array(Type.String({ description: 'A permission name; some role of the table must grant it.', pattern: PERMISSION_NAME, maxLength: 128 }), {
    description: 'Permissions this route requires. Empty (the default, e.g. in the defaults): the policy checks nothing. A permission no role grants is a configuration error (a typo would lock everyone out).',
    default: [],
    maxItems: MAX_REQUIRED,
    uniqueItems: true,
  }),
  mode: stringEnum(['all', 'any'] as const, {
    description: 'all: the caller\'s roles together must grant every required permission; any: at least one of them.',
    default: 'all',
  }),
}, { description: 'Role-based access control (OWASP API5:2023, broken function-level authorization): the caller\'s roles, through the role table, must grant the permissions the route requires, else 403.' });

/**
 * The policy's config, as compile() receives it (defaults filled in, the route's settings merged
 * over the defaults').
 *
 * @example
 * ```ts
 * const config: RbacConfig = { roles: { viewer: { permissions: ['read'], inherits: [] } }, require: ['read'], mode: 'all' };
 * ```
 */
export type RbacConfig = Static<typeof RbacSchema>;

/** One role of {@link RbacConfig.roles}. */
export type RbacRole = Static<typeof RoleSchema>;
