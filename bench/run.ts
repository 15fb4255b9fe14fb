/**
 * `npm run bench`: Portcullis against the bare Node floor (node:http + undici Pool) on the same
 * upstream, same request, same core, so a change to the hot path shows up as a ratio that means
 * something (DESIGN.md, "Measuring": quote ratios from one run, never absolute numbers).
 *
 *   npm run bench                                    # scenario `pass`, targets direct,undici,portcullis
 *   npm run bench -- --scenario pass,jwt,jwt-nocache # JWT (RS256) with the cache on and off, ratios to the bare proxy
 *   npm run bench -- --scenario pass --targets undici,portcullis --profile   # V8 CPU profiles of both proxies
 *   npm run bench -- --scenario pass,rl-memory,rl-redis # rate limit on memory and on Redis, ratios to pass
 *   DURATION=5s WARMUP=2s CONNS=32 LOAD=node JWT_TOKENS=1000 npm run bench
 *
 * Layout: upstream (node:http) and load generator (wrk, or bench/load.ts) pinned to CPU 0, the
 * proxy under test alone on CPU 1; every port probed free below the ephemeral range (lib.ts freePort); every load run bounded in time;
 * every child in its own process group, stopped on exit, error, Ctrl-C or SIGTERM. Scenarios that
 * count in Redis get a redis-server of the run's own, pinned to CPU 0 too (or BENCH_REDIS_URL).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { gatewayYaml } from './gateway-config.js';
import { generateJwtMaterial, JWT_AUDIENCE, JWT_ISSUER, type JwtMaterial } from './jwt.js';
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
/** The Redis of the run's `redis` scenarios. */
interface BenchRedis {
  readonly url: string;
  /** This run's key prefix: every counter of the run is under it. */
  readonly keyPrefix: string;
  /** Process group of the redis-server this run started (its CPU is measured), or undefined for BENCH_REDIS_URL. */
  readonly pgid: number | undefined;
  /** A client of the bench itself (PING, counting the run's keys), never used while timing. */
  readonly client: Redis;
}
/** What every measurement of the run shares. */
interface RunContext { upstreamPort: number; jwt: JwtMaterial | undefined; redis: BenchRedis | undefined }
/** A target answered a functional check wrongly: its scenario is not timed. */
class CheckFailed extends Error {}
/** One row of the table. */
interface Row {
  scenario: string; target: Target; rps: number; p50Ms: number; p99Ms: number; cpuPct: number | undefined; usPerReq: number | undefined; loadCorePct: number; otherPct: number;
  /** The run's own redis-server during the timed run (redis scenarios): % of one core and CPU µs per request. */
  redisCpuPct?: number; redisUsPerReq?: number;
  note: string;
}

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
const JWT_TOKENS = Number(env.JWT_TOKENS ?? 1000);

