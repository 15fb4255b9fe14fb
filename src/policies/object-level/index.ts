/**
 * object-level: object-level authorization (OWASP API1:2023, broken object level authorization).
 * The caller must own the object a request names. Three declarative ways to know the owner, which
 * may be combined on one route (a lookup for PATCH, a response check for GET):
 *
 * - `binding`: a value of the request (path, query, JSON body) must equal an attribute of the
 *   caller: `/users/{userId}` with userId == user.id. Synchronous, no I/O.
 * - `lookup`: before forwarding, the object is fetched (GET, through the gateway's outbound
 *   client, bounded by a timeout and a size) and its owner field compared with the caller. What
 *   was found is cached briefly by URL; `attributes` are copied into `ctx.resource`, which abac
 *   conditions read. A cache hit costs no microtask.
 * - `response`: for reads, the upstream's JSON answer is inspected before anything of it is
 *   sent: an object of another owner is replaced by the refusal, a list is filtered (or refused).
 *
 * Refusals are 404 `object-level.not_found` by default, so a caller cannot tell another's object
 * from one that does not exist (an upstream 404 on a checked read and a lookup's 404 get the very
 * same answer); `denyAs: forbidden` makes them 403 `object-level.forbidden`.
 *
 * Fail closed everywhere: no principal (a public route), a missing or repeated value, a caller
 * without the compared attribute, an owner field that is absent, empty or not a string or number:
 * all refused. A lookup that fails (timeout, connection, a status other than 200/404/410, a body
 * that is not a JSON object) is 503 `object-level.unavailable`: not 404, which would tell the
 * object's owner it does not exist and hide an outage from monitoring, and not an oracle either,
 * since during an outage every object gets the same 503. A checked read whose response is not
 * JSON is 502 `object-level.unverifiable`.
 *
 * Principals with a `bypassRoles` role skip the ownership comparisons (a lookup that feeds
 * `attributes` still runs, for conditions). Every decision is an audit event `authorization` with
 * the rule (`object-level: lookup ownerId == user.id`) and, on a refusal, the precise reason.
 *
 * Methods: binding and lookup apply to every method of the route, the response check to GET and
 * HEAD, unless a block lists `methods`. A HEAD response has no body to check and is refused by
 * a response check; leave HEAD out of `response.methods` and cover it with a lookup instead.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type HandlerResult, type Policy, type PolicyAuditEvent, type ResponseBodyHandler } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import type { Denial } from '../../core/problem.js';
import { AMBIGUOUS, bindingReader } from './binding.js';
import { compileUrlTemplate, LookupClient, type FoundObject, type LookupResult, type UrlTemplate } from './lookup.js';
import { dottedPath, identity, owns, principalRef, valueAt, type PrincipalRef } from './owner.js';
import { compileResponseCheck } from './response-check.js';
import { DEFAULT_RESPONSE_METHODS, ObjectLevelSchema, type ObjectLevelConfig } from './schema.js';

export {
  ObjectLevelSchema, BindingSchema, LookupSchema, ResponseCheckSchema, OBJECT_LEVEL_METHODS, DEFAULT_RESPONSE_METHODS,
  type ObjectLevelConfig, type BindingConfig, type LookupConfig, type ResponseCheckConfig,
} from './schema.js';
export { compileUrlTemplate, LookupClient, type LookupResult, type FoundObject, type UrlTemplate } from './lookup.js';
export { compileResponseCheck, type ResponseCheck, type ResponseVerdict } from './response-check.js';

/** Options of {@link createObjectLevelPolicy}. */
export interface ObjectLevelPolicyOptions {
  /** The clock of the lookup cache, ms since the epoch (tests inject one). Default Date.now. */
  readonly now?: () => number;
}

/**
 * Builds the object-level policy with its own clock. The default export is `createObjectLevelPolicy()`.
 *
 * @example
 * ```ts
 * let now = 0;
 * const policy = createObjectLevelPolicy({ now: () => now });
 * ```
 */
