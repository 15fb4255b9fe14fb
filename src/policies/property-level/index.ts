/**
 * property-level: property-level authorization (OWASP API3:2023, broken object property level
 * authorization), in both directions.
 *
 * - Write rules (mass assignment): on POST, PUT and PATCH (configurable), a JSON request body —
 *   an object, or an array of objects — that sets a server-owned property (`id`, `ownerId`,
 *   `meta.createdBy`, `items[].id`) is refused with 400 `property-level.read_only_property`. The
 *   problem's `errors` hold a JSON pointer per offending property (names, never values) and the
 *   detail lists the rules that matched. Names match case-insensitively by default (`OwnerId`),
 *   as upstreams that bind that way would read them. `allowForRoles` lets a role set some of them
 *   anyway; `onViolation: strip` removes them and forwards the rest instead. A non-empty body
 *   that is not JSON is refused (400 `property-level.uninspectable_body`) unless allowNonJson.
 * - Read rules (excessive data exposure): properties removed (`passwordHash`) or masked
 *   (`email: "***"`) from JSON responses, nested paths and arrays included; `perRole` replaces
 *   the rules for a role. A non-empty response that is not JSON is refused (502
 *   `property-level.unverifiable`) unless allowNonJson: it could carry what the rules remove.
 *
 * Paths are parsed once, at compile, into a tree of names (paths.ts); a request walks the body
 * along that tree only. OpenAPI readOnly/writeOnly properties will join these lists through
 * {@link withSchemaAnnotations}.
 *
 * Every refusal is an audit event `authorization` with the rule; so is every checked write and
 * every response the read rules changed (the reason lists the rules that applied, never values).
 *
 * Order: list object-level before property-level on a route whose read rules remove the owner
 * field, since response hooks run in that order and the ownership check needs the field.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type HandlerResult, type PolicyAuditEvent, type ResponseBodyHandler } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import type { Violation } from '../../core/problem.js';
import { buildPathTree, jsonPointer, MAX_ARRAY_NESTING, walkPaths, type PathTree } from '../../core/json-paths.js';
import { PropertyLevelSchema, type PropertyLevelConfig, type ReadRules, type ReadVariant, type WriteRules } from './schema.js';

export {
  PropertyLevelSchema, WriteRulesSchema, ReadRulesSchema, ReadVariantSchema, PROPERTY_LEVEL_METHODS, DEFAULT_WRITE_METHODS, PROPERTY_PATH,
  type PropertyLevelConfig, type WriteRules, type ReadRules, type ReadVariant,
} from './schema.js';
export { withSchemaAnnotations, type SchemaAnnotations } from './annotations.js';
export { buildPathTree, parsePropertyPath, walkPaths, jsonPointer, MAX_ARRAY_NESTING, type PathTree, type PathNode, type PathVisitor } from '../../core/json-paths.js';

/** Most violations listed in one refusal (the detail still names every rule that matched). */
export const MAX_LISTED_VIOLATIONS = 20;

/** Longest rule text in an audit event. */
const MAX_RULE = 200;

/**
 * The property-level policy.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/v1/tasks/{taskId}
 *     methods: [GET, PATCH]
 *     upstream: tasks
 *     policies:
 *       property-level:
 *         write: { serverOwned: [id, ownerId, createdAt], allowForRoles: { admin: [ownerId] } }
 *   - path: /api/v1/users/me
 *     methods: [GET]
 *     upstream: tasks
 *     policies:
 *       property-level:
 *         read: { remove: [passwordHash, internalNotes] }
 * ```
 */
export default definePolicy({
  name: 'property-level',
  phase: 'authorize',
  description: 'Property-level authorization: server-owned properties refused in request bodies (mass assignment), sensitive properties removed or masked from responses, per role.',
  schema: PropertyLevelSchema,
  errors: {
    read_only_property: {
      status: 400,
      title: 'Bad Request',
      description: 'The request body sets properties only the server may set (property-level.write.serverOwned): mass assignment is refused. `errors` has a JSON pointer per property; send the body without them.',
    },
    uninspectable_body: {
      status: 400,
      title: 'Bad Request',
      description: 'On a route that refuses server-owned properties, the request body could not be checked: it is not JSON, or its arrays are nested deeper than the gateway follows. Send JSON.',
    },
    unverifiable: {
      status: 502,
      title: 'Bad Gateway',
      description: 'On a route whose responses are filtered (property-level.read), the upstream\'s response could not be filtered: not JSON, or arrays nested deeper than the gateway follows. Nothing of it was sent.',
    },
  },
  compile: compilePropertyLevel,
});

