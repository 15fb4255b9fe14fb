/**
 * The gateway's one outbound HTTP client. Every request of its own (JWKS, discovery,
 * introspection, lookups, later webhooks) goes through here. Each URL — the first and every
 * redirect hop — passes the URL check (check.ts: scheme and port allowlists, no userinfo, names
 * refused by name, the host resolved once and every address public), and the connection goes to
 * exactly the addresses that were checked: a pool per (origin, address set) whose lookup hook
 * returns them, so a second DNS answer (rebinding) is never asked for. No redirects are followed
 * unless configured; an overall deadline covers resolution, connection and body; the response
 * size is bounded. Origins listed in `outbound.allow` (the demo's identity provider on loopback)
 * are exempt from the scheme, port and address rules.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, Pool, request, type Dispatcher } from 'undici';
import { OutboundError, type HostResolver, type OutboundClient, type OutboundRequest, type OutboundResponse, type ResolvedAddress, type UrlCheck, type UrlCheckOptions } from '../core/outbound.js';
import { createUrlChecker, publicCheck, systemResolver, type DetailedUrlCheck } from './check.js';
import { nextHop, type Hop } from './redirects.js';

/** Settings of the outbound client (the config's `outbound` section, plus the resolver). */
export interface OutboundOptions {
  /** Default overall deadline, ms (resolution, connection, every redirect hop and the body). */
  readonly timeoutMs: number;
  /** Default response-size bound, bytes. */
  readonly maxResponseBytes: number;
  /** Origins (`http://localhost:9000`) exempt from the scheme, port and public-address rules. */
  readonly allow: readonly string[];
  /** Schemes allowed (default ['https']). */
  readonly schemes?: ReadonlyArray<'http' | 'https'>;
  /** Ports allowed (default [443]). */
  readonly ports?: readonly number[];
  /** Redirects followed, each hop checked like the first URL (default 0: a 3xx is returned as it is). */
  readonly redirects?: number;
  /** Resolves host names to every address (default: node:dns lookup, all addresses). Tests inject one. */
  readonly resolve?: HostResolver;
}

/** Most pinned pools kept open at once (one per origin and address set); the oldest is closed first. */
export const MAX_PINNED_POOLS = 32;

/** Most redirects the config may ask to follow. */
export const MAX_REDIRECTS = 5;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A lookup hook that answers with the checked addresses, whatever name it is asked about. */
function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (_hostname: string, opts: LookupOptions, callback: LookupCallback): void => {
    const family = opts.family === 4 || opts.family === 'IPv4' ? 4 : opts.family === 6 || opts.family === 'IPv6' ? 6 : 0;
    const wanted = family === 0 ? addresses : addresses.filter((a) => a.family === family);
    const first = wanted[0];
    if (first === undefined) {
      const err: NodeJS.ErrnoException = new Error('no checked address of the requested family');
      err.code = 'ENOTFOUND';
      callback(err, []);
      return;
    }
    if (opts.all === true) callback(null, wanted.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, first.address, first.family);
  };
}

/** The lookup hook of exempt origins: the same resolver, no check. */
function resolverLookup(resolve: HostResolver) {
  return (hostname: string, opts: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (found) => pinnedLookup(found.map((a) => ({ address: a.address, family: a.family })))(hostname, opts, callback),
      (error: unknown) => callback(error as NodeJS.ErrnoException, []),
    );
  };
}

/**
 * Creates the client.
 *
 * @example
 * ```ts
 * const outbound = createOutboundClient({ timeoutMs: 5000, maxResponseBytes: 1_048_576, allow: [] });
 * const res = await outbound.request({ url: 'https://idp.example.com/jwks.json' });
 * ```
 */
