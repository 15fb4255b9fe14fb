/**
 * A running gateway: compile a loaded configuration into a generation (see generation.ts), start
 * the listeners, reload atomically, and stop gracefully (in-flight requests finish, new
 * connections are refused, idle keep-alive connections close, stragglers are cut after
 * shutdownTimeoutMs).
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import type { Registry } from '../config/registry.js';
import { ConfigError, type ConfigIssue } from '../core/config-error.js';
import type { CoreErrorCode } from '../core/errors.js';
import { openAuditTrail, type AuditTrail } from '../observe/audit-trail.js';
import { createGatewayMetrics, type GatewayMetrics } from '../observe/metrics.js';
import { startAdminServer, type AdminServer } from '../admin/server.js';
import { createAlertEngine, type AlertEngine } from '../observe/alerts.js';
import { createWebhookSender, type WebhookSender } from '../observe/alert-webhook.js';
import { createOutboundClient } from '../outbound/client.js';
import { createTracer, type Tracer } from '../observe/tracing.js';
import { buildGeneration, retire, type Generation } from './generation.js';
import { coreDenial, createRequestListener } from './handler.js';
import { createHttpsServer, createPlainServer, createRedirectServer } from './listeners.js';

/** What startGateway needs. */
export interface GatewayOptions {
  /** A validated configuration (loadConfigFile / loadConfigText). */
  readonly loaded: LoadedConfig;
  /** The registry it was validated with. */
  readonly registry: Registry;
  /** Where logs go. */
  readonly logger: Logger;
}

/** What a reload did. */
export type ReloadResult =
  | { readonly ok: true; readonly routes: number }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** A gateway that is serving. */