function compilePropertyLevel(config: PropertyLevelConfig, env: CompileEnv): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  if (config.write === undefined && config.read === undefined) issues.push({ path: [], message: 'checks nothing: set write, read or both', severity: 'error' });
  const onRequest = config.write === undefined ? undefined : compileWrite(config.write, env, issues);
  const onResponseBody = config.read === undefined ? undefined : compileRead(config.read, env, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return { onRequest, onResponseBody, requestBody: onRequest === undefined ? undefined : 'json' };
}

function clip(text: string): string {
  return text.length > MAX_RULE ? `${text.slice(0, MAX_RULE - 1)}…` : text;
}

function success(rule: string, reason?: string): PolicyAuditEvent {
  return Object.freeze(reason === undefined ? { type: 'authorization', outcome: 'success', rule } : { type: 'authorization', outcome: 'success', rule, reason });
}

function failure(rule: string, reason: string): PolicyAuditEvent {
  return Object.freeze({ type: 'authorization', outcome: 'failure', rule, reason });
}

/** One server-owned property found in a body. */
interface Found {
  readonly parent: Record<string, unknown>;
  readonly key: string;
  /** The configured path that matched. */
  readonly rule: string;
  readonly pointer: string;
}

function compileWrite(write: WriteRules, env: CompileEnv, issues: ConfigIssue[]): (ctx: RequestContext) => HandlerResult {
  if (write.serverOwned.length === 0) env.warn(['write', 'serverOwned'], 'is empty: the write rules check nothing');
  const owned = new Set(write.serverOwned);
  const allowedByRole = new Map<string, ReadonlySet<string>>();
  for (const [role, paths] of Object.entries(write.allowForRoles)) {
    paths.forEach((path, i) => {
      if (!owned.has(path)) issues.push({ path: ['write', 'allowForRoles', role, i], message: `'${path}' is not listed in serverOwned`, severity: 'error' });
    });
    allowedByRole.set(role, new Set(paths));
  }
  const tree = buildPathTree(write.serverOwned.map((p) => [p, p] as const), { caseInsensitive: write.caseInsensitive });
  const methods = new Set<string>(write.methods);
  const rule = clip(`property-level: write serverOwned ${write.serverOwned.join(', ')}`);
  const ALLOWED = success(rule);
  const NOT_JSON = failure(rule, 'body_not_json');
  const TOO_DEEP = failure(rule, `arrays_nested_deeper_than_${MAX_ARRAY_NESTING}`);
  const uninspectable = env.deny('uninspectable_body');
  const strip = write.onViolation === 'strip';

  const allowedFor = (principal: Principal | undefined): ReadonlySet<string> | undefined => {
    if (principal === undefined || allowedByRole.size === 0) return undefined;
    let allowed: Set<string> | undefined;
    for (const role of principal.roles) {
      const paths = allowedByRole.get(role);
      if (paths === undefined) continue;
      allowed ??= new Set();
      for (const p of paths) allowed.add(p);
    }
    return allowed;
  };

  return (ctx) => {
    if (!methods.has(ctx.method)) return undefined;
    const body = ctx.body;
    if (body === undefined) {
      if (ctx.rawBody !== undefined && ctx.rawBody.length > 0 && !write.allowNonJson) {
        env.audit(ctx, NOT_JSON);
        return uninspectable;
      }
      env.audit(ctx, ALLOWED);
      return undefined;
    }
    let found: Found[] | undefined;
    const complete = walkPaths(tree, body, (parent, key, path, trail) => {
      (found ??= []).push({ parent, key, rule: path, pointer: jsonPointer(trail) });
    });
    if (!complete) {
      env.audit(ctx, TOO_DEEP);
      return uninspectable;
    }
    if (found === undefined) {
      env.audit(ctx, ALLOWED);
      return undefined;
    }
    const allowed = allowedFor(ctx.principal);
    const refused = allowed === undefined ? found : found.filter((f) => !allowed.has(f.rule));
    const names = (list: readonly Found[]) => [...new Set(list.map((f) => f.rule))].join(', ');
    if (refused.length === 0) {
      env.audit(ctx, success(rule, `allowed_for_role: ${names(found)}`));
      return undefined;
    }
    if (strip) {
      for (const f of refused) delete f.parent[f.key];
      ctx.replaceBody(body);
      env.audit(ctx, success(rule, `stripped: ${names(refused)}`));
      return undefined;
    }
    const listed = names(refused);
    env.audit(ctx, failure(rule, `read_only: ${listed}`));
    const errors: Violation[] = refused.slice(0, MAX_LISTED_VIOLATIONS).map((f) => ({ pointer: f.pointer, in: 'body', reason: 'read-only' }));
    return env.deny('read_only_property', { detail: `These properties are set by the server and may not be sent: ${listed}.`, errors });
  };
}