export function createOutboundClient(options: OutboundOptions): OutboundClient & { close(): Promise<void> } {
  const resolve = options.resolve ?? systemResolver;
  const redirects = Math.min(Math.max(0, Math.trunc(options.redirects ?? 0)), MAX_REDIRECTS);
  const checker = createUrlChecker({
    schemes: options.schemes ?? ['https'],
    ports: options.ports ?? [443],
    allow: options.allow,
    resolve,
    timeoutMs: options.timeoutMs,
  });
  // A connection attempt is bounded too (the kernel may take minutes to give up on a silent host).
  const connectTimeout = options.timeoutMs;
  const trusted = new Agent({ keepAliveTimeout: 10_000, connect: options.resolve === undefined ? { timeout: connectTimeout } : { timeout: connectTimeout, lookup: resolverLookup(resolve) } });
  const pools = new Map<string, Pool>();

  const pinnedPool = (url: URL, addresses: readonly ResolvedAddress[]): Pool => {
    // Sorted, so a DNS server that rotates its answers does not churn pools.
    const key = `${url.origin} ${addresses.map((a) => a.address).sort().join(',')}`;
    let pool = pools.get(key);
    if (pool !== undefined) {
      pools.delete(key);
    } else {
      pool = new Pool(url.origin, { connect: { timeout: connectTimeout, lookup: pinnedLookup(addresses) }, keepAliveTimeout: 10_000, connections: 32 });
      if (pools.size >= MAX_PINNED_POOLS) {
        const [oldestKey, oldest] = pools.entries().next().value as [string, Pool];
        pools.delete(oldestKey);
        // In-flight requests on it finish first; nothing waits for that.
        oldest.close().catch(() => undefined);
      }
    }
    pools.set(key, pool);
    return pool;
  };

  /** Checks one hop's URL; throws the refusal as an OutboundError. */
  const checked = async (hopUrl: string, remainingMs: number): Promise<DetailedUrlCheck & { ok: true }> => {
    const result = await checker.check(hopUrl, { timeoutMs: remainingMs });
    if (result.ok) return result;
    const code = result.code !== 'resolve_failed' ? 'outbound.blocked' : result.timedOut ? 'outbound.timeout' : 'outbound.failed';
    throw new OutboundError(code, `URL refused: ${result.reason}`, { check: result.code });
  };

  const readBody = async (res: Dispatcher.ResponseData, maxBytes: number): Promise<Buffer> => {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw new OutboundError('outbound.too_large', `response of ${declared} bytes exceeds ${maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new OutboundError('outbound.too_large', `response exceeds ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  };

  /** One request and the redirects it is allowed to follow. */
  const exchange = async (req: OutboundRequest, timeoutMs: number, signal: AbortSignal): Promise<OutboundResponse> => {
    const maxBytes = req.maxBytes ?? options.maxResponseBytes;
    const deadline = performance.now() + timeoutMs;
    let hop: Hop = { url: req.url, method: req.method ?? 'GET', headers: req.headers ?? {}, body: req.body };
    let origin = 'the target';
    try {
      for (let followed = 0; ; followed++) {
        const target = await checked(hop.url, deadline - performance.now());
        origin = target.url.origin;
        const remaining = Math.max(1, Math.ceil(deadline - performance.now()));
        // The pool is picked and the request dispatched in one synchronous step, so no other
        // request can evict (close) the pool in between.
        const res = await request(target.url, {
          method: hop.method,
          headers: hop.headers,
          body: hop.body,
          dispatcher: target.exempt ? trusted : pinnedPool(target.url, target.addresses),
          signal,
          headersTimeout: remaining,
          bodyTimeout: remaining,
        });
        // Abandoning a body makes undici emit an abort error on it: nobody else listens for it.
        res.body.on('error', () => undefined);
        const next = followed < redirects ? nextHop(hop, res.statusCode, res.headers.location) : undefined;
        if (next === undefined) return { status: res.statusCode, headers: res.headers, body: await readBody(res, maxBytes) };
        res.body.destroy();
        hop = next;
      }
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof OutboundError) throw cause;
      if (signal.aborted || (error as { code?: string }).code?.includes('TIMEOUT') === true) throw new OutboundError('outbound.timeout', `${origin}: no answer within ${timeoutMs} ms`, { cause: error });
      if (error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_URL') throw new OutboundError('outbound.blocked', 'a redirect Location is not a URL', { cause: error, check: 'invalid_url' });
      throw new OutboundError('outbound.failed', `${origin}: ${(error as Error).message}`, { cause: error });
    }
  };

  return {
    async request(req: OutboundRequest): Promise<OutboundResponse> {
      const timeoutMs = req.timeoutMs ?? options.timeoutMs;
      const signal = AbortSignal.timeout(timeoutMs);
      const work = exchange(req, timeoutMs, signal);
      // undici settles a request that is still connecting only when the connection attempt ends
      // (nodejs/undici#386), so the deadline is also enforced here.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new OutboundError('outbound.timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      work.catch(() => undefined);
      try {
        return await Promise.race([work, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async check(url: string, checkOptions?: UrlCheckOptions): Promise<UrlCheck> {
      return publicCheck(await checker.check(url, checkOptions));
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all([trusted.close(), ...all.map((p) => p.close())]);
    },
  };
}
