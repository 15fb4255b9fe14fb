/**
 * /readyz: the gateway is ready when every dependency its policies report (JWKS, stores) is up
 * and every upstream accepts a TCP connection. Upstream probes are cached briefly, so the
 * endpoint cannot be used to flood the upstreams.
 */
import net from 'node:net';
import type { Generation } from '../server/generation.js';

/** The readiness report (names only: no addresses beyond the upstream names of the config). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly components: ReadonlyArray<{ readonly component: string; readonly up: boolean }>;
  readonly upstreams: ReadonlyArray<{ readonly name: string; readonly up: boolean }>;
}

const PROBE_TIMEOUT_MS = 1000;
const CACHE_MS = 2000;
const cache = new WeakMap<Generation, { at: number; result: Promise<ReadinessReport['upstreams']> }>();

/**
 * Checks a generation's dependencies and upstreams.
 *
 * @example
 * ```ts
 * const report = await checkReadiness(current);
 * res.statusCode = report.ready ? 200 : 503;
 * ```
 */
export async function checkReadiness(generation: Generation, now = Date.now()): Promise<ReadinessReport> {
  const components = generation.state.compiled.health();
  let entry = cache.get(generation);
  if (entry === undefined || now - entry.at > CACHE_MS) {
    entry = { at: now, result: probeUpstreams(generation) };
    cache.set(generation, entry);
  }
  const upstreams = await entry.result;
  return { ready: components.every((c) => c.up) && upstreams.every((u) => u.up), components, upstreams };
}

async function probeUpstreams(generation: Generation): Promise<ReadinessReport['upstreams']> {
  const entries = Object.entries(generation.loaded.config.upstreams);
  return Promise.all(entries.map(async ([name, upstream]) => ({ name, up: await probe(new URL(upstream.url)) })));
}

function probe(url: URL): Promise<boolean> {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: PROBE_TIMEOUT_MS });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