export interface RunningGateway {
  /** The HTTPS listener's address, when configured. */
  readonly https: AddressInfo | undefined;
  /** The plain-HTTP listener's address (redirect or serve), when configured. */
  readonly http: AddressInfo | undefined;
  /** The admin listener's address, when configured. */
  readonly admin: AddressInfo | undefined;
  /**
   * Reads the configuration file again, validates and compiles it fully, then swaps it in; on
   * any mistake the running configuration stays and the reasons are returned (and logged).
   * Listener settings (ports, certificates' paths) need a restart. Reloads run one at a time.
   */
  reload(reason?: string): Promise<ReloadResult>;
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
 * process.on('SIGHUP', () => void gw.reload('SIGHUP'));
 * process.once('SIGTERM', () => void gw.close());
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { registry, logger } = options;
  const config = options.loaded.config;
  const trail = await openTrail(options.loaded, logger);
  const record = (r: Readonly<Record<string, unknown>>) => {
    if (config.audit.log) logger.info({ event: 'audit', ...r });
    trail?.record(r);
  };
  let current: Generation | undefined;
  const metrics: GatewayMetrics | undefined = config.admin === undefined ? undefined : createGatewayMetrics({
    health: () => current?.state.compiled.health() ?? [],
    ...(trail === undefined ? {} : { auditTrail: () => trail.status() }),
  });
  const alerting = startAlerting(config, logger, record);
  const tracing = startTracing(config, logger);
  const generationOptions = { registry, logger, sinks: trail === undefined ? {} : { audit: trail.record }, metrics, alerts: alerting?.engine, tracer: tracing?.tracer };
  try {
    current = await buildGeneration(options.loaded, generationOptions);
  } catch (error) {
    metrics?.close();
    await alerting?.close();
    await tracing?.close();
    await trail?.close();
    throw error;
  }
  record({ type: 'config', outcome: 'success', reason: 'loaded', file: options.loaded.file, routes: current.state.compiled.routes.length });
  let draining = false;
  const servers: http.Server[] = [];
  const listen = (server: http.Server, port: number, host: string) => new Promise<AddressInfo>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server.address() as AddressInfo);
    });
  });
  const getState = () => current!.state;
  const listener = createRequestListener(getState, 'https');
  const plainListener = createRequestListener(getState, 'http');
  const drainAware = (inner: typeof listener): typeof listener => (req, res) => {
    if (draining) res.shouldKeepAlive = false;
    inner(req, res);
  };
  const onRefusal = config.log.access
    ? (code: string, requestId: string, remote: string | undefined) => logger.info({ event: 'request', requestId, status: coreDenial(code as CoreErrorCode).status, decision: code, clientIp: remote, completed: true })
    : undefined;

  let reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, routes: 0 });
  const reload = (reason = 'requested'): Promise<ReloadResult> => {
    reloading = reloading.then(() => reloadOnce(reason), () => reloadOnce(reason));
    return reloading;
  };
  const reloadOnce = async (reason: string): Promise<ReloadResult> => {
    const running = current!;
    const file = running.loaded.file;
    const fail = (issues: readonly ConfigIssue[]): ReloadResult => {
      logger.error({ event: 'reload_failed', reason, issues: issues.map((i) => ({ path: i.path, line: i.line, message: i.message })) }, 'configuration reload refused: the running configuration stays');
      record({ type: 'config', outcome: 'failure', reason: `reload (${reason}) refused: ${issues.length} mistake(s)`, file });
      metrics?.reloaded('failure');
      return { ok: false, issues };
    };
    if (file === undefined) return fail([{ path: [], message: 'the configuration was not loaded from a file', severity: 'error' }]);
    let next: Generation;
    try {
      const loaded = await loadConfigFile(file, registry);
      if (JSON.stringify(loaded.config.server) !== JSON.stringify(running.loaded.config.server) || JSON.stringify(loaded.config.admin) !== JSON.stringify(running.loaded.config.admin) || JSON.stringify(loaded.config.audit) !== JSON.stringify(running.loaded.config.audit)) {
        logger.warn({ event: 'reload_needs_restart' }, 'server, admin and audit settings changed: they take effect at the next restart');
      }
      next = await buildGeneration(loaded, generationOptions);
    } catch (error) {
      if (error instanceof ConfigError) return fail(error.issues);
      return fail([{ path: [], message: `cannot be loaded: ${error instanceof Error ? error.message : String(error)}`, severity: 'error' }]);
    }
    current = next;
    retire(running, logger);
    const routes = next.state.compiled.routes.length;
    logger.info({ event: 'reloaded', reason, routes }, 'configuration reloaded');
    record({ type: 'config', outcome: 'success', reason: `reloaded (${reason})`, file, routes });
    metrics?.reloaded('success');
    return { ok: true, routes };
  };

  let httpsAddress: AddressInfo | undefined;
  let httpAddress: AddressInfo | undefined;
  let admin: AdminServer | undefined;
  const closeAll = async () => {
    await admin?.close();
    await current!.close();
    metrics?.close();
    await alerting?.close();
    await tracing?.close();
    await trail?.close();
  };
  try {
    if (config.server.https) {
      const tls = config.server.https;
      const server = createHttpsServer(config.server, {
        cert: readFileSync(resolve(options.loaded.baseDir, tls.cert)),
        key: readFileSync(resolve(options.loaded.baseDir, tls.key)),
        minVersion: tls.minVersion,
      }, drainAware(listener), current.state.compiled.fallback.setHeaders, onRefusal);
      servers.push(server);
      httpsAddress = await listen(server, tls.port, tls.host);
    }
    if (config.server.http) {
      const plain = config.server.http;
      const server = plain.redirect
        ? createRedirectServer(config.server, plain.redirectPort ?? httpsAddress?.port ?? 443, onRefusal)
        : createPlainServer(config.server, drainAware(plainListener), current.state.compiled.fallback.setHeadersPlain, onRefusal);
      servers.push(server);
      httpAddress = await listen(server, plain.port, plain.host);
    }
    if (config.admin !== undefined && metrics !== undefined) {
      admin = await startAdminServer({ settings: config.admin, metrics, logger, audit: record, current: () => current!, reload, ...(alerting === undefined ? {} : { alerts: () => alerting.engine.active() }) });
    }
  } catch (error) {
    for (const s of servers) s.close();
    await closeAll();
    throw error;
  }
  logger.info({ event: 'started', https: httpsAddress, http: httpAddress, admin: admin?.address, routes: current.state.compiled.routes.length }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    https: httpsAddress,
    http: httpAddress,
    admin: admin?.address,
    reload,
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
        await reloading.catch(() => undefined);
        await closeAll();
        logger.info({ event: 'stopped' }, 'gateway stopped');
      })();
      return closing;
    },
  };
}

