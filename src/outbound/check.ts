/**
 * The URL check behind every outbound request and the ssrf policy: WHATWG URL parsing (the parser
 * undici uses, which also turns `http://2130706433`, `http://0x7f.1` and `http://127.1` into
 * dotted IPv4), a scheme and port allowlist, no userinfo, host names refused by name where they
 * can only be internal, and every address the name resolves to (resolved once, within a deadline)
 * checked by the address policy. The caller connects to exactly the addresses returned.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HostResolver, ResolvedAddress, UrlCheck, UrlCheckCode, UrlCheckOptions } from '../core/outbound.js';
import { createAddressPolicy, ipv6Hextets } from './address-policy.js';

/** Longest URL checked; longer ones are `invalid_url`. */
export const MAX_URL_LENGTH = 8192;

/** Most addresses one name may resolve to; more is treated as a failed resolution. */
export const MAX_ADDRESSES = 64;

/** The only schemes the gateway can fetch; configured lists are subsets of these. */
const FETCHABLE = new Set(['http', 'https']);

/** Settings of a checker (the `outbound` config section plus the resolver). */
export interface UrlCheckerOptions {
  /** Schemes accepted, without the colon. */
  readonly schemes: readonly string[];
  /** Ports accepted (a URL without a port has its scheme's default). */
  readonly ports: readonly number[];
  /** Origins exempt from every rule but the userinfo one (unless a check passes its own schemes/ports). */
  readonly allow: readonly string[];
  /** Resolves names to all their addresses. */
  readonly resolve: HostResolver;
  /** Default resolution deadline, ms. */
  readonly timeoutMs: number;
}

/** A check's result as the client sees it: whether an allowed origin was exempt, whether resolution timed out. */
export type DetailedUrlCheck =
  | { readonly ok: true; readonly url: URL; readonly addresses: readonly ResolvedAddress[]; readonly exempt: boolean }
  | { readonly ok: false; readonly code: UrlCheckCode; readonly reason: string; readonly timedOut: boolean };

/** Checks URLs. */
export interface UrlChecker {
  /** Checks one URL; never rejects. */
  check(url: string, options?: UrlCheckOptions): Promise<DetailedUrlCheck>;
}

/**
 * The default resolver: the operating system's (node:dns lookup, every address, in its order).
 *
 * @example
 * ```ts
 * await systemResolver('example.com') // [{ address: '93.184.215.14', family: 4 }, …]
 * ```
 */
export const systemResolver: HostResolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function fail(code: UrlCheckCode, reason: string, timedOut = false): DetailedUrlCheck {
  return Object.freeze({ ok: false, code, reason, timedOut });
}

const INVALID = fail('invalid_url', 'not an absolute URL');
const CREDENTIALS = fail('credentials', 'userinfo in the URL');
const SCHEME = fail('scheme', 'scheme not allowed');
const PORT = fail('port', 'port not allowed');
const TIMED_OUT = Symbol('timed out');

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : protocol === 'http:' ? 80 : 0;
}

/** Waits for `promise` at most `ms`; the promise itself cannot be cancelled (DNS lookups cannot). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms), TIMED_OUT);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Builds a checker.
 *
 * @example
 * ```ts
 * const checker = createUrlChecker({ schemes: ['https'], ports: [443], allow: [], resolve: systemResolver, timeoutMs: 2000 });
 * const r = await checker.check('https://0x7f.1/');
 * r.ok === false && r.code === 'address' // true
 * ```
 */
export function createUrlChecker(options: UrlCheckerOptions): UrlChecker {
  const policy = createAddressPolicy();
  const allowed = new Set(options.allow.map((o) => new URL(o).origin));
  const schemes = new Set(options.schemes.filter((s) => FETCHABLE.has(s)));
  const ports = new Set(options.ports);

  const refused = (address: string): DetailedUrlCheck | undefined => {
    const why = policy.refusedAddress(address);
    return why === undefined ? undefined : fail('address', `a ${why} address`);
  };

  const resolveAll = async (host: string, timeoutMs: number): Promise<DetailedUrlCheck | readonly ResolvedAddress[]> => {
    let answer: Awaited<ReturnType<HostResolver>> | typeof TIMED_OUT;
    try {
      answer = await within(options.resolve(host), timeoutMs);
    } catch {
      return fail('resolve_failed', 'the name did not resolve');
    }
    if (answer === TIMED_OUT) return fail('resolve_failed', `no DNS answer within ${timeoutMs} ms`, true);
    if (answer.length === 0 || answer.length > MAX_ADDRESSES) return fail('resolve_failed', `the name resolved to ${answer.length} addresses`);
    const addresses: ResolvedAddress[] = [];
    for (const a of answer) {
      const family = isIP(a.address) === 4 ? 4 : ipv6Hextets(a.address) === undefined ? 0 : 6;
      if (family === 0 || family !== a.family) return fail('address', 'the name resolves to something that is not an IP address');
      const why = policy.refusedAddress(a.address);
      if (why !== undefined) return fail('address', `the name resolves to a ${why} address`);
      addresses.push(Object.freeze({ address: a.address, family }));
    }
    return Object.freeze(addresses);
  };

  return {
    async check(input: string, opts: UrlCheckOptions = {}): Promise<DetailedUrlCheck> {
      if (typeof input !== 'string' || input.length > MAX_URL_LENGTH) return INVALID;
      let url: URL;
      try {
        url = new URL(input);
      } catch {
        return INVALID;
      }
      if (url.username !== '' || url.password !== '') return CREDENTIALS;
      const exempt = allowed.has(url.origin);
      const scheme = url.protocol.slice(0, -1);
      if (!exempt || opts.schemes !== undefined) {
        const accepted = opts.schemes === undefined ? schemes.has(scheme) : FETCHABLE.has(scheme) && opts.schemes.includes(scheme);
        if (!accepted) return SCHEME;
      }
      if (!exempt || opts.ports !== undefined) {
        const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
        if (!(opts.ports === undefined ? ports.has(port) : opts.ports.includes(port))) return PORT;
      }
      if (exempt) return { ok: true, url, addresses: [], exempt: true };
      // A special scheme always has a host; an IPv6 literal comes bracketed, IPv4 already dotted.
      const host = url.hostname;
      if (host.startsWith('[')) {
        const address = host.slice(1, -1);
        return refused(address) ?? { ok: true, url, addresses: [{ address, family: 6 }], exempt: false };
      }
      if (isIP(host) === 4) return refused(host) ?? { ok: true, url, addresses: [{ address: host, family: 4 }], exempt: false };
      const refusedName = policy.refusedName(host);
      if (refusedName !== undefined) return fail('address', `host refused by name (${refusedName})`);
      if (opts.resolve === false) return { ok: true, url, addresses: [], exempt: false };
      const resolved = await resolveAll(host, opts.timeoutMs ?? options.timeoutMs);
      return 'ok' in resolved ? resolved : { ok: true, url, addresses: resolved, exempt: false };
    },
  };
}

/** Narrows a detailed check to the public {@link UrlCheck} shape (drops the client's extras). */
export function publicCheck(result: DetailedUrlCheck): UrlCheck {
  return result.ok ? { ok: true, url: result.url, addresses: result.addresses } : { ok: false, code: result.code, reason: result.reason };
}
