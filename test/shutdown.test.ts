/**
 * Graceful shutdown of `portcullis start` as a real process: on SIGTERM, a request in flight
 * completes, new connections are refused, and the process exits 0; requests that outlive
 * shutdownTimeoutMs are cut so the process still exits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/portcullis.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

type LogLine = Record<string, unknown>;

/** A `portcullis start` child process with its stdout parsed into log lines. */
interface Cli {
  readonly child: ChildProcess;
  readonly port: number;
  /** The first stdout line (seen or to come) that `match` accepts. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  stderr(): string;
}

async function startCli(configText: string, dir: string): Promise<Cli> {
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, configText);
  const child = spawn(process.execPath, [BIN, 'start', '--config', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of waiters) w(line);
  });
  let errText = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { errText += c; });
  const exited = new Promise<number | string>((ok) => child.once('exit', (code, signal) => ok(code ?? signal ?? -1)));
  const waitForLine = (match: (line: LogLine) => boolean, timeoutMs = 15_000) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((ok, fail) => {
      const waiter = (line: LogLine) => {
        if (!match(line)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        ok(line);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        fail(new Error(`no matching line within ${timeoutMs} ms; stderr: ${errText}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then(() => {
        if (!waiters.has(waiter)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        fail(new Error(`process exited before the line; stderr: ${errText}`));
      });
    });
  };
  const started = await waitForLine((l) => l.event === 'started');
  return { child, port: (started.http as AddressInfo).port, waitForLine, exited, stderr: () => errText };
}

function configFor(upstreamPort: number, shutdownTimeoutMs = 10_000): string {
  return `
server:
  http: { host: 127.0.0.1, port: 0, redirect: false }
  shutdownTimeoutMs: ${shutdownTimeoutMs}
upstreams:
  api: { url: "http://127.0.0.1:${upstreamPort}" }
routes:
  - { path: /api/*, methods: [GET], upstream: api, public: true }
`;
}

/** GET over a fresh connection; resolves with status and body, or the error. */
function get(port: number, path: string): Promise<{ status: number; body: string } | { error: NodeJS.ErrnoException }> {
  return new Promise((ok) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, signal: AbortSignal.timeout(15_000) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.once('end', () => ok({ status: res.statusCode ?? 0, body }));
      res.once('error', (error) => ok({ error }));
    });
    req.once('error', (error) => ok({ error }));
  });
}

/** Tries a TCP connection; resolves with the error code, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((ok) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      ok('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => ok(error.code ?? 'error'));
  });
}

/** An upstream that holds each request until released (bounded by a fallback timer). */
async function holdingUpstream() {
  let arrived!: () => void;
  const requestArrived = new Promise<void>((ok) => { arrived = ok; });
  let release!: () => void;
  const released = new Promise<void>((ok) => { release = ok; });
  const fallback = setTimeout(release, 10_000);
  const server = http.createServer((req, res) => {
    req.resume();
    arrived();
    void released.then(() => res.end('slow answer'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    requestArrived,
    release: () => { clearTimeout(fallback); release(); },
    close: () => {
      clearTimeout(fallback);
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

describe('SIGTERM while a request is in flight', () => {
  let dir: string;
  let upstream: Awaited<ReturnType<typeof holdingUpstream>>;
  let cli: Cli;
  let inFlight: Awaited<ReturnType<typeof get>>;
  let afterSignal: string;
  let exitCode: number | string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-shutdown-'));
    upstream = await holdingUpstream();
    cli = await startCli(configFor(upstream.port), dir);
    const pending = get(cli.port, '/api/slow');
    await upstream.requestArrived;
    cli.child.kill('SIGTERM');
    await cli.waitForLine((l) => l.event === 'stopping');
    afterSignal = await tryConnect(cli.port);
    upstream.release();
    inFlight = await pending;
    exitCode = await Promise.race([cli.exited, new Promise<string>((ok) => setTimeout(() => ok('still running'), 15_000).unref())]);
  });

  after(async () => {
    if (cli?.child.exitCode === null) cli.child.kill('SIGKILL');
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('completes the in-flight request with 200', () => {
    assert.ok('status' in inFlight, `the request failed: ${'error' in inFlight ? inFlight.error.code : ''}`);
    assert.equal(inFlight.status, 200);
    assert.equal(inFlight.body, 'slow answer');
  });

  it('refuses new connections once draining', () => {
    assert.equal(afterSignal, 'ECONNREFUSED');
  });

  it('exits with code 0', () => {
    assert.equal(exitCode, 0, cli.stderr());
  });
});

describe('SIGTERM with a request that outlives shutdownTimeoutMs', () => {
  let dir: string;
  let upstream: Awaited<ReturnType<typeof holdingUpstream>>;
  let cli: Cli;
  let inFlight: Awaited<ReturnType<typeof get>>;
  let exitCode: number | string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-shutdown-'));
    upstream = await holdingUpstream();
    cli = await startCli(configFor(upstream.port, 300), dir);
    const pending = get(cli.port, '/api/stuck');
    await upstream.requestArrived;
    cli.child.kill('SIGTERM');
    // The upstream is never released: the gateway must give up on its own.
    inFlight = await pending;
    exitCode = await Promise.race([cli.exited, new Promise<string>((ok) => setTimeout(() => ok('still running'), 15_000).unref())]);
  });

  after(async () => {
    if (cli?.child.exitCode === null) cli.child.kill('SIGKILL');
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('cuts the straggling request', () => {
    assert.ok('error' in inFlight, 'the request completed');
  });

  it('still exits with code 0', () => {
    assert.equal(exitCode, 0, cli.stderr());
  });
});

describe('SIGTERM with only idle keep-alive connections', () => {
  let dir: string;
  let upstream: http.Server;
  let cli: Cli;
  let exitCode: number | string;
  let elapsedMs: number;
  let agent: http.Agent;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-shutdown-'));
    upstream = http.createServer((req, res) => { req.resume(); res.end('ok'); });
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    cli = await startCli(configFor((upstream.address() as AddressInfo).port), dir);
    agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((ok, fail) => {
      http.get({ host: '127.0.0.1', port: cli.port, path: '/api/x', agent }, (res) => { res.resume(); res.once('end', ok); }).once('error', fail);
    });
    const started = performance.now();
    cli.child.kill('SIGTERM');
    exitCode = await Promise.race([cli.exited, new Promise<string>((ok) => setTimeout(() => ok('still running'), 5_000).unref())]);
    elapsedMs = performance.now() - started;
  });

  after(async () => {
    agent?.destroy();
    if (cli?.child.exitCode === null) cli.child.kill('SIGKILL');
    upstream?.closeAllConnections();
    if (upstream) await new Promise<void>((ok) => upstream.close(() => ok()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exits with code 0 without waiting for the idle connection', () => {
    assert.equal(exitCode, 0, cli.stderr());
    // Far below keepAliveTimeoutMs plus the default shutdownTimeoutMs (10 s).
    assert.ok(elapsedMs < 5_000, `took ${elapsedMs} ms`);
  });
});
