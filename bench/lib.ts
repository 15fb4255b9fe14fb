/**
 * Process plumbing for the benchmark: free ports, pinned child process groups that are always
 * cleaned up, readiness waits and per-process-group CPU accounting from /proc. Kept apart from
 * run.ts so the orchestration there reads as the measurement it is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux unless told otherwise). */
export const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** True when `cmd` can be executed (found on PATH). */
export function hasCommand(cmd: string, args: readonly string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined;
}

/** Whether CPU pinning is possible: taskset exists and there are at least two CPUs. */
export const CAN_PIN = hasCommand('taskset', ['-V']) && availableParallelism() >= 2;

/** The kernel's ephemeral port range (where port-0 listeners and outgoing connections get theirs). */
const EPHEMERAL = (() => {
  try {
    const [lo = 32768, hi = 60999] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return { lo, hi };
  } catch {
    return { lo: 32768, hi: 60999 };
  }
})();

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free loopback TCP port, below the ephemeral range when there is room: a port another
 * process gets from `listen(0)` (tests of other sessions on a shared machine) or for an outgoing
 * connection comes from the ephemeral range, so a port probed free outside it stays free until
 * the child that needs it binds it. Falls back to a port-0 probe.
 *
 * @example
 * ```ts
 * const port = await freePort(); // e.g. 24135
 * ```
 */
export async function freePort(): Promise<number> {
  const lo = 20_000;
  const hi = Math.min(EPHEMERAL.lo, 32_768) - 1;
  for (let i = 0; hi > lo && i < 50; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    if (await tryListen(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();

/** Options of {@link startGroup}. */
export interface StartOptions {
  /** CPU to pin to with taskset (ignored when pinning is not possible). */
  readonly cpu?: number;
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** File receiving stdout and stderr; when absent they are piped (read with {@link collect}). */
  readonly log?: string;
  /** Working directory. */
  readonly cwd?: string;
}

/**
 * Starts `cmd` in its own process group (so it and its children can be stopped together),
 * pinned to `cpu` when possible, and remembers it for {@link stopAll}.
 *
 * @example
 * ```ts
 * const up = startGroup(process.execPath, ['bench/upstream.ts'], { cpu: 0, log: 'run/logs/up.log' });
 * ```
 */
export function startGroup(cmd: string, args: readonly string[], options: StartOptions = {}): ChildProcess {
  const pinned = options.cpu !== undefined && CAN_PIN;
  const file = pinned ? 'taskset' : cmd;
  const argv = pinned ? ['-c', String(options.cpu), cmd, ...args] : [...args];
  const fd = options.log === undefined ? undefined : openSync(options.log, 'w');
  const child = spawn(file, argv, {
    detached: true, // new session and process group: kill(-pid) reaches everything it starts
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves with the exit code (or signal name) when the child ends. */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode ?? 0);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 0)));
}

/** Collects a piped child's stdout and stderr; resolves when it exits. */
export async function collect(child: ChildProcess): Promise<{ code: number | string; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const code = await exited(child);
  return { code, stdout, stderr };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Stops one child's process group: SIGTERM, then SIGKILL after `graceMs`.
 *
 * @example
 * ```ts
 * await stopGroup(proxy, 3000); // lets `node --cpu-prof` write its profile
 * ```
 */
export async function stopGroup(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
  // Grandchildren in the group may outlive the leader.
  signalGroup(child, 'SIGKILL');
}

/** Stops every child started with {@link startGroup} that is still running. */
export async function stopAll(graceMs = 2000): Promise<void> {
  await Promise.all([...children].map((c) => stopGroup(c, graceMs)));
}

/** Last resort for `process.on('exit')`: synchronous SIGKILL of every remaining group. */
export function killAllNow(): void {
  for (const c of children) signalGroup(c, 'SIGKILL');
}

/**
 * Waits until something accepts TCP connections on `port`, or fails when `child` exits or
 * `timeoutMs` passes.
 */
export async function waitPort(port: number, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

/**
 * CPU time (user + system, in clock ticks) used so far by every live process in process group
 * `pgid`. Read before and after a load run; the difference is the group's CPU for that run.
 */
export function groupTicks(pgid: number): number {
  let sum = 0;
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    sum += Number(f[11]) + Number(f[12]);
  }
  return sum;
}

/**
 * Parses a duration like `8s`, `500ms` or `2` (seconds) into milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('8s') // 8000
 * ```
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration '${text}' (use e.g. 8s, 500ms)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

/**
 * Busy clock ticks per CPU so far (user + nice + system + irq + softirq + steal, from
 * /proc/stat), indexed by CPU number. The difference over a run tells whether the load core
 * was the limit and how much of the proxy's core went to something other than the proxy.
 */
export function cpuBusyTicks(): number[] {
  const out: number[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = m[2]!.trim().split(/\s+/).map(Number);
    out[Number(m[1])] = user + nice + system + irq + softirq + steal;
  }
  return out;
}