/** What a read leaf does: remove the property (mask undefined), or replace its value. */
interface ReadAction {
  /** The configured path, for audit. */
  readonly path: string;
  readonly mask: string | undefined;
}

interface ReadVariantCompiled {
  readonly tree: PathTree<ReadAction>;
  readonly rule: string;
  readonly notJson: PolicyAuditEvent;
  readonly tooDeep: PolicyAuditEvent;
}

function compileReadVariant(variant: ReadVariant, label: string, path: Array<string | number>, issues: ConfigIssue[]): ReadVariantCompiled {
  const removed = new Set(variant.remove);
  for (const key of Object.keys(variant.mask)) {
    if (removed.has(key)) issues.push({ path: [...path, 'mask', key], message: `'${key}' is also removed; give it in one list`, severity: 'error' });
  }
  const entries: Array<readonly [string, ReadAction]> = [
    ...variant.remove.map((p) => [p, Object.freeze({ path: p, mask: undefined })] as const),
    ...Object.entries(variant.mask).map(([p, mask]) => [p, Object.freeze({ path: p, mask })] as const),
  ];
  const parts = [variant.remove.length > 0 ? `removes ${variant.remove.join(', ')}` : '', Object.keys(variant.mask).length > 0 ? `masks ${Object.keys(variant.mask).join(', ')}` : ''].filter((p) => p !== '');
  const rule = clip(`property-level: read${label}${parts.length > 0 ? ` ${parts.join('; ')}` : ' (nothing)'}`);
  return {
    tree: buildPathTree(entries),
    rule,
    notJson: failure(rule, 'response_not_json'),
    tooDeep: failure(rule, `arrays_nested_deeper_than_${MAX_ARRAY_NESTING}`),
  };
}

function compileRead(read: ReadRules, env: CompileEnv, issues: ConfigIssue[]): ResponseBodyHandler {
  const base = compileReadVariant(read, '', ['read'], issues);
  const perRole = Object.entries(read.perRole).map(([role, variant]) => [role, compileReadVariant(variant, ` (role ${role})`, ['read', 'perRole', role], issues)] as const);
  if (base.tree.empty && perRole.every(([, v]) => v.tree.empty)) env.warn(['read'], 'removes and masks nothing: the read rules check nothing');
  const methods = read.methods === undefined ? undefined : new Set<string>(read.methods);
  const unverifiable = env.deny('unverifiable');

  const variantFor = (principal: Principal | undefined): ReadVariantCompiled => {
    if (principal === undefined || perRole.length === 0) return base;
    for (const [role, variant] of perRole) if (principal.roles.includes(role)) return variant;
    return base;
  };

  return (ctx, _head, body) => {
    if (methods !== undefined && !methods.has(ctx.method)) return undefined;
    const variant = variantFor(ctx.principal);
    if (variant.tree.empty) return undefined;
    if (!body.isJson) {
      // Nothing to leak in an empty body (HEAD, 204); anything else unreadable is refused.
      if (body.raw.length === 0 || read.allowNonJson) return undefined;
      env.audit(ctx, variant.notJson);
      return unverifiable;
    }
    let applied: Set<string> | undefined;
    const complete = walkPaths(variant.tree, body.value, (parent, key, action) => {
      if (action.mask === undefined) delete parent[key];
      else parent[key] = action.mask;
      (applied ??= new Set()).add(action.path);
    });
    if (!complete) {
      env.audit(ctx, variant.tooDeep);
      return unverifiable;
    }
    if (applied !== undefined) {
      body.changed = true;
      env.audit(ctx, success(variant.rule, `filtered: ${[...applied].join(', ')}`));
    }
    return undefined;
  };
}
