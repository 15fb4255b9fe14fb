/**
 * A running gateway: compile a loaded configuration, open upstream pools, start the listeners,
 * and stop gracefully (in-flight requests finish, new connections are refused, idle keep-alive
 * connections close, stragglers are cut after shutdownTimeoutMs).
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { compileGateway, type CompiledGateway } from '../config/compile.js';
import type { LoadedConfig } from '../config/load.js';
import type { Registry } from '../config/registry.js';
import { getChannels } from '../core/channels.js';
import { createAccessLogger } from '../observe/access-log.js';
import { headerRedactionSet } from '../observe/logger.js';
import { createUpstreamClient, type UpstreamClient } from '../proxy/upstream.js';
import { createOutboundClient } from '../outbound/client.js';
import { createClientIpResolver, createForwardedHttpsResolver } from './client-ip.js';
import { coreDenial, createRequestListener, forwardCallbacks, type HandlerState } from './handler.js';
import type { CoreErrorCode } from '../core/errors.js';
import { createHttpsServer, createPlainServer, createRedirectServer } from './listeners.js';
import { createRouter } from './router.js';

/** What startGateway needs. */
export interface GatewayOptions {
  /** A validated configuration (loadConfigFile / loadConfigText). */
  readonly loaded: LoadedConfig;
  /** The registry it was validated with. */
  readonly registry: Registry;
  /** Where logs go. */
  readonly logger: Logger;
}

/** A gateway that is serving. */
export interface RunningGateway {
  /** The HTTPS listener's address, when configured. */
  readonly https: AddressInfo | undefined;
  /** The plain-HTTP listener's address (redirect or serve), when configured. */
  readonly http: AddressInfo | undefined;
  /** Stops gracefully; resolves when every connection is closed and pools are drained. */
  close(): Promise<void>;
}

/**
 * Compiles the configuration and starts listening. Rejects with ConfigError on bad config and
 * with the listen error (EADDRINUSE …) when a port is taken; nothing is left open on failure.
 *
 * @example
 * ```ts
 * const gw = await startGateway({ loaded, registry, logger });
 * process.once('SIGTERM', () => void gw.close());
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { loaded, registry, logger } = options;
  const config = loaded.config;
  const outbound = createOutboundClient(config.outbound);
  let compiled: CompiledGateway;
  try {
    compiled = compileGateway(loaded, registry, logger, outbound);
  } catch (error) {
    await outbound.close();
    throw error;
  }
  for (const w of compiled.warnings) logger.warn({ event: 'config_warning', path: w.path, line: w.line }, w.message);
  const state = buildState(compiled, logger);
  const closeAll = async () => {
    await closeState(state);
    await outbound.close();
  };
  let draining = false;
  const servers: http.Server[] = [];
  const listen = (server: http.Server, port: number, host: string) => new Promise<AddressInfo>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server.address() as AddressInfo);
    });
  });
  const listener = createRequestListener(() => state, 'https');
  const plainListener = createRequestListener(() => state, 'http');
  const drainAware = (inner: typeof listener): typeof listener => (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    inner(req, res);
  };
  const onRefusal = config.log.access
    ? (code: string, requestId: string, remote: string | undefined) => logger.info({ event: 'request', requestId, status: coreDenial(code as CoreErrorCode).status, decision: code, clientIp: remote, completed: true })
    : undefined;
  let httpsAddress: AddressInfo | undefined;
  let httpAddress: AddressInfo | undefined;
  try {
    await compiled.ready();
    if (config.server.https) {
      const tls = config.server.https;
      const server = createHttpsServer(config.server, {
        cert: readFileSync(resolve(loaded.baseDir, tls.cert)),
        key: readFileSync(resolve(loaded.baseDir, tls.key)),
        minVersion: tls.minVersion,
      }, drainAware(listener), compiled.fallback.setHeaders, onRefusal);
      servers.push(server);
      httpsAddress = await listen(server, tls.port, tls.host);
    }
    if (config.server.http) {
      const plain = config.server.http;
      const server = plain.redirect
        ? createRedirectServer(config.server, plain.redirectPort ?? httpsAddress?.port ?? 443, onRefusal)
        : createPlainServer(config.server, drainAware(plainListener), compiled.fallback.setHeadersPlain, onRefusal);
      servers.push(server);
      httpAddress = await listen(server, plain.port, plain.host);
    }
  } catch (error) {
    for (const s of servers) s.close();
    await closeAll();
    throw error;
  }
  logger.info({ event: 'started', https: httpsAddress, http: httpAddress, routes: compiled.routes.length }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    https: httpsAddress,
    http: httpAddress,
    close() {
      closing ??= (async () => {
        draining = true;
        logger.info({ event: 'stopping' }, 'draining connections');
        const closed = servers.map((s) => new Promise<void>((ok) => s.close(() => ok())));
        for (const s of servers) s.closeIdleConnections();
        const timer = setTimeout(() => {
          logger.warn({ event: 'shutdown_timeout' }, 'closing connections still open after shutdownTimeoutMs');
          for (const s of servers) s.closeAllConnections();
        }, config.server.shutdownTimeoutMs);
        timer.unref();
        await Promise.all(closed);
        clearTimeout(timer);
        await closeAll();
        logger.info({ event: 'stopped' }, 'gateway stopped');
      })();
      return closing;
    },
  };
}

function buildState(compiled: CompiledGateway, logger: Logger): HandlerState {
  const config = compiled.config;
  const upstreams = new Map<string, UpstreamClient>();
  for (const [name, upstream] of Object.entries(config.upstreams)) upstreams.set(name, createUpstreamClient(name, upstream));
  const state: HandlerState = {
    compiled,
    router: createRouter(compiled.routes, config.routes.map((r) => r.methods)),
    upstreams,
    clientIp: createClientIpResolver(config.server.trustedProxies),
    forwardedHttps: createForwardedHttpsResolver(config.server.trustedProxies),
    logger,
    accessLog: config.log.access ? createAccessLogger(logger, { includeHeaders: config.log.includeHeaders, redact: headerRedactionSet([...config.log.redactHeaders, ...compiled.credentialHeaders]) }) : undefined,
    channels: getChannels(),
    maxRawHeaders: config.server.maxHeadersCount * 2,
    forwardCallbacks: forwardCallbacks(() => state),
  };
  return state;
}

async function closeState(state: HandlerState): Promise<void> {
  await Promise.allSettled([...state.upstreams.values()].map((u) => u.close()));
  await state.compiled.close();
}
