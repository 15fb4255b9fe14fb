/**
 * Compiling a validated configuration into what serves traffic: per route, the request handlers
 * of its policies in phase order, the response hooks, and header lists computed once; the router;
 * the upstream definitions. Every policy's compile() runs here, at load, never per request.
 */
import type { Logger } from 'pino';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../core/config-error.js';
import type { ApiOperation } from '../core/operation.js';
import { strictestJsonLimits, type JsonLimits } from '../core/strict-json.js';
import { routeLabel, type RouteSpec } from './route-specs.js';
import { PHASES, type Phase, type ComponentHealth, type CompiledPolicy, type Policy, type PolicyAuditEvent, type ResponseBodyHandler, type ResponseHandler } from '../core/policy.js';
import { readBodyStep } from '../core/request-body.js';
import { suggestStricterLimits } from '../policies/rate-limit/index.js';
import { createDenial } from '../core/problem.js';
import type { NamedHandler } from '../core/pipeline.js';
import type { RequestContext } from '../core/context.js';
import { NO_OUTBOUND, type OutboundClient } from '../core/outbound.js';
import type { LoadedConfig } from './load.js';
import type { Registry } from './registry.js';
import type { GatewayConfig } from './schema.js';
import { authenticateStep, type AuthAuditEvent, type AuthMethod } from './authenticate-step.js';
import { getChannels, type Channels } from '../core/channels.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) never forwarded in either direction. */
export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization'] as const;

/** One route, ready to serve. */
export interface CompiledRoute {
  /** Name for logs. */
  readonly name: string;
  /** Path template as written. */
  readonly template: string;
  /** Upstream name. */
  readonly upstream: string;
  /** Request handlers in phase order. */
  readonly handlers: readonly NamedHandler[];
  /** Response hooks in phase order. */
  readonly responseHandlers: readonly ResponseHandler[];
  /** Response-body hooks in phase order; when any, the proxy buffers and parses the response. */
  readonly responseBodyHandlers: readonly ResponseBodyHandler[];
  /** End-of-request hooks. */
  readonly endHandlers: ReadonlyArray<(ctx: RequestContext) => void>;
  /** Headers set on every HTTPS response of this route, flat (name, value, …), lower-case names. */
  readonly setHeaders: readonly string[];
  /** The same for plain-HTTP responses: without Strict-Transport-Security (RFC 6797 §7.2). */
  readonly setHeadersPlain: readonly string[];
  /** Lower-case names dropped from upstream responses (hop-by-hop, configured, replaced by setHeaders). */
  readonly dropResponseHeaders: ReadonlySet<string>;
  /** Lower-case names never forwarded upstream (hop-by-hop, proxy.stripRequestHeaders, credential headers). */
  readonly dropRequestHeaders: ReadonlySet<string>;
  /** Lower-case name prefixes never forwarded upstream (`x-internal-`). */
  readonly dropRequestPrefixes: readonly string[];
  /** A policy of this route (cors) answers CORS preflights for its methods: the router sends them here. */
  readonly answersPreflight: boolean;
  /** Methods it takes, upper case. */
  readonly methods: readonly string[];
  /** Served without authentication. */
  readonly public: boolean;
  /** The OpenAPI operation it serves, when it came from the document. */
  readonly operation: ApiOperation | undefined;
  /** Its policies in the order they run, with their effective config (for `inventory` and `audit`). */
  readonly policies: ReadonlyArray<{ readonly name: string; readonly phase: Phase; readonly config: unknown }>;
}

/** The compiled routing table and everything else a server needs. */
export interface CompiledGateway {
  /** The validated config. */
  readonly config: GatewayConfig;
  /** Routes in config order. */
  readonly routes: readonly CompiledRoute[];
  /** Headers (from the defaults) for answers that match no route; its handlers never run. */
  readonly fallback: CompiledRoute;
  /** Credential headers of every policy (lower case), redacted in logs whatever log.redactHeaders says. */
  readonly credentialHeaders: ReadonlySet<string>;
  /** Warnings from policies' compile() (risky but valid settings), with lines. */
  readonly warnings: readonly ConfigIssue[];
  /** Runs every policy's ready() (first fetches); failures are logged, the policies fail closed. */
  ready(): Promise<void>;
  /** Releases what policies opened. */
  close(): Promise<void>;
  /** The health of what the policies depend on (JWKS, stores), one entry per component. */
  health(): ComponentHealth[];
}

