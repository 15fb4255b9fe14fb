/**
 * One generation of the gateway's configuration: the outbound client, the compiled policies, the
 * router and upstream pools, built together and closed together. A reload builds a whole new
 * generation beside the running one and swaps it in atomically; requests in flight keep the
 * generation they started with, and an old generation closes when its last request ends.
 */
import type { Logger } from 'pino';
import { compileGateway, type CompiledGateway, type CompileSinks } from '../config/compile.js';
import type { LoadedConfig } from '../config/load.js';
import type { Registry } from '../config/registry.js';
import { getChannels } from '../core/channels.js';
import { createAccessLogger } from '../observe/access-log.js';
import { headerRedactionSet } from '../observe/logger.js';
import type { GatewayMetrics } from '../observe/metrics.js';
import type { AlertEngine } from '../observe/alerts.js';
import type { Tracer } from '../observe/tracing.js';
import { createOutboundClient } from '../outbound/client.js';
import { createUpstreamClient, type UpstreamClient } from '../proxy/upstream.js';
import { createClientIpResolver, createForwardedHttpsResolver } from './client-ip.js';
import { forwardCallbacks, type HandlerState } from './handler.js';
import { createRouter } from './router.js';

/** A compiled configuration with everything it opened. */
export interface Generation {
  /** What it was built from. */
  readonly loaded: LoadedConfig;
  /** The request path's state. */
  readonly state: HandlerState;
  /** Releases pools, policies and the outbound client (once). */
  close(): Promise<void>;
}

/** What building a generation needs besides the config. */
export interface GenerationOptions {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly sinks: CompileSinks;
  readonly metrics: GatewayMetrics | undefined;
  readonly alerts: AlertEngine | undefined;
  readonly tracer: Tracer | undefined;
}

/**
 * Compiles a loaded configuration into a generation and runs its policies' ready(). Throws
 * ConfigError (nothing left open) when a policy refuses its config.
 *
 * @example
 * ```ts
 * const next = await buildGeneration(loaded, { registry, logger, sinks: {}, metrics: undefined });
 * ```
 */
export async function buildGeneration(loaded: LoadedConfig, options: GenerationOptions): Promise<Generation> {
  const outbound = createOutboundClient(loaded.config.outbound);
  let compiled: CompiledGateway;
  try {
    compiled = compileGateway(loaded, options.registry, options.logger, outbound, options.tracer === undefined ? options.sinks : { ...options.sinks, wrapStep: options.tracer.wrap });
  } catch (error) {
    await outbound.close();
    throw error;
  }
  for (const w of compiled.warnings) options.logger.warn({ event: 'config_warning', path: w.path, line: w.line }, w.message);
  const state = buildState(compiled, options.logger, options.metrics, options.alerts, options.tracer);
  let closing: Promise<void> | undefined;
  const generation: Generation = {
    loaded,
    state,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...state.upstreams.values()].map((u) => u.close()));
        await compiled.close();
        await outbound.close();
      })();
      return closing;
    },
  };
  await compiled.ready();
  return generation;
}

/**
 * Retires a generation that a reload replaced: closes it now if no request is using it, else
 * when its last request ends.
 *
 * @example
 * ```ts
 * retire(old);
 * ```
 */
export function retire(generation: Generation, logger: Logger): void {
  const close = () => {
    generation.state.onIdle = undefined;
    generation.close().catch((error: unknown) => logger.error({ event: 'internal_error', source: 'reload', err: error }, 'closing the replaced configuration failed'));
  };
  if (generation.state.inflight === 0) close();
  else generation.state.onIdle = close;
}

function buildState(compiled: CompiledGateway, logger: Logger, metrics: GatewayMetrics | undefined, alerts: AlertEngine | undefined, tracer: Tracer | undefined): HandlerState {
  const config = compiled.config;
  const upstreams = new Map<string, UpstreamClient>();
  for (const [name, upstream] of Object.entries(config.upstreams)) upstreams.set(name, createUpstreamClient(name, upstream));
  const state: HandlerState = {
    compiled,
    router: createRouter(compiled.routes, compiled.routes.map((r) => r.methods)),
    upstreams,
    clientIp: createClientIpResolver(config.server.trustedProxies),
    forwardedHttps: createForwardedHttpsResolver(config.server.trustedProxies),
    logger,
    accessLog: config.log.access ? createAccessLogger(logger, { includeHeaders: config.log.includeHeaders, redact: headerRedactionSet([...config.log.redactHeaders, ...compiled.credentialHeaders]) }) : undefined,
    channels: getChannels(),
    maxRawHeaders: config.server.maxHeadersCount * 2,
    forwardCallbacks: forwardCallbacks(() => state),
    ...(metrics === undefined ? {} : { metrics }),
    ...(alerts === undefined ? {} : { alerts }),
    ...(tracer === undefined ? {} : { tracer }),
    inflight: 0,
    onIdle: undefined,
  };
  return state;
}