/**
 * The alert engine of the gateway's rules, notifying the log, the audit trail and the webhook.
 * Rules and webhook come from the configuration the gateway started with.
 */
function startAlerting(config: LoadedConfig['config'], logger: Logger, record: (r: Readonly<Record<string, unknown>>) => void): { engine: AlertEngine; close(): Promise<void> } | undefined {
  const settings = config.alerts;
  if (settings.rules.length === 0) return undefined;
  let webhook: WebhookSender | undefined;
  let outbound: ReturnType<typeof createOutboundClient> | undefined;
  if (settings.webhook !== undefined) {
    const secret = process.env[settings.webhook.secretEnv];
    if (secret === undefined || secret.length < 16) {
      logger.error({ event: 'alert_webhook_disabled', env: settings.webhook.secretEnv }, 'alerts.webhook.secretEnv is not set (at least 16 characters): alert webhooks are off');
    } else {
      outbound = createOutboundClient(config.outbound);
      webhook = createWebhookSender({ url: settings.webhook.url, secret, outbound, logger, retries: settings.webhook.retries, backoffMs: settings.webhook.backoffMs, timeoutMs: settings.webhook.timeoutMs });
    }
  }
  const engine = createAlertEngine({
    rules: settings.rules,
    notify: (e) => {
      logger.warn({ event: 'alert', state: e.event, alert: e.alert }, `alert ${e.event}: ${e.alert.rule} for ${e.alert.per} ${e.alert.key}`);
      record({ type: 'alert', outcome: 'failure', rule: e.alert.rule, reason: `${e.event}: ${e.alert.per} ${e.alert.key}, ${e.alert.count} in the window` });
      webhook?.send(e);
    },
  });
  return {
    engine,
    async close() {
      engine.close();
      webhook?.close();
      await outbound?.close();
    },
  };
}

function startTracing(config: LoadedConfig['config'], logger: Logger): { tracer: Tracer; close(): Promise<void> } | undefined {
  const settings = config.tracing;
  if (settings.otlpEndpoint === undefined) return undefined;
  const outbound = createOutboundClient(config.outbound);
  const tracer = createTracer({ endpoint: settings.otlpEndpoint, serviceName: settings.serviceName, sampleRatio: settings.sampleRatio, outbound, logger });
  return {
    tracer,
    async close() {
      await tracer.close();
      await outbound.close();
    },
  };
}

async function openTrail(loaded: LoadedConfig, logger: Logger): Promise<AuditTrail | undefined> {
  const settings = loaded.config.audit;
  if (settings.file === undefined) return undefined;
  let key: string | undefined;
  if (settings.keyEnv !== undefined) {
    key = process.env[settings.keyEnv];
    if (key === undefined || key.length < 16) throw new ConfigError([loaded.locate({ path: ['audit', 'keyEnv'], message: `environment variable ${settings.keyEnv} must hold the trail's HMAC key (at least 16 characters)`, severity: 'error' })]);
  }
  try {
    return await openAuditTrail({ file: resolve(loaded.baseDir, settings.file), maxFileBytes: settings.maxFileBytes, keepFiles: settings.keepFiles, maxQueue: settings.maxQueue, logger, ...(key === undefined ? {} : { key }) });
  } catch (error) {
    throw new ConfigError([loaded.locate({ path: ['audit', 'file'], message: `cannot be opened for appending (${(error as NodeJS.ErrnoException).code ?? 'error'})`, severity: 'error' })]);
  }
}
