/**
 * Compiling a validated configuration into what serves traffic: per route, the request handlers
 * of its policies in phase order, the response hooks, and header lists computed once; the router;
 * the upstream definitions. Every policy's compile() runs here, at load, never per request.
 */
import type { Logger } from 'pino';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../core/config-error.js';
import { PHASES, type CompiledPolicy, type Policy, type PolicyAuditEvent, type ResponseBodyHandler, type ResponseHandler } from '../core/policy.js';
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
export function compileGateway(loaded: LoadedConfig, registry: Registry, logger: Logger, outbound: OutboundClient = NO_OUTBOUND): CompiledGateway {
  const { config } = loaded;
  const issues: ConfigIssue[] = [];
  const compiledPolicies: CompiledPolicy[] = [];
  const routes: CompiledRoute[] = [];

  // A policy configured once (in the defaults) is compiled once and shared by every route that
  // inherits it: one JWKS cache, one key table, not one per route.
  const shared = new Map<unknown, CompiledPolicy>();
  const order = [...registry.policies.keys()];
  const compileParts = (routeName: string, effective: readonly EffectivePolicy[]) => {
    const parts: Array<{ policy: Policy; compiled: CompiledPolicy }> = [];
    for (const { name: policyName, value, path, inheritedPath, inheritedKeys } of effective) {
      const at = (relative: ConfigPath): ConfigPath => [...(inheritedPath !== undefined && inheritedKeys?.has(String(relative[0])) ? inheritedPath : path), ...relative];
      const policy = registry.policies.get(policyName)!;
      const reused = shared.get(value);
      if (reused !== undefined) {
        parts.push({ policy, compiled: reused });
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
          warn: (relative, message) => issues.push({ path: at(relative), message, severity: 'warning' }),
          audit: (ctx, event) => policyAudit(ctx, event, policy.name),
        });
        compiledPolicies.push(compiled);
        if (typeof value === 'object' && value !== null) shared.set(value, compiled);
        parts.push({ policy, compiled });
      } catch (error) {
        if (error instanceof ConfigError) for (const i of error.issues) issues.push({ ...i, path: at(i.path) });
        else issues.push({ path, message: `cannot be compiled: ${error instanceof Error ? error.message : String(error)}`, severity: 'error' });
      }
    }
    // By phase, then within a phase by the registry's order (the builtin list says it: rbac, a
    // cheap check, before object-level lookups; object-level before abac, which reads resource).
    parts.sort((a, b) => PHASES.indexOf(a.policy.phase) - PHASES.indexOf(b.policy.phase) || order.indexOf(a.policy.name) - order.indexOf(b.policy.name));
    return parts;
  };

  const channels = getChannels();
  const audit = auditSink(logger, channels);
  const policyAudit = policyAuditSink(logger, channels);
  config.routes.forEach((route, index) => {
    const name = route.name ?? `${route.methods.join(',')} ${route.path}`;
    const parts = compileParts(name, effectivePolicies(config, index, registry));
    const methods = parts.filter((p) => p.compiled.authenticate !== undefined);
    if (methods.length === 0 && !route.public) {
      issues.push({ path: ['routes', index], message: 'has no authentication method (api-key, jwt, introspection); add one here or under defaults.policies, or set public: true to serve it to anyone', severity: 'error' });
    }
    const authorizes = parts.some((p) => p.policy.phase === 'authorize' && p.compiled.decides !== false && (p.compiled.onRequest !== undefined || p.compiled.onResponseBody !== undefined))
      || Object.keys(route.policies).some((n) => registry.policies.get(n)?.phase === 'authorize');
    if (methods.length > 0 && !authorizes && !route.public) {
      issues.push({ path: ['routes', index, 'policies'], message: 'any authenticated caller may use this route: add rbac or abac, or rbac: { require: [] } to say that is intended', severity: 'warning' });
    }
    const hint = suggestStricterLimits(route);
    if (hint !== undefined) issues.push({ path: ['routes', index, 'policies'], message: hint, severity: 'warning' });
    routes.push(assembleRoute(name, route.path, route.upstream, parts, config, route.public, audit));
  });
  // Answers that match no route still carry the defaults' response headers (security headers);
  // only response-phase policies matter there, and they are shared with the routes.
  const defaultsOnly = Object.entries(config.defaults.policies)
    .filter(([name, v]) => v !== false && registry.policies.get(name)?.phase === 'response')
    .map(([name, value]) => ({ name, value, path: ['defaults', 'policies', name] }));
  const fallback = assembleRoute('unmatched', '', '', compileParts('unmatched', defaultsOnly), config, true, audit);

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

