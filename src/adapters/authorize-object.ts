/**
 * Object-level authorization inside a handler, in the object-level policy's vocabulary: the
 * object's owner field must name the caller (`user.id` or one of its attributes), unless the
 * caller has a bypass role. For the objects an app loads itself, where no declarative lookup
 * fits: "always check ownership" is one call. Fails closed: no caller, a caller without the
 * attribute, an object without a usable owner all refuse, with the policy's own codes.
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { ajvIssues } from '../config/ajv-issues.js';
import { createAjv } from '../config/registry.js';
import { ConfigError } from '../core/config-error.js';
import type { Principal } from '../core/principal.js';
import { createDenial, type Denial } from '../core/problem.js';
import { strictObject, stringEnum } from '../core/schema-types.js';
import objectLevel from '../policies/object-level/index.js';
import { dottedPath, identity, owns, principalRef, valueAt } from '../policies/object-level/owner.js';

/**
 * The schema of an ownership rule (the object-level policy's field names).
 *
 * @example
 * ```ts
 * createAjv().compile(ObjectRuleSchema)({ ownerField: 'ownerId' }) // true
 * ```
 */
export const ObjectRuleSchema = strictObject({
  ownerField: Type.String({ description: 'Dotted path of the owner in the object (`ownerId`, `meta.owner.id`).', pattern: '^[^.\\[\\]\\s]+(?:\\.[^.\\[\\]\\s]+)*$', minLength: 1, maxLength: 256 }),
  owner: Type.String({ description: 'The caller\'s attribute the owner must equal: `user.id` or `user.attributes.<name>`.', pattern: '^user\\.(?:id|attributes\\.[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*)$', maxLength: 256, default: 'user.id' }),
  bypassRoles: Type.Array(Type.String({ description: 'A role name.', pattern: '^[!-~]+$', maxLength: 128 }), { description: 'Callers with any of these roles skip the check (admin override).', default: [], maxItems: 50, uniqueItems: true }),
  denyAs: stringEnum(['not_found', 'forbidden'] as const, { description: 'How a refusal is answered: 404 object-level.not_found (the default: existence is not confirmed) or 403 object-level.forbidden.', default: 'not_found' }),
}, { description: 'An ownership rule for one kind of object.' });

/** A rule with its defaults filled in. */
export type ObjectRuleConfig = Static<typeof ObjectRuleSchema>;

/**
 * A rule as written: `ownerField` required, the rest defaulted.
 *
 * @example
 * ```ts
 * const rule: ObjectRule = { ownerField: 'ownerId', bypassRoles: ['admin'] };
 * ```
 */
export type ObjectRule = Pick<ObjectRuleConfig, 'ownerField'> & { readonly [K in Exclude<keyof ObjectRuleConfig, 'ownerField'>]?: ObjectRuleConfig[K] };

/** Why an ownership check refused. */
export type ObjectRefusal = 'no_principal' | 'caller_attribute_missing' | 'owner_field_missing' | 'not_owner';

/** The outcome of an ownership check; a refusal carries the denial to answer with. */
export type ObjectDecision =
  | { readonly allowed: true; readonly rule: string }
  | { readonly allowed: false; readonly rule: string; readonly reason: ObjectRefusal; readonly denial: Denial };

/** A compiled rule. */
export type ObjectCheck = (principal: Principal | undefined, resource: unknown) => ObjectDecision;

let validator: ValidateFunction | undefined;
const compiledRules = new WeakMap<object, ObjectCheck>();

/**
 * Checks and compiles a rule once. Throws ConfigError (paths relative to the rule) when it is
 * malformed.
 *
 * @example
 * ```ts
 * const ownsTask = compileObjectRule({ ownerField: 'ownerId', bypassRoles: ['admin'] });
 * ownsTask(req.principal, task).allowed
 * ```
 */
export function compileObjectRule(rule: ObjectRule): ObjectCheck {
  const config = structuredClone(rule) as ObjectRuleConfig;
  validator ??= createAjv().compile(ObjectRuleSchema);
  if (!validator(config)) throw new ConfigError(ajvIssues(validator.errors ?? [], []));
  const ownerPath = dottedPath(config.ownerField);
  const caller = principalRef(config.owner);
  const bypass = new Set(config.bypassRoles);
  const denial = createDenial(`object-level.${config.denyAs}`, objectLevel.errors[config.denyAs]!);
  const label = `object-level: ${config.ownerField} == ${config.owner}`;
  const allowed: ObjectDecision = Object.freeze({ allowed: true, rule: label });
  const refusals = new Map<ObjectRefusal, ObjectDecision>();
  const refuse = (reason: ObjectRefusal): ObjectDecision => {
    let decision = refusals.get(reason);
    if (decision === undefined) refusals.set(reason, (decision = Object.freeze({ allowed: false, rule: label, reason, denial })));
    return decision;
  };
  return (principal, resource) => {
    if (principal === undefined) return refuse('no_principal');
    for (const role of principal.roles) if (bypass.has(role)) return allowed;
    const me = identity(caller(principal));
    if (me === undefined) return refuse('caller_attribute_missing');
    const owner = valueAt(resource, ownerPath);
    if (identity(owner) === undefined) return refuse('owner_field_missing');
    return owns(me, owner) ? allowed : refuse('not_owner');
  };
}

/**
 * Whether `principal` may act on `resource` under `rule`. The rule is compiled on first use and
 * kept (per rule object): declare rules once, beside the handler.
 *
 * @example
 * ```ts
 * const TASK = { ownerField: 'ownerId', bypassRoles: ['admin'] } as const;
 * const decision = authorizeObject(req.principal, task, TASK);
 * if (!decision.allowed) return sendDenial(res, decision.denial);
 * ```
 */
export function authorizeObject(principal: Principal | undefined, resource: unknown, rule: ObjectRule): ObjectDecision {
  let check = compiledRules.get(rule);
  if (check === undefined) compiledRules.set(rule, (check = compileObjectRule(rule)));
  return check(principal, resource);
}

/**
 * Thrown by {@link assertObjectAccess}: carries the denial, and `statusCode` for frameworks'
 * error handlers.
 *
 * @example
 * ```ts
 * if (error instanceof ObjectAccessError) return sendDenial(res, error.denial);
 * ```
 */
export class ObjectAccessError extends Error {
  /** The catalogue code (`object-level.not_found`). */
  readonly code: string;
  /** The HTTP status, as Express and Fastify error handlers read it. */
  readonly statusCode: number;
  /** The denial to answer with. */
  readonly denial: Denial;
  /** Why, for logs (never sent). */
  readonly reason: ObjectRefusal;

  constructor(decision: Extract<ObjectDecision, { allowed: false }>) {
    super(`${decision.rule}: ${decision.reason}`);
    this.name = 'ObjectAccessError';
    this.code = decision.denial.code;
    this.statusCode = decision.denial.status;
    this.denial = decision.denial;
    this.reason = decision.reason;
  }
}

/**
 * {@link authorizeObject} that throws ObjectAccessError on a refusal.
 *
 * @example
 * ```ts
 * assertObjectAccess(request.principal, task, TASK); // throws unless the caller owns the task
 * ```
 */
export function assertObjectAccess(principal: Principal | undefined, resource: unknown, rule: ObjectRule): void {
  const decision = authorizeObject(principal, resource, rule);
  if (!decision.allowed) throw new ObjectAccessError(decision);
}