/**
 * Compiles a loaded configuration. Throws ConfigError (with lines) when a policy refuses its
 * config; every route is tried so all such mistakes are reported together. Without an outbound
 * client (`check`, tests) policies get one that refuses every request.
 *
 * @example
 * ```ts
 * const compiled = compileGateway(loaded, registry, logger, outbound);
 * compiled.routes[0].handlers.map((h) => h.policy) // ['size-limit', …]
 * ```
 */
export function compileGateway(loaded: LoadedConfig, registry: Registry, logger: Logger, outbound: OutboundClient = NO_OUTBOUND, sinks: CompileSinks = {}): CompiledGateway {
  const { config } = loaded;
  const issues: ConfigIssue[] = [];
  const compiledPolicies: CompiledPolicy[] = [];
  const routes: CompiledRoute[] = [];

  // A policy configured once (in the defaults) is compiled once and shared by every route that
  // inherits it: one JWKS cache, one key table, not one per route. A policy that reads the
  // route's OpenAPI operation (perRoute) is compiled for each route.
  const shared = new Map<unknown, CompiledPolicy>();
  const order = [...registry.policies.keys()];
  const compileParts = (routeName: string, effective: readonly EffectivePolicy[], operation?: ApiOperation) => {
    const parts: Array<{ policy: Policy; compiled: CompiledPolicy; config: unknown }> = [];
    for (const { name: policyName, value, path, inheritedPath, inheritedKeys } of effective) {
      const at = (relative: ConfigPath): ConfigPath => [...(inheritedPath !== undefined && inheritedKeys?.has(String(relative[0])) ? inheritedPath : path), ...relative];
      const policy = registry.policies.get(policyName)!;
      const shareable = policy.perRoute !== true;
      const reused = shareable ? shared.get(value) : undefined;
      if (reused !== undefined) {
        parts.push({ policy, compiled: reused, config: value });
        continue;
      }
      try {
        const compiled = policy.compile(value as never, {
          deny: (local, options) => {
            const spec = policy.errors[local];
            if (!spec) throw new Error(`policy ${policy.name} has no error code '${local}'`);
            return createDenial(`${policy.name}.${local}`, spec, options);
          },
          logger,
          routeName,
          baseDir: loaded.baseDir,
          outbound,
          ...(operation === undefined ? {} : { operation }),
          warn: (relative, message) => issues.push({ path: at(relative), message: operation === undefined ? message : `${routeName}: ${message}`, severity: 'warning' }),
          audit: (ctx, event) => policyAudit(ctx, event, policy.name),
        });
        compiledPolicies.push(compiled);
        if (shareable && typeof value === 'object' && value !== null) shared.set(value, compiled);
        parts.push({ policy, compiled, config: value });
      } catch (error) {
        const prefix = operation === undefined ? '' : `${routeName}: `;
        if (error instanceof ConfigError) for (const i of error.issues) issues.push({ ...i, path: at(i.path), message: prefix + i.message });
        else issues.push({ path, message: `${prefix}cannot be compiled: ${error instanceof Error ? error.message : String(error)}`, severity: 'error' });
      }
    }
    // By phase, then within a phase by the registry's order (the builtin list says it: rbac, a
    // cheap check, before object-level lookups; object-level before abac, which reads resource).
    parts.sort((a, b) => PHASES.indexOf(a.policy.phase) - PHASES.indexOf(b.policy.phase) || order.indexOf(a.policy.name) - order.indexOf(b.policy.name));
    return parts;
  };

  const channels = getChannels();
  const record = auditRecorder(logger, config.audit.log, sinks.audit);
  const audit = auditSink(record, channels);
  const policyAudit = policyAuditSink(record, channels);
  for (const spec of loaded.routes) {
    const label = routeLabel(spec);
    const parts = compileParts(spec.operation === undefined ? spec.name : label, effectivePolicies(spec, registry), spec.operation);
    const methods = parts.filter((p) => p.compiled.authenticate !== undefined);
    const at = (rest: ConfigPath): ConfigPath => (spec.operation === undefined ? [...spec.at, ...rest] : spec.at);
    const about = spec.operation === undefined ? '' : `${label} `;
    if (methods.length === 0 && !spec.public) {
      issues.push({ path: spec.at, message: `${about}has no authentication method (api-key, jwt, introspection); add one here or under defaults.policies, or set public: true to serve it to anyone`, severity: 'error' });
    }
    const own = spec.layers.slice(1).flatMap((l) => Object.keys(l.policies));
    const authorizes = parts.some((p) => p.policy.phase === 'authorize' && p.compiled.decides !== false && (p.compiled.onRequest !== undefined || p.compiled.onResponseBody !== undefined))
      || own.some((n) => registry.policies.get(n)?.phase === 'authorize');
    if (methods.length > 0 && !authorizes && !spec.public) {
      issues.push({ path: at(['policies']), message: `${about}any authenticated caller may use this route: add rbac or abac, or rbac: { require: [] } to say that is intended`, severity: 'warning' });
    }
    const ownPolicies: Record<string, unknown> = {};
    for (const layer of spec.layers.slice(1)) Object.assign(ownPolicies, layer.policies);
    const hint = suggestStricterLimits({ path: spec.path, policies: ownPolicies });
    if (hint !== undefined) issues.push({ path: at(['policies']), message: about + hint, severity: 'warning' });
    routes.push(assembleRoute(spec, parts, config, audit, sinks.wrapStep));
  }
  // Answers that match no route still carry the defaults' response headers (security headers);
  // only response-phase policies matter there, and they are shared with the routes.
  const defaultsOnly = Object.entries(config.defaults.policies)
    .filter(([name, v]) => v !== false && registry.policies.get(name)?.phase === 'response')
    .map(([name, value]) => ({ name, value, path: ['defaults', 'policies', name] }));
  const fallbackSpec: RouteSpec = { name: 'unmatched', path: '', methods: [], upstream: '', public: true, layers: [], at: [] };
  const fallback = assembleRoute(fallbackSpec, compileParts('unmatched', defaultsOnly), config, audit);

  // A mistake in the defaults is found once per route that inherits it: report it once.
  const seen = new Set<string>();
  const errors = issues.filter((i) => {
    const key = `${JSON.stringify(i.path)}|${i.message}`;
    if (i.severity !== 'error' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (errors.length > 0) {
    void Promise.allSettled(compiledPolicies.map(async (p) => p.close?.()));
    throw new ConfigError(errors.map(loaded.locate));
  }
  const seenWarnings = new Set<string>();
  const warnings = issues.filter((i) => i.severity === 'warning').filter((w) => {
    // A default's warning would otherwise repeat once per route.
    const key = `${JSON.stringify(w.path)}|${w.message}`;
    if (seenWarnings.has(key)) return false;
    seenWarnings.add(key);
    return true;
  }).map(loaded.locate);
  return {
    config,
    routes,
    fallback,
    warnings,
    credentialHeaders: new Set(compiledPolicies.flatMap((p) => p.credentialHeaders ?? []).map((h) => h.toLowerCase())),
    async ready() {
      const results = await Promise.allSettled(compiledPolicies.map(async (p) => p.ready?.()));
      for (const r of results) {
        if (r.status === 'rejected') logger.error({ event: 'policy_not_ready', err: r.reason as unknown }, 'a policy could not get ready; it fails closed until it recovers');
      }
    },
    async close() {
      await Promise.allSettled(compiledPolicies.map(async (p) => p.close?.()));
    },
    health() {
      const seen = new Map<string, boolean>();
      for (const p of compiledPolicies) for (const h of p.health?.() ?? []) seen.set(h.component, (seen.get(h.component) ?? true) && h.up);
      return [...seen].map(([component, up]) => ({ component, up }));
    },
  };
}

interface EffectivePolicy {
  readonly name: string;
  readonly value: unknown;
  /** Where the value came from (route or defaults), for error paths. */
  readonly path: ConfigPath;
  /** For a merged config: where the keys inherited from the defaults live … */
  readonly inheritedPath?: ConfigPath;
  /** … and which keys those are. */
  readonly inheritedKeys?: ReadonlySet<string>;
}

function effectivePolicies(spec: RouteSpec, registry: Registry): EffectivePolicy[] {
  const out = new Map<string, EffectivePolicy>();
  spec.layers.forEach((layer, depth) => {
    for (const [name, value] of Object.entries(layer.policies)) {
      const path: ConfigPath = [...layer.path, name];
      const before = out.get(name);
      // A policy that declares mergeWithDefaults (rbac: the role table in the defaults, `require`
      // per route) gets a scope's object shallow-merged over the one before it; keys that came
      // from the outer scope keep that scope's path in error messages.
      if (depth > 0 && registry.policies.get(name)?.mergeWithDefaults === true && isPlainObject(value) && before !== undefined && isPlainObject(before.value)) {
        const own = new Set(Object.keys(value));
        const inherited = before.value;
        out.set(name, { name, value: { ...inherited, ...value }, path, inheritedPath: before.inheritedPath ?? before.path, inheritedKeys: new Set(Object.keys(inherited).filter((k) => !own.has(k))) });
      } else {
        out.set(name, { name, value, path });
      }
    }
  });
  return [...out.values()].filter((p) => p.value !== false);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assembleRoute(spec: RouteSpec, parts: ReadonlyArray<{ policy: Policy; compiled: CompiledPolicy; config: unknown }>, config: GatewayConfig, audit: (e: AuthAuditEvent) => void, wrapStep?: (h: NamedHandler) => NamedHandler): CompiledRoute {
  const { name, path: template, upstream, public: isPublic } = spec;
  const setHeaders: string[] = spec.operation?.deprecated === true ? deprecationHeaders(spec.operation) : [];
  const jsonLimits: Array<Partial<JsonLimits>> = [];
  const drop = new Set<string>([...HOP_BY_HOP, ...config.proxy.stripResponseHeaders.map((h) => h.toLowerCase())]);
  const dropRequest = new Set<string>([...HOP_BY_HOP, ...config.proxy.stripRequestHeaders.map((h) => h.toLowerCase())]);
  const dropPrefixes: string[] = [];
  const handlers: NamedHandler[] = [];
  const responseHandlers: ResponseHandler[] = [];
  const responseBodyHandlers: ResponseBodyHandler[] = [];
  let bodyAt = -1;
  const endHandlers: Array<(ctx: RequestContext) => void> = [];
  const methods: AuthMethod[] = [];
  let authAt = -1;
  for (const { policy, compiled } of parts) {
    if (compiled.authenticate) {
      // The route's methods become one step, where the authenticate phase is.
      if (authAt === -1) authAt = handlers.length;
      methods.push({ name: policy.name, authenticate: compiled.authenticate, challenge: compiled.challenge });
    } else if (authAt === -1 && PHASES.indexOf(policy.phase) > PHASES.indexOf('authenticate')) {
      authAt = handlers.length;
    }
    if (compiled.requestBody !== undefined && bodyAt === -1) bodyAt = handlers.length;
    if (compiled.jsonLimits !== undefined) jsonLimits.push(compiled.jsonLimits);
    if (compiled.onRequest) handlers.push({ policy: policy.name, run: compiled.onRequest });
    if (compiled.onResponseBody) responseBodyHandlers.push(compiled.onResponseBody);
    if (compiled.forwardCredentialHeaders !== true) for (const h of compiled.credentialHeaders ?? []) dropRequest.add(h.toLowerCase());
    for (const h of compiled.stripRequestHeaders ?? []) dropRequest.add(h.toLowerCase());
    for (const p of compiled.stripRequestHeaderPrefixes ?? []) if (!dropPrefixes.includes(p.toLowerCase())) dropPrefixes.push(p.toLowerCase());
    if (compiled.onResponse) responseHandlers.push(compiled.onResponse);
    if (compiled.onEnd) endHandlers.push(compiled.onEnd);
    for (const [h, v] of compiled.responseHeaders?.set ?? []) {
      const lower = h.toLowerCase();
      setHeaders.push(lower, v);
      drop.add(lower);
    }
    for (const h of compiled.responseHeaders?.remove ?? []) drop.add(h.toLowerCase());
  }
  // The body is read just before the first policy that needs it: cheaper refusals come first.
  if (bodyAt !== -1) handlers.splice(bodyAt, 0, readBodyStep(jsonLimits.length === 0 ? undefined : strictestJsonLimits(jsonLimits)));
  if (methods.length > 0 || !isPublic) handlers.splice(authAt === -1 ? handlers.length : Math.min(authAt, bodyAt === -1 ? authAt : bodyAt), 0, authenticateStep(methods, isPublic, audit));
  const setHeadersPlain: string[] = [];
  for (let i = 0; i < setHeaders.length; i += 2) {
    if (setHeaders[i] !== 'strict-transport-security') setHeadersPlain.push(setHeaders[i]!, setHeaders[i + 1]!);
  }
  const answersPreflight = parts.some((p) => p.compiled.answersPreflight === true);
  const policies = parts.map((p) => ({ name: p.policy.name, phase: p.policy.phase, config: p.config }));
  return { name, template, upstream, methods: spec.methods, public: isPublic, operation: spec.operation, policies, handlers: wrapStep === undefined ? handlers : handlers.map(wrapStep), responseHandlers, endHandlers, responseBodyHandlers, setHeaders, setHeadersPlain, dropResponseHeaders: drop, dropRequestHeaders: dropRequest, dropRequestPrefixes: dropPrefixes, answersPreflight };
}

/**
 * RFC 9745 Deprecation (a structured-field date, `@<seconds>`) and RFC 8594 Sunset (an HTTP
 * date) for an operation the document marks deprecated. Without x-deprecated-at the date is the
 * epoch: "deprecated, since an unknown date" (`check` warns).
 */
function deprecationHeaders(operation: ApiOperation): string[] {
  const since = operation.deprecatedAt === undefined ? 0 : Date.parse(operation.deprecatedAt);
  const out = ['deprecation', `@${Math.floor((Number.isFinite(since) ? since : 0) / 1000)}`];
  if (operation.sunset !== undefined) {
    const sunset = Date.parse(operation.sunset);
    if (Number.isFinite(sunset)) out.push('sunset', new Date(sunset).toUTCString());
  }
  return out;
}

/** Where the compiled policies' security decisions go besides the log. */
export interface CompileSinks {
  /** The audit trail: one call per decision, with a record free of secrets. */
  readonly audit?: (record: Readonly<Record<string, unknown>>) => void;
  /** Wraps each request step (tracing records a span per policy); absent: no wrapping, no cost. */
  readonly wrapStep?: (handler: NamedHandler) => NamedHandler;
}

function auditRecorder(logger: Logger, log: boolean, trail: CompileSinks['audit']): (record: Record<string, unknown>) => void {
  if (trail === undefined) return log ? (record) => logger.info({ event: 'audit', ...record }) : () => undefined;
  return (record) => {
    if (log) logger.info({ event: 'audit', ...record });
    trail(record);
  };
}

function auditSink(record: (r: Record<string, unknown>) => void, channels: Channels): (e: AuthAuditEvent) => void {
  return ({ ctx, outcome, method, reason }) => {
    // The exact reason is for operators; the client got only the generic code.
    record({ type: 'authentication', outcome, method, reason, requestId: ctx.requestId, clientIp: ctx.clientIp, route: ctx.route, principal: ctx.principal?.id, credential: ctx.principal?.credentialId });
    if (channels.audit.hasSubscribers) channels.audit.publish({ ctx, type: 'authentication', outcome, method, reason });
  };
}

function policyAuditSink(record: (r: Record<string, unknown>) => void, channels: Channels): (ctx: RequestContext, e: PolicyAuditEvent, policy: string) => void {
  return (ctx, { type, outcome, rule, reason }, policy) => {
    record({ type, outcome, policy, rule, reason, requestId: ctx.requestId, clientIp: ctx.clientIp, method: ctx.method, route: ctx.route, path: ctx.path, principal: ctx.principal?.id });
    if (channels.audit.hasSubscribers) channels.audit.publish({ ctx, type, outcome, method: policy, reason, rule });
  };
}
