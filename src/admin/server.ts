/**
 * The admin API, on its own listener (loopback by default): /healthz, /readyz and /metrics for
 * probes and Prometheus; with the admin token, the running configuration (secrets redacted),
 * API keys (list, create, rotate, revoke), active alerts and reload. Every authenticated action,
 * and every refused attempt, is an audit record.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayMetrics } from '../observe/metrics.js';
import type { Generation } from '../server/generation.js';
import { keyAdmin, KeyAdminError, type KeyAdmin } from './keys.js';
import { checkReadiness } from './readiness.js';
import { redactConfig } from './redact.js';

/** The admin listener's settings (the config's `admin` section). */
export type AdminSettings = NonNullable<GatewayConfig['admin']>;

/** What the admin API reads and drives. */
export interface AdminOptions {
  readonly settings: AdminSettings;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Writes an audit record. */
  readonly audit: (record: Readonly<Record<string, unknown>>) => void;
  /** The configuration serving now. */
  readonly current: () => Generation;
  /** Reloads the configuration file. */
  readonly reload: (reason: string) => Promise<{ readonly ok: boolean }>;
  /** Active alerts, when alerting is on. */
  readonly alerts?: () => readonly unknown[];
}

/** A running admin listener. */
export interface AdminServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

const MAX_BODY = 16_384;

/**
 * Starts the admin listener.
 *
 * @example
 * ```ts
 * const admin = await startAdminServer({ settings: config.admin, metrics, logger, audit, current: () => gen, reload });
 * ```
 */
export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const { settings, metrics, logger, audit } = options;
  const expected = tokenDigest(settings);
  let keys: KeyAdmin | undefined;
  const keysFor = (): KeyAdmin | undefined => {
    if (settings.keysFile === undefined) return undefined;
    keys ??= keyAdmin(resolve(options.current().loaded.baseDir, settings.keysFile));
    return keys;
  };

  const server = http.createServer({ maxHeaderSize: 16_384, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      logger.error({ event: 'internal_error', source: 'admin', err: error }, 'admin request failed');
      if (!res.headersSent) send(res, 500, { code: 'admin.internal_error' });
      else res.destroy();
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/readyz') {
      const report = await checkReadiness(options.current());
      return send(res, report.ready ? 200 : 503, report);
    }
    if (method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(await metrics.registry.metrics());
      return;
    }
    const action = `${method} ${path}`;
    const who = { clientIp: req.socket.remoteAddress, action };
    if (!authorized(req.headers.authorization, expected)) {
      audit({ type: 'admin', outcome: 'failure', reason: expected === undefined ? 'no admin token configured' : 'bad or missing admin token', ...who });
      return send(res, 401, { code: 'admin.unauthorized' }, [['www-authenticate', 'Bearer realm="portcullis-admin"']]);
    }
    const done = (outcome: 'success' | 'failure', reason?: string) => audit({ type: 'admin', outcome, principal: 'admin', ...(reason === undefined ? {} : { reason }), ...who });
    if (method === 'GET' && path === '/config') {
      done('success');
      return send(res, 200, redactConfig(options.current().loaded.config));
    }
    if (method === 'GET' && path === '/alerts') {
      done('success');
      return send(res, 200, { alerts: options.alerts?.() ?? [] });
    }
    if (method === 'POST' && path === '/reload') {
      const result = await options.reload('admin API');
      done(result.ok ? 'success' : 'failure');
      return send(res, result.ok ? 200 : 422, result);
    }
    if (path === '/keys' || path.startsWith('/keys/')) return handleKeys(req, res, url, keysFor(), done);
    done('failure', 'unknown endpoint');
    return send(res, 404, { code: 'admin.not_found' });
  };

  const handleKeys = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, admin: KeyAdmin | undefined, done: (o: 'success' | 'failure', r?: string) => void) => {
    if (admin === undefined) {
      done('failure', 'admin.keysFile not configured');
      return send(res, 404, { code: 'admin.keys_not_configured' });
    }
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter((p) => p !== '');
    try {
      if (method === 'GET' && parts.length === 1) {
        const prefix = url.searchParams.get('prefix') ?? undefined;
        done('success');
        return send(res, 200, { keys: await admin.list(prefix) });
      }
      const body = await readJson(req);
      if (method === 'POST' && parts.length === 1) {
        const created = await admin.create(body as never);
        done('success', `created key ${created.prefix} for ${created.id}`);
        await options.reload('admin API: key created');
        return send(res, 201, created);
      }
      const prefix = parts[1] ?? '';
      if (method === 'POST' && parts.length === 3 && parts[2] === 'rotate') {
        const graceUntil = typeof (body as { graceUntil?: unknown }).graceUntil === 'string' ? (body as { graceUntil: string }).graceUntil : undefined;
        const created = await admin.rotate(prefix, graceUntil);
        done('success', `rotated key ${prefix} to ${created.prefix}`);
        await options.reload('admin API: key rotated');
        return send(res, 201, created);
      }
      if (method === 'POST' && parts.length === 3 && parts[2] === 'revoke') {
        const revoked = await admin.revoke(prefix);
        done('success', `revoked key ${prefix}`);
        await options.reload('admin API: key revoked');
        return send(res, 200, revoked);
      }
      done('failure', 'unknown endpoint');
      return send(res, 404, { code: 'admin.not_found' });
    } catch (error) {
      if (error instanceof KeyAdminError || error instanceof SyntaxError) {
        done('failure', error.message);
        return send(res, error instanceof KeyAdminError ? error.status : 400, { code: 'admin.bad_request', detail: error.message });
      }
      throw error;
    }
  };

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(settings.port, settings.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

function tokenDigest(settings: AdminSettings): Buffer | undefined {
  if (settings.tokenSha256 !== undefined) return Buffer.from(settings.tokenSha256, 'hex');
  if (settings.tokenEnv !== undefined) {
    const token = process.env[settings.tokenEnv];
    if (token !== undefined && token.length >= 16) return createHash('sha256').update(token).digest();
  }
  return undefined;
}

// The token is compared as SHA-256 digests in constant time: no length or prefix leaks.
function authorized(header: string | undefined, expected: Buffer | undefined): boolean {
  if (expected === undefined || header === undefined || !header.startsWith('Bearer ') || header.length > 1024) return false;
  const presented = createHash('sha256').update(header.slice(7).trim()).digest();
  return timingSafeEqual(presented, expected);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new SyntaxError('body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SyntaxError('the body must be a JSON object');
  return value;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: ReadonlyArray<readonly [string, string]> = []): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...Object.fromEntries(headers) });
  res.end(text);
}
