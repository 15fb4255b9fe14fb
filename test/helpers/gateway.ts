/**
 * A real gateway for integration tests: development certificates written into a fresh temp
 * directory, a node:http upstream on 127.0.0.1:0, the YAML loaded exactly as `portcullis start`
 * loads it, and a logger that collects every JSON line in memory. Everything listens on port 0;
 * close() stops all of it and removes the directory.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';
import { createRegistry, type Registry } from '../../src/config/registry.js';
import type { Policy } from '../../src/core/policy.js';
import { generateDevCertificates, type DevCertificates } from '../../src/demo/certs.js';
import { createLogger } from '../../src/observe/logger.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';

/** A request the upstream received, with its body. */
export interface UpstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** The body bytes that arrived. */
  readonly body: Buffer;
  /** False when the request was cut off before its end. */
  readonly complete: boolean;
}

/** One parsed log line. */
export type LogLine = Record<string, unknown>;

/** A plain object merged into the default configuration (objects merge, arrays and scalars replace). */
export type ConfigOverrides = Record<string, unknown>;

/** Options of {@link startTestGateway}. */
export interface TestGatewayOptions {
  /** The whole YAML text, given the upstream's URL (certificates are `server.pem` / `server-key.pem`). */
  readonly yaml?: (upstreamUrl: string) => string;
  /** Merged into the default configuration (ignored when `yaml` is given). */
  readonly config?: ConfigOverrides;
  /** HTTPS listener (default) or a plain-HTTP serving listener (`redirect: false`). */
  readonly tls?: boolean;
  /** Where log lines are collected (a fresh array by default). */
  readonly logLines?: LogLine[];
  /**
   * The upstream's handler. The default answers 200 with a JSON echo of the request (method,
   * url, headers, body length). Every request is recorded in `upstream.requests` either way,
   * once its body has been read or it was cut off (see `complete`).
   */
  readonly upstream?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Policies of the registry (default: the built-ins). */
  readonly policies?: readonly Policy[];
  /** Write the config to `portcullis.yaml` and load it from there (so reload() can read it again). */
  readonly fromFile?: boolean;
  /** Extra files written beside the config (an OpenAPI document …), name → content. */
  readonly files?: Readonly<Record<string, string>>;
}

/** A running test gateway. */
export interface TestGateway {
  /** `https://127.0.0.1:<port>` when the HTTPS listener is on (the certificate covers it). */
  readonly httpsUrl: string | undefined;
  /** `http://127.0.0.1:<port>` when a plain-HTTP listener is on. */
  readonly httpUrl: string | undefined;
  /** The URL clients should use: HTTPS when on, else plain HTTP. */
  readonly url: string;
  /** The HTTPS listener's port (0 when off). */
  readonly httpsPort: number;
  /** The plain-HTTP listener's port (0 when off). */
  readonly httpPort: number;
  /** The development CA to trust. */
  readonly ca: string;
  /** Parsed JSON log lines, in order. */
  readonly logs: LogLine[];
  /** Everything the logger wrote, verbatim. */
  logText(): string;
  /** The access-log lines (`event: 'request'`). */
  accessLogs(): LogLine[];
  /** The first log line (already written or still to come) that `match` accepts; rejects after timeoutMs (default 3000). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The upstream. */
  readonly upstream: {
    readonly url: string;
    readonly port: number;
    readonly server: http.Server;
    /** What the upstream received, in order. */
    readonly requests: UpstreamRequest[];
    /** Resolves once `count` requests have been recorded; rejects after timeoutMs (default 3000). */
    recorded(count: number, timeoutMs?: number): Promise<void>;
  };
  /** The registry the config was loaded with. */
  readonly registry: Registry;
  /** The gateway itself. */
  readonly gateway: RunningGateway;
  /** The temp directory (certificates). */
  readonly dir: string;
  /** Stops the gateway and the upstream and removes the directory. */
  close(): Promise<void>;
}

let certificates: Promise<DevCertificates> | undefined;

/** One set of development certificates per test process. */
export function testCertificates(): Promise<DevCertificates> {
  certificates ??= generateDevCertificates();
  return certificates;
}

