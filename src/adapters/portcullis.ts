/**
 * `portcullis(config)`: the gateway's policies built for an app. The config is validated by the
 * gateway's loader and compiled by its compiler (the same pipelines, the same error paths), the
 * policies made ready (first JWKS fetch, Redis connection), and the result handed to an adapter
 * (Express, Fastify, node:http) or run directly with `run(req, res)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { compileGateway, type CompiledGateway } from '../config/compile.js';
import { createRegistry } from '../config/registry.js';
import { getChannels } from '../core/channels.js';
import { ConfigError, type ConfigIssue } from '../core/config-error.js';
import type { RequestContext } from '../core/context.js';
import type { ComponentHealth, Policy } from '../core/policy.js';
import { createLogger } from '../observe/logger.js';
import { createOutboundClient } from '../outbound/client.js';
import { builtinPolicies } from '../policies/index.js';
import { createClientIpResolver, createForwardedHttpsResolver } from '../server/client-ip.js';
import { createRouter } from '../server/router.js';
import { authorizeObject, type ObjectDecision, type ObjectRule } from './authorize-object.js';
import { loadAppConfig, type PortcullisConfig } from './config.js';
import { appRoute, type AppRoute, type Engine, type Unmatched } from './engine.js';
import { runRaw, type GuardedRequest, type RunResult } from './raw.js';

/** A route the guard serves, for `include` and for listing. */
export interface RouteSummary {
  readonly name: string;
  readonly path: string;
  readonly methods: readonly string[];
  readonly public: boolean;
}

/** Options of {@link portcullis}. */
export interface PortcullisOptions {
  /** Proxies in front of the app whose X-Forwarded-For / -Proto are believed (addresses or CIDRs), as server.trustedProxies. Default none. */
  readonly trustedProxies?: readonly string[];
  /** A request to a path no route names: `next` (default) lets the app answer it; `deny` answers 404 as the gateway does. A configured path with an unlisted method is always 405. */
  readonly unmatched?: Unmatched;
  /** Directory relative file names (keysFile, openapi.document) are resolved against. Default process.cwd(). */
  readonly baseDir?: string;
  /** A pino logger (Fastify's `app.log` is one). Default: JSON lines on stdout at config.log.level. */
  readonly logger?: Logger;
  /** Serve only the routes this accepts (a subset of the config). Default all. */
  readonly include?: (route: RouteSummary) => boolean;
  /** Your own policies (definePolicy), beside the built-in ones. */
  readonly policies?: readonly Policy[];
  /** Receives every audit record (authentication, authorization, rate limits …), free of secrets. */
  readonly audit?: (record: Readonly<Record<string, unknown>>) => void;
  /** Largest app response buffered on routes with response-body policies; larger → 502. Default 10 MiB. */
  readonly maxResponseBytes?: number;
}

/** The guard built from a config. */
export interface Portcullis {
  /** The routes it serves. */
  readonly routes: readonly RouteSummary[];
  /** Risky but valid settings (the warnings `portcullis check` prints), also logged. */
  readonly warnings: readonly ConfigIssue[];
  /**
   * Runs the guard on a node:http request: a refusal is answered and `refused` returned;
   * otherwise the app continues, with `req.principal` set and the response's head (and on
   * routes with response-body policies, its body) checked on the way out. Never rejects.
   */
  run(req: IncomingMessage, res: ServerResponse): RunResult | Promise<RunResult>;
  /** {@link authorizeObject} for a guarded request, recorded in the audit trail like the policy's decisions. */
  authorize(req: IncomingMessage, resource: unknown, rule: ObjectRule): ObjectDecision;
  /** The health of what the policies depend on (JWKS, stores). */
  health(): ComponentHealth[];
  /** Releases what the policies opened (Redis connections, timers). */
  close(): Promise<void>;
}

const engines = new WeakMap<Portcullis, Engine>();

/**
 * The engine behind a guard (for the adapters).
 *
 * @example
 * ```ts
 * const engine = engineOf(guard);
 * ```
 */
export function engineOf(guard: Portcullis): Engine {
  const engine = engines.get(guard);
  if (engine === undefined) throw new TypeError('not a guard built by portcullis()');
  return engine;
}