export function createObjectLevelPolicy(options: ObjectLevelPolicyOptions = {}): Policy<typeof ObjectLevelSchema> {
  const now = options.now ?? Date.now;
  return definePolicy({
    name: 'object-level',
    phase: 'authorize',
    description: 'Object-level authorization (BOLA): the caller must own the object a request names, known from a request binding, a lookup before forwarding or the upstream\'s response; 404 by default, fail closed.',
    schema: ObjectLevelSchema,
    errors: {
      not_found: {
        status: 404,
        title: 'Not Found',
        description: 'The object does not exist or the caller may not see it: object-level refusals answer 404 by default so that existence is never confirmed. Which rule refused, and why, is in the audit trail.',
      },
      forbidden: {
        status: 403,
        title: 'Forbidden',
        description: 'The caller does not own the object the request names (routes with object-level.denyAs: forbidden). Which rule refused, and why, is in the audit trail.',
      },
      unavailable: {
        status: 503,
        title: 'Service Unavailable',
        description: 'The owner of the object could not be looked up (timeout, connection failure, an error status, or an answer that is not a JSON object); object-level authorization fails closed. The reason is in the audit trail; retry later.',
      },
      unverifiable: {
        status: 502,
        title: 'Bad Gateway',
        description: 'On a route whose reads are checked for ownership, the upstream\'s response could not be checked (not JSON, no list where one was configured, or a HEAD response without a body); nothing of it was sent.',
      },
    },
    compile: (config, env) => compileObjectLevel(config, env, now),
  });
}

/**
 * The object-level policy.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/v1/tasks/{taskId}
 *     methods: [GET, PATCH]
 *     upstream: tasks
 *     policies:
 *       object-level:
 *         lookup: { url: "http://127.0.0.1:3000/api/v1/tasks/{taskId}", ownerField: ownerId, methods: [PATCH] }
 *         response: { ownerField: ownerId, methods: [GET] }
 *         bypassRoles: [admin]
 * ```
 */
export default createObjectLevelPolicy();

type MethodSet = ReadonlySet<string> | undefined;

function applies(methods: MethodSet, method: string): boolean {
  return methods === undefined || methods.has(method);
}

function methodSet(methods: readonly string[] | undefined): MethodSet {
  return methods === undefined ? undefined : new Set(methods);
}

/** Audit events of one rule: the success, built once, and failures by reason. */
interface RuleEvents {
  readonly rule: string;
  readonly allowed: PolicyAuditEvent;
  fail(reason: string): PolicyAuditEvent;
}

function ruleEvents(rule: string): RuleEvents {
  const cache = new Map<string, PolicyAuditEvent>();
  return {
    rule,
    allowed: Object.freeze({ type: 'authorization', outcome: 'success', rule }),
    fail(reason) {
      // Reasons are a small fixed vocabulary (with a status or parameter name): keep one of each.
      let event = cache.get(reason);
      if (event === undefined) {
        event = Object.freeze({ type: 'authorization', outcome: 'failure', rule, reason });
        if (cache.size < 256) cache.set(reason, event);
      }
      return event;
    },
  };
}

interface CompiledBinding {
  readonly methods: MethodSet;
  readonly read: (ctx: RequestContext) => unknown;
  readonly equals: PrincipalRef;
  readonly events: RuleEvents;
}

interface CompiledLookup {
  readonly methods: MethodSet;
  readonly template: UrlTemplate;
  readonly client: LookupClient;
  /** The owner comparison, when the lookup checks one. */
  readonly owner: PrincipalRef | undefined;
  /** True when found objects fill ctx.resource. */
  readonly feedsResource: boolean;
  readonly events: RuleEvents;
}