function effectivePolicies(config: GatewayConfig, routeIndex: number, registry: Registry): EffectivePolicy[] {
  const route = config.routes[routeIndex]!;
  const out = new Map<string, EffectivePolicy>();
  for (const [name, value] of Object.entries(config.defaults.policies)) out.set(name, { name, value, path: ['defaults', 'policies', name] });
  for (const [name, value] of Object.entries(route.policies)) {
    const path: ConfigPath = ['routes', routeIndex, 'policies', name];
    const inherited = out.get(name)?.value;
    // A policy that declares mergeWithDefaults (rbac: the role table in the defaults, `require`
    // per route) gets the route's object shallow-merged over the defaults' object; keys that came
    // from the defaults keep the defaults' path in error messages.
    if (registry.policies.get(name)?.mergeWithDefaults === true && isPlainObject(value) && isPlainObject(inherited)) {
      const own = new Set(Object.keys(value));
      out.set(name, { name, value: { ...inherited, ...value }, path, inheritedPath: ['defaults', 'policies', name], inheritedKeys: new Set(Object.keys(inherited).filter((k) => !own.has(k))) });
    } else {
      out.set(name, { name, value, path });
    }
  }
  return [...out.values()].filter((p) => p.value !== false);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assembleRoute(name: string, template: string, upstream: string, parts: ReadonlyArray<{ policy: Policy; compiled: CompiledPolicy }>, config: GatewayConfig, isPublic: boolean, audit: (e: AuthAuditEvent) => void): CompiledRoute {
  const setHeaders: string[] = [];
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
  if (bodyAt !== -1) handlers.splice(bodyAt, 0, readBodyStep());
  if (methods.length > 0 || !isPublic) handlers.splice(authAt === -1 ? handlers.length : Math.min(authAt, bodyAt === -1 ? authAt : bodyAt), 0, authenticateStep(methods, isPublic, audit));
  const setHeadersPlain: string[] = [];
  for (let i = 0; i < setHeaders.length; i += 2) {
    if (setHeaders[i] !== 'strict-transport-security') setHeadersPlain.push(setHeaders[i]!, setHeaders[i + 1]!);
  }
  const answersPreflight = parts.some((p) => p.compiled.answersPreflight === true);
  return { name, template, upstream, handlers, responseHandlers, endHandlers, responseBodyHandlers, setHeaders, setHeadersPlain, dropResponseHeaders: drop, dropRequestHeaders: dropRequest, dropRequestPrefixes: dropPrefixes, answersPreflight };
}

function auditSink(logger: Logger, channels: Channels): (e: AuthAuditEvent) => void {
  return ({ ctx, outcome, method, reason }) => {
    // The exact reason is for operators; the client got only the generic code.
    logger.info({ event: 'audit', type: 'authentication', outcome, method, reason, requestId: ctx.requestId, clientIp: ctx.clientIp, route: ctx.route, principal: ctx.principal?.id, credential: ctx.principal?.credentialId });
    if (channels.audit.hasSubscribers) channels.audit.publish({ ctx, type: 'authentication', outcome, method, reason });
  };
}

function policyAuditSink(logger: Logger, channels: Channels): (ctx: RequestContext, e: PolicyAuditEvent, policy: string) => void {
  return (ctx, { type, outcome, rule, reason }, policy) => {
    logger.info({ event: 'audit', type, outcome, policy, rule, reason, requestId: ctx.requestId, clientIp: ctx.clientIp, method: ctx.method, route: ctx.route, path: ctx.path, principal: ctx.principal?.id });
    if (channels.audit.hasSubscribers) channels.audit.publish({ ctx, type, outcome, method: policy, reason, rule });
  };
}
