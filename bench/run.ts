/**
 * `npm run bench`: Portcullis against the bare Node floor (node:http + undici Pool) on the same
 * upstream, same request, same core, so a change to the hot path shows up as a ratio that means
 * something (DESIGN.md, "Measuring": quote ratios from one run, never absolute numbers).
 *
 *   npm run bench                                    # scenario `pass`, targets direct,undici,portcullis
 *   npm run bench -- --scenario pass --targets undici,portcullis --profile   # V8 CPU profiles of both proxies
 *   DURATION=5s WARMUP=2s CONNS=32 LOAD=node npm run bench
 *
 * Layout: upstream (node:http) and load generator (wrk, or bench/load.ts) pinned to CPU 0, the
 * proxy under test alone on CPU 1; every port from a port-0 probe; every load run bounded in time;
 * every child in its own process group, stopped on exit, error, Ctrl-C or SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { gatewayYaml } from './gateway-config.js';
import { CAN_PIN, CLK_TCK, collect, cpuBusyTicks, freePort, groupTicks, hasCommand, killAllNow, parseDuration, startGroup, stopAll, stopGroup, waitPort } from './lib.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN = join(ROOT, 'bench', 'run');
const CPU_LOAD = 0;
const CPU_PROXY = 1;
const TARGETS = ['direct', 'undici', 'portcullis'] as const;
type Target = (typeof TARGETS)[number];

/** One timed load run, as wrk.lua or load.ts report it. */
interface LoadResult { requests: number; durationUs: number; p50Us: number; p99Us: number; non2xx: number; errors: number }
/** One row of the table. */
interface Row { scenario: string; target: Target; rps: number; p50Ms: number; p99Ms: number; cpuPct: number | undefined; usPerReq: number | undefined; loadCorePct: number; otherPct: number; note: string }

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'pass' },
    targets: { type: 'string', default: TARGETS.join(',') },
    profile: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
  },
  strict: true,
});
const env = process.env;
const DURATION_MS = parseDuration(env.DURATION ?? '8s');
const WARMUP_MS = parseDuration(env.WARMUP ?? '2s');
const CONNS = Number(env.CONNS ?? 32);
const USE_WRK = env.LOAD !== 'node' && hasCommand('wrk', ['-v']);

/** Runs the load generator against `port` for `ms`; bounded by its own duration and a watchdog. */
async function runLoad(port: number, sc: Scenario, ms: number): Promise<LoadResult> {
  const reqEnv = {
    BENCH_METHOD: sc.request.method,
    BENCH_PATH: sc.request.path,
    BENCH_HEADERS: Object.entries(sc.request.headers).map(([k, v]) => `${k}: ${v}`).join('\n'),
    BENCH_BODY: sc.request.body ?? '',
  };
  const child = USE_WRK
    ? startGroup('wrk', ['-t1', `-c${CONNS}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, '--timeout', '5s', '-s', join(ROOT, 'bench', 'wrk.lua'), `http://127.0.0.1:${port}/`], { cpu: CPU_LOAD, env: reqEnv })
    : startGroup(process.execPath, ['bench/load.mjs'], { cpu: CPU_LOAD, cwd: ROOT, env: { ...reqEnv, LOAD_URL: `http://127.0.0.1:${port}`, LOAD_CONNS: String(CONNS), LOAD_DURATION_MS: String(ms) } });
  const watchdog = setTimeout(() => void stopGroup(child, 500), ms + 15_000);
  const out = await collect(child);
  clearTimeout(watchdog);
  if (USE_WRK) {
    const line = /^RESULT .*$/m.exec(out.stdout)?.[0];
    if (!line) throw new Error(`wrk failed (${out.code}): ${out.stdout}${out.stderr}`.slice(0, 500));
    const f = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(line)?.[1] ?? NaN);
    return { requests: f('requests'), durationUs: f('duration_us'), p50Us: f('p50_us'), p99Us: f('p99_us'), non2xx: f('err_status'), errors: f('err_connect') + f('err_read') + f('err_write') + f('err_timeout') };
  }
  const line = out.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as LoadResult;
  } catch {
    throw new Error(`load generator failed (${out.code}): ${out.stderr}`.slice(0, 500));
  }
}