function compileObjectLevel(config: ObjectLevelConfig, env: CompileEnv, now: () => number): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  if (config.binding === undefined && config.lookup === undefined && config.response === undefined) {
    issues.push({ path: [], message: 'checks nothing: set binding, lookup or response', severity: 'error' });
  }

  let binding: CompiledBinding | undefined;
  if (config.binding !== undefined) {
    const b = config.binding;
    binding = {
      methods: methodSet(b.methods),
      read: bindingReader(b),
      equals: principalRef(b.equals),
      events: ruleEvents(`object-level: binding ${b.source}.${b.name} == ${b.equals}`),
    };
  }

  let lookup: CompiledLookup | undefined;
  if (config.lookup !== undefined) {
    const l = config.lookup;
    let template: UrlTemplate | undefined;
    try {
      template = compileUrlTemplate(l.url);
    } catch (error) {
      issues.push({ path: ['lookup', 'url'], message: (error as Error).message, severity: 'error' });
    }
    const attributes: Array<readonly [string, readonly string[]]> = [];
    const names = new Map<string, number>();
    l.attributes.forEach((attribute, i) => {
      const path = dottedPath(attribute);
      const name = path[path.length - 1]!;
      const previous = names.get(name);
      if (previous !== undefined) {
        issues.push({ path: ['lookup', 'attributes', i], message: `would be stored as resource.${name}, like attributes[${previous}]`, severity: 'error' });
        return;
      }
      names.set(name, i);
      attributes.push([name, path]);
    });
    if (l.ownerField === undefined && l.attributes.length === 0) {
      issues.push({ path: ['lookup'], message: 'checks no owner and copies no attributes: set ownerField, attributes or both', severity: 'error' });
    }
    const ownerPath = l.ownerField === undefined ? undefined : dottedPath(l.ownerField);
    const extract = (object: Readonly<Record<string, unknown>>): FoundObject => {
      let found: Record<string, unknown> | undefined;
      if (attributes.length > 0) {
        found = {};
        for (const [name, path] of attributes) {
          const value = valueAt(object, path);
          if (value !== undefined) found[name] = value;
        }
        Object.freeze(found);
      }
      return Object.freeze({ owner: ownerPath === undefined ? undefined : valueAt(object, ownerPath), attributes: found });
    };
    if (template !== undefined) {
      lookup = {
        methods: methodSet(l.methods),
        template,
        client: new LookupClient({ outbound: env.outbound, ttlMs: l.cacheTtlSec * 1000, maxEntries: l.cacheMaxEntries, timeoutMs: l.timeoutMs, maxBytes: l.maxResponseBytes, extract, now }),
        owner: l.ownerField === undefined ? undefined : principalRef(l.owner),
        feedsResource: attributes.length > 0,
        events: ruleEvents(l.ownerField === undefined ? `object-level: lookup ${l.attributes.join(', ')}` : `object-level: lookup ${l.ownerField} == ${l.owner}`),
      };
    }
  }

  if (issues.length > 0) throw new ConfigError(issues);

  const denial = config.denyAs === 'forbidden' ? env.deny('forbidden') : env.deny('not_found');
  const unavailable = env.deny('unavailable');
  const unverifiable = env.deny('unverifiable');

  const bypass = new Map<string, PolicyAuditEvent>(config.bypassRoles.map((role) => [role, Object.freeze({ type: 'authorization', outcome: 'success', rule: `object-level: bypass role ${role}` })]));
  const byPermission = config.bypassPermissions.map((permission) => [permission, Object.freeze({ type: 'authorization', outcome: 'success', rule: `object-level: bypass permission ${permission}` }) as PolicyAuditEvent] as const);
  const bypassOf = (ctx: RequestContext, principal: Principal): PolicyAuditEvent | undefined => {
    for (const role of principal.roles) {
      const event = bypass.get(role);
      if (event !== undefined) return event;
    }
    // Permissions come from rbac's role table (it runs earlier in the phase); without rbac
    // nothing is granted, so the override fails closed.
    const grants = ctx.permissionsOf;
    if (grants !== undefined) for (const [permission, event] of byPermission) if (grants(principal, permission)) return event;
    return undefined;
  };

  const response = config.response === undefined ? undefined : {
    methods: new Set<string>(config.response.methods ?? DEFAULT_RESPONSE_METHODS),
    owner: principalRef(config.response.owner),
    check: compileResponseCheck(config.response),
    events: ruleEvents(`object-level: response ${config.response.ownerField} == ${config.response.owner}`),
  };

  const anonymous = ruleEvents('object-level: authenticated caller').fail('no_principal');

  /** A lookup's result, for a caller (undefined: a bypass that only needs attributes). */
  const settleLookup = (ctx: RequestContext, l: CompiledLookup, principal: Principal | undefined, result: LookupResult): Denial | undefined => {
    if (result.kind === 'error') {
      env.audit(ctx, l.events.fail(result.reason));
      return unavailable;
    }
    if (result.kind === 'missing') {
      env.audit(ctx, l.events.fail(`object_not_found: lookup status ${result.status}`));
      return denial;
    }
    const { object } = result;
    if (principal !== undefined && l.owner !== undefined) {
      const caller = identity(l.owner(principal));
      if (caller === undefined) {
        env.audit(ctx, l.events.fail('caller_attribute_missing'));
        return denial;
      }
      if (!owns(caller, object.owner)) {
        env.audit(ctx, l.events.fail(identity(object.owner) === undefined ? 'owner_field_missing' : 'not_owner'));
        return denial;
      }
    }
    if (object.attributes !== undefined) ctx.resource = ctx.resource === undefined ? object.attributes : { ...ctx.resource, ...object.attributes };
    // A bypass was audited already; an attribute-only fetch for it is no separate decision.
    if (principal !== undefined) env.audit(ctx, l.events.allowed);
    return undefined;
  };

  const runLookup = (ctx: RequestContext, l: CompiledLookup, principal: Principal | undefined): HandlerResult => {
    const built = l.template.build(ctx.params);
    if ('bad' in built) {
      env.audit(ctx, l.events.fail(`bad_parameter: ${built.bad}`));
      return denial;
    }
    const result = l.client.get(built.url);
    if (result instanceof Promise) return result.then((r) => settleLookup(ctx, l, principal, r));
    return settleLookup(ctx, l, principal, result);
  };

  const checkBinding = (ctx: RequestContext, b: CompiledBinding, principal: Principal): Denial | undefined => {
    const value = b.read(ctx);
    let reason: string | undefined;
    if (value === AMBIGUOUS) reason = 'ambiguous_query: the parameter is repeated';
    else if (identity(value) === undefined) reason = value === undefined ? 'value_missing' : 'value_not_an_identifier';
    else {
      const caller = identity(b.equals(principal));
      if (caller === undefined) reason = 'caller_attribute_missing';
      else if (!owns(caller, value)) reason = 'not_bound_to_caller';
    }
    if (reason !== undefined) {
      env.audit(ctx, b.events.fail(reason));
      return denial;
    }
    env.audit(ctx, b.events.allowed);
    return undefined;
  };

  const onRequest = (ctx: RequestContext): HandlerResult => {
    const method = ctx.method;
    const doBinding = binding !== undefined && applies(binding.methods, method);
    const doLookup = lookup !== undefined && applies(lookup.methods, method);
    const doResponse = response !== undefined && response.methods.has(method);
    if (!doBinding && !doLookup && !doResponse) return undefined;
    const principal = ctx.principal;
    // Only a public route lets an anonymous request this far; it owns nothing. No lookup is made.
    if (principal === undefined) {
      env.audit(ctx, anonymous);
      return denial;
    }
    const bypassed = bypassOf(ctx, principal);
    if (bypassed !== undefined) {
      env.audit(ctx, bypassed);
      return doLookup && lookup!.feedsResource ? runLookup(ctx, lookup!, undefined) : undefined;
    }
    if (doBinding) {
      const refused = checkBinding(ctx, binding!, principal);
      if (refused !== undefined) return refused;
    }
    return doLookup ? runLookup(ctx, lookup!, principal) : undefined;
  };

  let onResponseBody: ResponseBodyHandler | undefined;
  if (response !== undefined) {
    onResponseBody = (ctx, head, body) => {
      if (!response.methods.has(ctx.method)) return undefined;
      const principal = ctx.principal;
      if (principal === undefined) {
        env.audit(ctx, anonymous);
        return denial;
      }
      if (bypassOf(ctx, principal) !== undefined) return undefined;
      const caller = identity(response.owner(principal));
      if (caller === undefined) {
        env.audit(ctx, response.events.fail('caller_attribute_missing'));
        return denial;
      }
      const verdict = response.check.check(caller, head.status, body);
      switch (verdict.kind) {
        case 'pass':
          return undefined;
        case 'owned':
          env.audit(ctx, response.events.allowed);
          return undefined;
        case 'list':
          env.audit(ctx, verdict.removed === 0 ? response.events.allowed : { type: 'authorization', outcome: 'success', rule: response.events.rule, reason: `filtered: ${verdict.removed} of ${verdict.total} items removed` });
          return undefined;
        case 'deny':
          env.audit(ctx, response.events.fail(verdict.reason));
          return denial;
        case 'unverifiable':
          env.audit(ctx, response.events.fail(verdict.reason));
          return unverifiable;
      }
    };
  }

  return {
    onRequest,
    onResponseBody,
    requestBody: config.binding?.source === 'body' ? 'json' : undefined,
    close: () => lookup?.client.clear(),
  };
}