/**
 * Starts an upstream and a gateway in front of it.
 *
 * @example
 * ```ts
 * const gw = await startTestGateway({ config: { server: { headersTimeoutMs: 300 } } });
 * t.after(() => gw.close());
 * ```
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const useTls = options.tls ?? true;
  const certs = await testCertificates();
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-test-'));
  await writeFile(join(dir, 'server.pem'), certs.certPem);
  await writeFile(join(dir, 'server-key.pem'), certs.keyPem, { mode: 0o600 });
  await writeFile(join(dir, 'ca.pem'), certs.caPem);
  for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), content);

  const requests: UpstreamRequest[] = [];
  const upstreamEvents = new EventEmitter();
  const handler = options.upstream ?? echo;
  const upstreamServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), complete: req.complete });
      upstreamEvents.emit('recorded');
    };
    req.once('end', record);
    req.once('close', record);
    handler(req, res);
  });
  await listen(upstreamServer);
  const upstreamPort = (upstreamServer.address() as AddressInfo).port;
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

  const text = options.yaml ? options.yaml(upstreamUrl) : stringify(merge(defaultConfig(upstreamUrl, useTls), options.config ?? {}));
  const logs = options.logLines ?? [];
  let raw = '';
  const written = new EventEmitter();
  const registry = createRegistry(options.policies ?? builtinPolicies);
  let gateway: RunningGateway;
  try {
    let loaded;
    if (options.fromFile === true) {
      await writeFile(join(dir, 'portcullis.yaml'), text);
      loaded = await loadConfigFile(join(dir, 'portcullis.yaml'), registry);
    } else {
      loaded = loadConfigText(text, { registry, baseDir: dir });
    }
    const logger = createLogger(loaded.config.log, {
      write(line: string) {
        raw += line;
        const parsed = JSON.parse(line) as LogLine;
        logs.push(parsed);
        written.emit('line', parsed);
      },
    });
    gateway = await startGateway({ loaded, registry, logger });
  } catch (error) {
    await new Promise<void>((ok) => upstreamServer.close(() => ok()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const httpsPort = gateway.https?.port ?? 0;
  const httpPort = gateway.http?.port ?? 0;
  const httpsUrl = gateway.https ? `https://127.0.0.1:${httpsPort}` : undefined;
  const httpUrl = gateway.http ? `http://127.0.0.1:${httpPort}` : undefined;
  let closed: Promise<void> | undefined;
  return {
    httpsUrl,
    httpUrl,
    url: httpsUrl ?? httpUrl!,
    httpsPort,
    httpPort,
    ca: certs.caPem,
    logs,
    logText: () => raw,
    accessLogs: () => logs.filter((l) => l.event === 'request'),
    waitForLog: (match, timeoutMs = 3000) => {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((ok, fail) => {
        const onLine = (line: LogLine) => {
          if (!match(line)) return;
          clearTimeout(timer);
          written.off('line', onLine);
          ok(line);
        };
        const timer = setTimeout(() => {
          written.off('line', onLine);
          fail(new Error(`no matching log line within ${timeoutMs} ms`));
        }, timeoutMs);
        written.on('line', onLine);
      });
    },
    upstream: {
      url: upstreamUrl,
      port: upstreamPort,
      server: upstreamServer,
      requests,
      recorded: (count, timeoutMs = 3000) => new Promise<void>((ok, fail) => {
        if (requests.length >= count) return ok();
        const onRecorded = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          upstreamEvents.off('recorded', onRecorded);
          ok();
        };
        const timer = setTimeout(() => {
          upstreamEvents.off('recorded', onRecorded);
          fail(new Error(`the upstream recorded ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        upstreamEvents.on('recorded', onRecorded);
      }),
    },
    registry,
    gateway,
    dir,
    close() {
      closed ??= (async () => {
        upstreamServer.closeAllConnections();
        await Promise.all([gateway.close(), new Promise<void>((ok) => upstreamServer.close(() => ok()))]);
        await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/**
 * The default configuration: one upstream `api`, one route `/api/*` taking the usual methods,
 * size-limit and security-headers at their defaults.
 */
function defaultConfig(upstreamUrl: string, useTls: boolean): ConfigOverrides {
  return {
    server: useTls
      ? { https: { host: '127.0.0.1', port: 0, cert: 'server.pem', key: 'server-key.pem' } }
      : { http: { host: '127.0.0.1', port: 0, redirect: false } },
    upstreams: { api: { url: upstreamUrl } },
    routes: [{ path: '/api/*', methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], upstream: 'api', public: true }],
  };
}

function merge(base: ConfigOverrides, overrides: ConfigOverrides): ConfigOverrides {
  const out: ConfigOverrides = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is ConfigOverrides {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The default upstream: 200 with what it received. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  let length = 0;
  req.on('data', (c: Buffer) => { length += c.length; });
  req.once('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: length });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

function listen(server: http.Server): Promise<void> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
}