/** Starts the proxy `target` for scenario `sc`; returns its pid (= process group) and port. */
async function startTarget(target: Exclude<Target, 'direct'>, sc: Scenario, upstream: string): Promise<{ pgid: number; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const log = join(RUN, 'logs', `${target}-${sc.name}.log`);
  // One directory per run: module-loader threads write profiles too; the largest is the main thread.
  const profDir = join(RUN, 'profiles', `${target}-${sc.name}`);
  if (args.profile) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  const prof = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  let child;
  if (target === 'undici') {
    child = startGroup(process.execPath, [...prof, 'bench/undici-proxy.mjs'], { cpu: CPU_PROXY, cwd: ROOT, log, env: { BENCH_PORT: String(port), BENCH_UPSTREAM: upstream } });
  } else {
    const config = join(RUN, `portcullis-${sc.name}.yaml`);
    writeFileSync(config, gatewayYaml({ port, upstream, routes: sc.routes, defaultPolicies: sc.defaultPolicies }));
    child = startGroup(process.execPath, [...prof, portcullisEntry, 'start', '--config', config], { cpu: CPU_PROXY, cwd: ROOT, log });
  }
  try {
    await waitPort(port, child);
  } catch (error) {
    throw new Error(`${target}: ${(error as Error).message}; log: ${log}`);
  }
  // A profiled process needs time to write its profile after SIGTERM.
  return { pgid: child.pid!, port, stop: () => stopGroup(child, args.profile ? 10_000 : 3000) };
}