/** Runs the load generator against `port` for `ms`; bounded by its own duration and a watchdog. */
async function runLoad(port: number, sc: Scenario, ctx: RunContext, ms: number): Promise<LoadResult> {
  const reqEnv = {
    BENCH_METHOD: sc.request.method,
    BENCH_PATH: sc.request.path,
    BENCH_HEADERS: Object.entries(sc.request.headers).map(([k, v]) => `${k}: ${v}`).join('\n'),
    BENCH_BODY: sc.request.body ?? '',
    // Both generators cycle through the tokens, one Authorization header per request.
    BENCH_TOKENS_FILE: sc.bearer === true ? ctx.jwt!.tokensFile : '',
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
async function startTarget(target: Exclude<Target, 'direct'>, sc: Scenario, ctx: RunContext): Promise<{ pgid: number; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const log = join(RUN, 'logs', `${target}-${sc.name}.log`);
  // One directory per run: module-loader threads write profiles too; the largest is the main thread.
  const profDir = join(RUN, 'profiles', `${target}-${sc.name}`);
  if (args.profile) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  const prof = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const upstream = `http://127.0.0.1:${ctx.upstreamPort}`;
  let child;
  if (target === 'undici') {
    // The floor verifies /s2/ tokens against the PEM, as the shared harness's peer does.
    const jwtEnv: Record<string, string> = ctx.jwt ? { BENCH_JWT_RS256_PUBLIC_KEY: ctx.jwt.publicKeyFile, BENCH_JWT_ISS: JWT_ISSUER, BENCH_JWT_AUD: JWT_AUDIENCE } : {};
    child = startGroup(process.execPath, [...prof, 'bench/undici-proxy.mjs'], { cpu: CPU_PROXY, cwd: ROOT, log, env: { BENCH_PORT: String(port), BENCH_UPSTREAM: upstream, ...jwtEnv } });
  } else {
    const config = join(RUN, `portcullis-${sc.name}.yaml`);
    const routes = sc.routes({ upstream, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, ...(ctx.redis ? { redis: { url: ctx.redis.url, keyPrefix: ctx.redis.keyPrefix } } : {}) });
    // The jwt policy fetches the upstream's /jwks through the outbound client: plain HTTP on
    // loopback must be allowed explicitly.
    for (const [name, text] of Object.entries(sc.files ?? {})) writeFileSync(join(RUN, name), text);
    writeFileSync(config, gatewayYaml({ port, upstream, routes, defaultPolicies: sc.defaultPolicies, outboundAllow: sc.bearer === true ? [upstream] : [], ...(sc.topLevel === undefined ? {} : { topLevel: sc.topLevel }) }));
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

/**
 * Requests before timing: the target must answer 200 with the upstream's body (and headers). For
 * a bearer scenario the proxies must also refuse, with 401, a request without a token and
 * tokens signed by another key, expired, or for another audience or issuer, so the floor and
 * Portcullis are known to do the same work. Throws {@link CheckFailed}.
 */
async function check(target: Target, port: number, sc: Scenario, ctx: RunContext): Promise<void> {
  const send = async (token: string | undefined) => {
    const headers = token === undefined ? sc.request.headers : { ...sc.request.headers, Authorization: `Bearer ${token}` };
    const r = await request(`http://127.0.0.1:${port}${sc.request.path}`, { method: sc.request.method, headers, body: sc.request.body ?? null, headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
  };
  const problems: string[] = [];
  const r = await send(sc.bearer === true ? ctx.jwt!.valid : undefined);
  if (r.status !== 200) problems.push(`${sc.bearer === true ? 'valid token: ' : ''}status ${r.status}`);
  if (!r.text.includes('"service":"upstream"')) problems.push(`body ${r.text.slice(0, 80)}`);
  if (target === 'portcullis') {
    for (const [k, v] of Object.entries(sc.expectHeaders ?? {})) if (r.headers[k] !== v) problems.push(`${k}: ${String(r.headers[k])}`);
    // The counter must be in Redis: a gateway counting somewhere else is not what the row says.
    if (sc.redis === true && (await countKeys(ctx.redis!)) === 0) problems.push(`no counter under ${ctx.redis!.keyPrefix}* in ${ctx.redis!.url} after a request`);
  }
  if (sc.bearer === true && target !== 'direct') {
    for (const [what, token] of [['no token', undefined], ...Object.entries(ctx.jwt!.bad)] as const) {
      const bad = await send(token);
      if (bad.status !== 401) problems.push(`${what}: status ${bad.status}, not 401`);
      const challenge = bad.headers['www-authenticate'];
      if (target === 'portcullis' && (typeof challenge !== 'string' || !challenge.startsWith('Bearer'))) problems.push(`${what}: no Bearer challenge`);
    }
  }
  if (problems.length > 0) throw new CheckFailed(`${target} failed its check for ${sc.name}: ${problems.join('; ')}`);
}

async function measure(target: Target, sc: Scenario, ctx: RunContext): Promise<Row> {
  const proxy = target === 'direct' ? undefined : await startTarget(target, sc, ctx);
  try {
    const port = proxy?.port ?? ctx.upstreamPort;
    await check(target, port, sc, ctx);
    await runLoad(port, sc, ctx, WARMUP_MS);
    const redisPgid = sc.redis === true ? ctx.redis?.pgid : undefined;
    const t0 = proxy ? groupTicks(proxy.pgid) : 0;
    const rt0 = redisPgid === undefined ? 0 : groupTicks(redisPgid);
    const c0 = cpuBusyTicks();
    const r = await runLoad(port, sc, ctx, DURATION_MS);
    const c1 = cpuBusyTicks();
    const ticks = proxy ? groupTicks(proxy.pgid) - t0 : 0;
    const redisS = redisPgid === undefined ? undefined : (groupTicks(redisPgid) - rt0) / CLK_TCK;
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
    const redisCpuPct = redisS === undefined ? undefined : (100 * redisS) / wallS;
    const redisUsPerReq = redisS === undefined || r.requests === 0 ? undefined : (redisS * 1e6) / r.requests;
    if (redisCpuPct !== undefined) notes.push(`redis-server (CPU ${CPU_LOAD}, in load%): ${redisCpuPct.toFixed(0)} %, ${redisUsPerReq?.toFixed(1) ?? '-'} µs/req`);
    else if (sc.redis === true) notes.push(`redis ${ctx.redis?.url ?? '?'} (BENCH_REDIS_URL): CPU not measured`);
    if (target === 'portcullis') notes.push(portcullisCode());
    if (proxy && args.profile) notes.push('profiled (--cpu-prof inflates CPU)');
    return {
      scenario: sc.name, target, rps: r.requests / (r.durationUs / 1e6), p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000,
      cpuPct, usPerReq: proxy && r.requests > 0 ? (cpuS * 1e6) / r.requests : undefined, loadCorePct, otherPct,
      ...(redisCpuPct === undefined ? {} : { redisCpuPct, redisUsPerReq }), note: notes.join('; '),
    };
  } finally {
    await proxy?.stop();
  }
}

/** One ratio line: `row` of `scenario` divided by the row `versus` names. */
interface Ratio { scenario: string; what: string; rps: number; usPerReq: number | undefined; p99: number }

/**
 * The ratios of this run: Portcullis against the undici row of its own scenario (for a jwt
 * scenario, the jwt floor) and against the undici row of its baseline (the bare pass-through
 * proxy); for a jwt scenario also the floor against the bare proxy (what JWT costs plain Node);
 * for a scenario with a `portcullisBaseline`, Portcullis against its own row of that scenario
 * (what the scenario's policy costs the gateway: rl-memory / pass).
 */
function ratios(rows: readonly Row[], scenarios: readonly Scenario[]): Ratio[] {
  const find = (scenario: string, target: Target) => rows.find((r) => r.scenario === scenario && r.target === target);
  const label = (name: string) => `${SCENARIOS[name]?.undiciLabel ?? 'undici'} (${name} row)`;
  const ratio = (scenario: string, what: string, a: Row, b: Row): Ratio => ({
    scenario, what, rps: a.rps / b.rps, p99: a.p99Ms / b.p99Ms,
    usPerReq: a.usPerReq !== undefined && b.usPerReq !== undefined ? a.usPerReq / b.usPerReq : undefined,
  });
  const out: Ratio[] = [];
  for (const sc of scenarios) {
    const p = find(sc.name, 'portcullis');
    const u = find(sc.name, 'undici');
    const base = sc.baseline === undefined ? undefined : find(sc.baseline, 'undici');
    if (p && u) out.push(ratio(sc.name, `Portcullis / ${label(sc.name)}`, p, u));
    if (p && base) out.push(ratio(sc.name, `Portcullis / ${label(sc.baseline!)}`, p, base));
    if (u && base) out.push(ratio(sc.name, `${label(sc.name)} / ${label(sc.baseline!)}`, u, base));
    const own = sc.portcullisBaseline === undefined ? undefined : find(sc.portcullisBaseline, 'portcullis');
    if (p && own) out.push(ratio(sc.name, `Portcullis / Portcullis (${sc.portcullisBaseline!} row)`, p, own));
  }
  return out;
}

function printTable(rows: readonly Row[], scenarios: readonly Scenario[], tokens: number): Ratio[] {
  const fmt = (n: number | undefined, d: number) => (n === undefined ? '-' : n.toFixed(d));
  const w = Math.max(9, ...rows.map((r) => r.scenario.length + 2));
  console.log(`\n${'scenario'.padEnd(w)}${'target'.padEnd(12)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'cpu %'.padStart(7)}${'CPU µs/req'.padStart(12)}${'load%'.padStart(7)}${'oth%'.padStart(6)}  note`);
  for (const r of rows) {
    console.log(`${r.scenario.padEnd(w)}${r.target.padEnd(12)}${r.rps.toFixed(0).padStart(9)}${fmt(r.p50Ms, 2).padStart(9)}${fmt(r.p99Ms, 2).padStart(9)}${fmt(r.cpuPct, 0).padStart(7)}${fmt(r.usPerReq, 1).padStart(12)}${fmt(r.loadCorePct, 0).padStart(7)}${fmt(r.otherPct, 0).padStart(6)}  ${r.note}`);
  }
  const list = ratios(rows, scenarios);
  if (list.length > 0) {
    const ww = Math.max(...list.map((r) => r.what.length)) + 2;
    console.log(`\nRatios (rows of this run only; req/s: higher is better, CPU µs/req and p99: lower is better)`);
    console.log(`${'scenario'.padEnd(w)}${'ratio'.padEnd(ww)}${'req/s'.padStart(7)}${'CPU µs/req'.padStart(12)}${'p99'.padStart(7)}`);
    for (const r of list) console.log(`${r.scenario.padEnd(w)}${r.what.padEnd(ww)}${r.rps.toFixed(2).padStart(7)}${fmt(r.usPerReq, 2).padStart(12)}${r.p99.toFixed(2).padStart(7)}`);
  }
  const notes: string[] = [];
  for (const sc of scenarios) {
    if (!rows.some((r) => r.scenario === sc.name)) continue;
    if (sc.caveat) notes.push(`${sc.name}: ${sc.caveat(tokens)}`);
    if (sc.baseline !== undefined && !rows.some((r) => r.scenario === sc.baseline && r.target === 'undici')) {
      notes.push(`${sc.name}: no undici row of '${sc.baseline}' in this run: run --scenario ${sc.baseline},${sc.name} for the ratio to the bare undici proxy`);
    }
    if (sc.portcullisBaseline !== undefined && !rows.some((r) => r.scenario === sc.portcullisBaseline && r.target === 'portcullis')) {
      notes.push(`${sc.name}: no Portcullis row of '${sc.portcullisBaseline}' in this run: run --scenario ${sc.portcullisBaseline},${sc.name} for the ratio to it`);
    }
  }
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
  return list;
}

/** The code this run measures: HEAD and the uncommitted changes under src/. */
function gitState(): { head: string; subject: string; srcChanges: string[] } {
  // trimEnd: porcelain lines start with a space (" M src/…").
  const git = (...a: string[]) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout?.trimEnd() ?? '';
  return { head: git('rev-parse', 'HEAD'), subject: git('log', '-1', '--format=%s'), srcChanges: git('status', '--porcelain', '--', 'src').split('\n').filter((l) => l !== '') };
}

async function main(): Promise<void> {
  // Each scenario once: the ratio lines pair rows by scenario name.
  const scenarios = [...new Set(args.scenario.split(',').map((n) => n.trim()))].map((n) => {
    const sc = SCENARIOS[n];
    if (!sc) throw new Error(`unknown scenario '${n}' (known: ${Object.keys(SCENARIOS).join(', ')})`);
    return sc;
  });
  const targets = args.targets.split(',').map((t) => {
    if (!(TARGETS as readonly string[]).includes(t.trim())) throw new Error(`unknown target '${t}' (known: ${TARGETS.join(', ')})`);
    return t.trim() as Target;
  });
  const code = gitState();
  if (args.build) portcullisEntry = buildPortcullis();
  // This process too stays off the proxy's core (all its threads: -a).
  if (CAN_PIN) spawnSync('taskset', ['-a', '-p', '-c', String(CPU_LOAD), String(process.pid)], { stdio: 'ignore' });
  mkdirSync(join(RUN, 'logs'), { recursive: true });
  mkdirSync(join(RUN, 'profiles'), { recursive: true });
  console.log(`== portcullis bench: node ${process.version}, ${CONNS} connections, warmup ${WARMUP_MS} ms, timed ${DURATION_MS} ms`);
  console.log(`== load generator: ${USE_WRK ? 'wrk -t1' : 'bench/load.mjs (Node + undici; wrk not installed or LOAD=node: slower load side, compare ratios only)'}`);
  console.log(`== pinning: ${CAN_PIN ? `load + upstream on CPU ${CPU_LOAD}, proxy under test on CPU ${CPU_PROXY}` : 'off (no taskset or fewer than 2 CPUs): ratios are less meaningful'}`);
  console.log(`== portcullis: ${portcullisEntry === BIN ? 'bin/portcullis.js (dist/ when present, else src/ through tsx; see the note column)' : 'compiled by --build (bench/run/dist)'}`);
  console.log(`== code: HEAD ${code.head.slice(0, 12)} "${code.subject}"; uncommitted changes under src/: ${code.srcChanges.length === 0 ? 'none' : code.srcChanges.map((l) => l.slice(3)).join(', ')}`);

  // Bearer scenarios: a fresh key pair and N tokens; the upstream serves the JWK set at /jwks.
  let jwt: JwtMaterial | undefined;
  if (scenarios.some((sc) => sc.bearer === true)) {
    jwt = generateJwtMaterial(join(RUN, 'jwt'), JWT_TOKENS);
    console.log(`== jwt: RS256 (2048-bit key, kid set), ${jwt.count} distinct tokens cycled by the load generator (${jwt.tokensFile}); JWK set served by the upstream at /jwks`);
  }
  const redis = scenarios.some((sc) => sc.redis === true) ? await startRedis() : undefined;
  const upstreamPort = await freePort();
  const upstream = startGroup(process.execPath, ['bench/upstream.mjs'], { cpu: CPU_LOAD, cwd: ROOT, log: join(RUN, 'logs', 'upstream.log'), env: { BENCH_UPSTREAM_PORT: String(upstreamPort), BENCH_JWKS_FILE: jwt?.jwksFile ?? '' } });
  await waitPort(upstreamPort, upstream);
  const ctx: RunContext = { upstreamPort, jwt, redis };

  const rows: Row[] = [];
  const failed: string[] = [];
  for (const sc of scenarios) {
    for (const target of targets) {
      if (target === 'undici' && !sc.undici) continue;
      if (target === 'direct' && sc.direct === false) continue;
      process.stdout.write(`-- ${sc.name} / ${target} ... `);
      let row: Row;
      try {
        row = await measure(target, sc, ctx);
      } catch (error) {
        if (!(error instanceof CheckFailed)) throw error;
        // A target that does not do the scenario's work correctly is not timed, nor is the rest
        // of its scenario (its ratios would mean nothing).
        console.log(`CHECK FAILED: ${error.message}; scenario ${sc.name} aborted`);
        failed.push(error.message);
        for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.scenario === sc.name) rows.splice(i, 1);
        break;
      }
      rows.push(row);
      console.log(`${row.rps.toFixed(0)} req/s${row.usPerReq === undefined ? '' : `, ${row.usPerReq.toFixed(1)} CPU µs/req`}`);
      if (args.profile && target !== 'direct') await summarise(join(RUN, 'profiles', `${target}-${sc.name}`));
    }
  }
  const ratioList = printTable(rows, scenarios, jwt?.count ?? 0);
  const meta = { node: process.version, date: new Date().toISOString(), code, load: USE_WRK ? 'wrk' : 'load.mjs', pinned: CAN_PIN, conns: CONNS, durationMs: DURATION_MS, warmupMs: WARMUP_MS, jwtTokens: jwt?.count, portcullis: portcullisEntry === BIN ? BIN : 'build', redis: redis ? { url: redis.url, keyPrefix: redis.keyPrefix, own: redis.pgid !== undefined } : undefined };
  writeFileSync(join(RUN, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ meta, rows, ratios: ratioList, failed }, null, 2)}\n`);
  if (failed.length > 0) {
    console.log(`\n${failed.length} functional check(s) failed; those scenarios were not timed:\n${failed.join('\n')}`);
    process.exitCode = 1;
  }
}

let benchRedis: BenchRedis | undefined;

/**
 * The Redis of the run's redis scenarios: BENCH_REDIS_URL when set (a shared server: its CPU is
 * not measured, and the run's keys are deleted at the end), else a redis-server of the run's own
 * on a free port, pinned to the load core like the shared harness's (no persistence), whose CPU
 * each row reports. Either way a key prefix of this run's own.
 */
async function startRedis(): Promise<BenchRedis> {
  const keyPrefix = `portcullis-bench:${process.pid}-${Date.now()}:`;
  let url = env.BENCH_REDIS_URL ?? '';
  let pgid: number | undefined;
  let where: string;
  if (url !== '') {
    where = `${url} (BENCH_REDIS_URL: not started by the bench, CPU not measured)`;
  } else {
    if (!hasCommand('redis-server', ['--version'])) throw new Error('the redis scenarios need redis-server on PATH, or BENCH_REDIS_URL (e.g. redis://127.0.0.1:6379)');
    const port = await freePort();
    const child = startGroup('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no'], { cpu: CPU_LOAD, log: join(RUN, 'logs', 'redis.log') });
    await waitPort(port, child);
    url = `redis://127.0.0.1:${port}`;
    pgid = child.pid;
    where = `own redis-server on 127.0.0.1:${port}${CAN_PIN ? `, pinned to CPU ${CPU_LOAD} with the load side (its CPU counts in load%)` : ''}`;
  }
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  // Commands reject on their own; without a listener ioredis would also print every reconnect error.
  client.on('error', () => undefined);
  await client.connect();
  const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
  console.log(`== redis ${version}: ${where}; key prefix ${keyPrefix}`);
  benchRedis = { url, keyPrefix, pgid, client };
  return benchRedis;
}

/** How many keys of this run are in Redis (SCAN: the server may be shared). */
async function countKeys(redis: BenchRedis, del = false): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${redis.keyPrefix}*`, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
    if (del && keys.length > 0) await redis.client.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

/** Deletes the run's keys from a shared Redis (they would expire within two windows anyway) and disconnects. */
async function closeRedis(): Promise<void> {
  const redis = benchRedis;
  if (redis === undefined) return;
  benchRedis = undefined;
  try {
    if (redis.pgid === undefined) await countKeys(redis, true);
  } catch {
    // best effort
  }
  redis.client.disconnect();
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
  await closeRedis();
  await stopAll();
}