/**
 * Builds the guard: validates the config (ConfigError with every mistake and its path, as
 * `portcullis check`), compiles every policy, and runs their ready() (a failing one is logged and
 * fails closed, as in the gateway).
 *
 * @example
 * ```ts
 * const guard = await portcullis({
 *   defaults: { policies: { 'api-key': { keysFile: 'keys.yaml' }, rbac: { roles: { reader: { permissions: ['read'] } } } } },
 *   routes: [{ path: '/api/tasks', methods: ['GET'], policies: { rbac: { require: ['read'] } } }],
 * }, { unmatched: 'deny' });
 * ```
 */
export async function portcullis<Extra extends object = Record<never, never>>(config: PortcullisConfig<Extra>, options: PortcullisOptions = {}): Promise<Portcullis> {
  const unmatched = options.unmatched ?? 'next';
  if (unmatched !== 'next' && unmatched !== 'deny') throw new TypeError('options.unmatched must be \'next\' or \'deny\'');
  const maxResponseBytes = options.maxResponseBytes ?? 10_485_760;
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) throw new TypeError('options.maxResponseBytes must be a positive integer');
  const registry = createRegistry(options.policies === undefined ? builtinPolicies : [...builtinPolicies, ...options.policies]);
  const all = loadAppConfig(config, { registry, baseDir: options.baseDir ?? process.cwd(), ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }) });
  const include = options.include;
  const loaded = include === undefined ? all : { ...all, routes: all.routes.filter((r) => include({ name: r.name, path: r.path, methods: r.methods, public: r.public })) };
  if (loaded.routes.length === 0) throw new ConfigError([{ path: ['routes'], message: 'options.include selected no route', severity: 'error' }]);
  const logger = options.logger ?? createLogger({ level: loaded.config.log.level, redactHeaders: loaded.config.log.redactHeaders });
  const outbound = createOutboundClient(loaded.config.outbound);
  let compiled: CompiledGateway;
  try {
    compiled = compileGateway(loaded, registry, logger, outbound, options.audit === undefined ? {} : { audit: options.audit });
  } catch (error) {
    await outbound.close();
    throw error;
  }
  const warnings = [...loaded.warnings, ...compiled.warnings];
  for (const w of warnings) logger.warn({ event: 'config_warning', path: w.path }, w.message);
  const { trustedProxies } = loaded.config.server;
  const engine: Engine = {
    compiled,
    router: createRouter(compiled.routes, compiled.routes.map((r) => r.methods)),
    apps: new Map(compiled.routes.map((r): [typeof r, AppRoute] => [r, appRoute(r)])),
    fallback: appRoute(compiled.fallback),
    clientIp: createClientIpResolver(trustedProxies),
    forwardedHttps: createForwardedHttpsResolver(trustedProxies),
    unmatched,
    logger,
    channels: getChannels(),
    maxResponseBytes,
  };
  await compiled.ready();
  const record = auditRecorder(engine, loaded.config.audit.log, options.audit);
  let closing: Promise<void> | undefined;
  const guard: Portcullis = {
    routes: compiled.routes.map((r) => Object.freeze({ name: r.name, path: r.template, methods: r.methods, public: r.public })),
    warnings,
    run: (req, res) => runRaw(engine, req, res),
    authorize(req, resource, rule) {
      const guarded = req as GuardedRequest;
      const decision = authorizeObject(guarded.principal, resource, rule);
      record(guarded.portcullis as RequestContext | undefined, guarded.principal?.id, decision);
      return decision;
    },
    health: () => compiled.health(),
    close() {
      closing ??= (async () => {
        await compiled.close();
        await outbound.close();
      })();
      return closing;
    },
  };
  engines.set(guard, engine);
  return guard;
}

type DecisionRecorder = (ctx: RequestContext | undefined, principal: string | undefined, decision: ObjectDecision) => void;

/** Records an in-handler ownership decision like the object-level policy's (log line, sink, channel). */
function auditRecorder(engine: Engine, log: boolean, sink: PortcullisOptions['audit']): DecisionRecorder {
  return (ctx, principal, decision) => {
    const outcome = decision.allowed ? 'success' : 'failure';
    const reason = decision.allowed ? undefined : decision.reason;
    const record = { type: 'authorization', outcome, policy: 'object-level', rule: decision.rule, reason, requestId: ctx?.requestId, clientIp: ctx?.clientIp, method: ctx?.method, route: ctx?.route, path: ctx?.path, principal };
    if (log) engine.logger.info({ event: 'audit', ...record });
    sink?.(record);
    if (ctx !== undefined && engine.channels.audit.hasSubscribers) engine.channels.audit.publish({ ctx, type: 'authorization', outcome, method: 'object-level', reason, rule: decision.rule });
  };
}