/** One request before timing: the target must answer 200 with the upstream's body (and headers). */
async function check(target: Target, port: number, sc: Scenario): Promise<void> {
  const r = await request(`http://127.0.0.1:${port}${sc.request.path}`, { method: sc.request.method, headers: sc.request.headers, body: sc.request.body ?? null, headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await r.body.text();
  const problems: string[] = [];
  if (r.statusCode !== 200) problems.push(`status ${r.statusCode}`);
  if (!text.includes('"service":"upstream"')) problems.push(`body ${text.slice(0, 80)}`);
  if (target === 'portcullis') {
    for (const [k, v] of Object.entries(sc.expectHeaders ?? {})) if (r.headers[k] !== v) problems.push(`${k}: ${String(r.headers[k])}`);
  }
  if (problems.length > 0) throw new Error(`${target} failed its check for ${sc.name}: ${problems.join('; ')}`);
}

async function measure(target: Target, sc: Scenario, upstreamPort: number): Promise<Row> {
  const proxy = target === 'direct' ? undefined : await startTarget(target, sc, `http://127.0.0.1:${upstreamPort}`);
  try {
    const port = proxy?.port ?? upstreamPort;
    await check(target, port, sc);
    await runLoad(port, sc, WARMUP_MS);
    const t0 = proxy ? groupTicks(proxy.pgid) : 0;
    const c0 = cpuBusyTicks();
    const r = await runLoad(port, sc, DURATION_MS);
    const c1 = cpuBusyTicks();
    const ticks = proxy ? groupTicks(proxy.pgid) - t0 : 0;
    const cpuS = ticks / CLK_TCK;
    const wallS = r.durationUs / 1e6;
    const cpuPct = proxy ? (100 * cpuS) / wallS : undefined;
    // Busy % of the load core, and of the proxy core minus the proxy itself (steal included).
    const corePct = (cpu: number) => Math.min(100, (100 * ((c1[cpu] ?? 0) - (c0[cpu] ?? 0))) / CLK_TCK / wallS);
    const loadCorePct = corePct(CPU_LOAD);
    const otherPct = Math.max(0, corePct(CPU_PROXY) - (cpuPct ?? 0));
    const notes: string[] = [];
    if (r.non2xx > 0 || r.errors > 0) notes.push(`INVALID: ${r.non2xx} non-2xx, ${r.errors} socket errors`);
    if (cpuPct !== undefined && cpuPct < 90) notes.push(loadCorePct > 95 ? 'load core saturated: req/s capped by the load side' : 'proxy core not saturated');
    if (otherPct > 10) notes.push('something else used the proxy core');
    if (target === 'portcullis') notes.push(portcullisCode());
    if (proxy && args.profile) notes.push('profiled (--cpu-prof inflates CPU)');
    return {
      scenario: sc.name, target, rps: r.requests / (r.durationUs / 1e6), p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000,
      cpuPct, usPerReq: proxy && r.requests > 0 ? (cpuS * 1e6) / r.requests : undefined, loadCorePct, otherPct, note: notes.join('; '),
    };
  } finally {
    await proxy?.stop();
  }
}

function printTable(rows: readonly Row[]): void {
  const fmt = (n: number | undefined, d: number) => (n === undefined ? '-' : n.toFixed(d));
  console.log(`\n${'scenario'.padEnd(9)}${'target'.padEnd(12)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cpu %'.padStart(7)}${'CPU µs/req'.padStart(12)}${'load%'.padStart(7)}${'oth%'.padStart(6)}  note`);
  for (const r of rows) {
    console.log(`${r.scenario.padEnd(9)}${r.target.padEnd(12)}${r.rps.toFixed(0).padStart(9)}${fmt(r.p50Ms, 2).padStart(9)}${fmt(r.p99Ms, 2).padStart(9)}${fmt(r.cpuPct, 0).padStart(7)}${fmt(r.usPerReq, 1).padStart(12)}${fmt(r.loadCorePct, 0).padStart(7)}${fmt(r.otherPct, 0).padStart(6)}  ${r.note}`);
  }
  for (const name of new Set(rows.map((r) => r.scenario))) {
    const u = rows.find((r) => r.scenario === name && r.target === 'undici');
    const p = rows.find((r) => r.scenario === name && r.target === 'portcullis');
    if (!u || !p) continue;
    const cpu = p.usPerReq !== undefined && u.usPerReq !== undefined ? (p.usPerReq / u.usPerReq).toFixed(2) : '-';
    console.log(`\n${name}: Portcullis/undici  req/s ${(p.rps / u.rps).toFixed(2)}   CPU µs/req ${cpu}   p99 ${(p.p99Ms / u.p99Ms).toFixed(2)}`);
  }
}

async function main(): Promise<void> {
  const scenarios = args.scenario.split(',').map((n) => {
    const sc = SCENARIOS[n.trim()];
    if (!sc) throw new Error(`unknown scenario '${n}' (known: ${Object.keys(SCENARIOS).join(', ')})`);
    return sc;
  });
  const targets = args.targets.split(',').map((t) => {
    if (!(TARGETS as readonly string[]).includes(t.trim())) throw new Error(`unknown target '${t}' (known: ${TARGETS.join(', ')})`);
    return t.trim() as Target;
  });
  if (args.build) portcullisEntry = buildPortcullis();
  // This process too stays off the proxy's core (all its threads: -a).
  if (CAN_PIN) spawnSync('taskset', ['-a', '-p', '-c', String(CPU_LOAD), String(process.pid)], { stdio: 'ignore' });
  mkdirSync(join(RUN, 'logs'), { recursive: true });
  mkdirSync(join(RUN, 'profiles'), { recursive: true });
  console.log(`== portcullis bench: node ${process.version}, ${CONNS} connections, warmup ${WARMUP_MS} ms, timed ${DURATION_MS} ms`);
  console.log(`== load generator: ${USE_WRK ? 'wrk -t1' : 'bench/load.mjs (Node + undici; wrk not installed or LOAD=node: slower load side, compare ratios only)'}`);
  console.log(`== pinning: ${CAN_PIN ? `load + upstream on CPU ${CPU_LOAD}, proxy under test on CPU ${CPU_PROXY}` : 'off (no taskset or fewer than 2 CPUs): ratios are less meaningful'}`);
  console.log(`== portcullis: ${portcullisEntry === BIN ? 'bin/portcullis.js (dist/ when present, else src/ through tsx; see the note column)' : 'compiled by --build (bench/run/dist)'}`);

  const upstreamPort = await freePort();
  const upstream = startGroup(process.execPath, ['bench/upstream.mjs'], { cpu: CPU_LOAD, cwd: ROOT, log: join(RUN, 'logs', 'upstream.log'), env: { BENCH_UPSTREAM_PORT: String(upstreamPort) } });
  await waitPort(upstreamPort, upstream);

  const rows: Row[] = [];
  for (const sc of scenarios) {
    for (const target of targets) {
      if (target === 'undici' && !sc.undici) continue;
      process.stdout.write(`-- ${sc.name} / ${target} ... `);
      const row = await measure(target, sc, upstreamPort);
      rows.push(row);
      console.log(`${row.rps.toFixed(0)} req/s${row.usPerReq === undefined ? '' : `, ${row.usPerReq.toFixed(1)} CPU µs/req`}`);
      if (args.profile && target !== 'direct') await summarise(join(RUN, 'profiles', `${target}-${sc.name}`));
    }
  }
  printTable(rows);
  writeFileSync(join(RUN, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify(rows, null, 2)}\n`);
}

const BIN = 'bin/portcullis.js';
let portcullisEntry = BIN;

/**
 * Which code `bin/portcullis.js` runs: the repo's dist/ when it exists (and whether a src/ file is
 * newer, i.e. the build is stale), else src/ through tsx, whose esbuild transform keeps function
 * names by wrapping every closure created per request in `__name(...)`.
 */
function portcullisCode(): string {
  if (portcullisEntry !== BIN) return 'ran --build output';
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) return 'ran src/ via tsx';
  const built = statSync(main).mtimeMs;
  const newer = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).some((f) => f.endsWith('.ts') && statSync(join(ROOT, 'src', f)).mtimeMs > built);
  return newer ? 'ran dist/, OLDER than src/ (stale build)' : 'ran dist/';
}

/**
 * Compiles src/ with tsc into bench/run/dist (never the repo's dist/, which bin/portcullis.js
 * would then prefer for everyone) and returns its CLI entry: the gateway as `npm run build` ships
 * it, with no TypeScript loader in the measured process.
 */
function buildPortcullis(): string {
  const out = join(RUN, 'dist');
  rmSync(out, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out, '--sourceMap', 'false', '--declaration', 'false'], { cwd: ROOT, encoding: 'utf8' });
  const entry = join(out, 'cli', 'main.js');
  if (!existsSync(entry)) throw new Error(`--build: tsc produced no ${entry}: ${r.stdout}${r.stderr}`.slice(0, 800));
  if (r.status !== 0) console.log(`== --build: tsc reported errors (emitted anyway):\n${r.stdout.split('\n').slice(0, 5).join('\n')}`);
  return entry;
}

/** Prints the summary of the largest profile in `dir` with the shared harness's tool, when it is there. */
async function summarise(dir: string): Promise<void> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (file === undefined) {
    console.log(`no profile in ${dir}`);
    return;
  }
  const tool = env.PROFILE_SUMMARY ?? join(ROOT, '..', 'shared', 'bench', 'tools', 'cpuprofile-summary.js');
  if (!existsSync(tool)) {
    console.log(`profile written to ${file} (no summary tool at ${tool}; set PROFILE_SUMMARY)`);
    return;
  }
  const out = await collect(startGroup(process.execPath, [tool, file, env.TOP ?? '20']));
  console.log(out.code === 0 ? out.stdout : `profile written to ${file} (summary tool failed: ${out.stderr.slice(0, 200)})`);
}

let stopping = false;
function onSignal(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping children`);
  void stopAll(500).finally(() => process.exit(130));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', killAllNow);

try {
  await main();
} catch (error) {
  if (!stopping) console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
