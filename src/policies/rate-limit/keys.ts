/**
 * Counter keys, built per request by functions compiled once. A key names the limit (and plan),
 * the route template unless the limit spans routes, and who is counted. Parts a client controls
 * or that identify a person (IP addresses, header values, principal ids) are hashed (SHA-256,
 * truncated to 132 bits), so keys stay bounded and the store holds no addresses. A request
 * without the part a limit counts per (no principal, no API key, no header) is counted per client
 * IP in a namespace of its own: never one shared bucket for every such request.
 */
import { hash } from 'node:crypto';
import type { RequestContext } from '../../core/context.js';

/** Builds a counter key for one request. */
export type KeyFunction = (ctx: RequestContext) => string;

/**
 * SHA-256 of `value`, base64url, truncated to 22 characters (132 bits).
 *
 * @example
 * ```ts
 * digest('203.0.113.7') // 'mT1…' (22 characters)
 * ```
 */
export function digest(value: string): string {
  return hash('sha256', value, 'base64url').slice(0, 22);
}

/**
 * The part of an IP key: IPv6 addresses reduced to their `/ipv6Subnet` prefix, then hashed.
 *
 * @example
 * ```ts
 * ipIdentity('2001:db8::1', 64) === ipIdentity('2001:db8::ffff', 64) // true
 * ```
 */
export function ipIdentity(ip: string, ipv6Subnet: number): string {
  return digest(ipv6Subnet < 128 && ip.includes(':') ? ipv6Prefix(ip, ipv6Subnet) : ip);
}

/**
 * The `/bits` prefix of an IPv6 address in full form (`2001:db8:0:0:0:0:0:0/64`); the address
 * itself when it does not parse.
 *
 * @example
 * ```ts
 * ipv6Prefix('2001:db8:1:2:3:4:5:6', 48) // '2001:db8:1:0:0:0:0:0/48'
 * ```
 */
export function ipv6Prefix(ip: string, bits: number): string {
  const groups = expandIpv6(ip);
  if (groups === undefined) return ip;
  let left = bits;
  const out: string[] = [];
  for (const g of groups) {
    const keep = Math.max(0, Math.min(16, left));
    left -= 16;
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    out.push((g & mask).toString(16));
  }
  return `${out.join(':')}/${bits}`;
}

function expandIpv6(ip: string): number[] | undefined {
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon !== -1 && text.includes('.', lastColon)) {
    // An embedded IPv4 tail (::ffff:1.2.3.4 is stripped earlier, but ::1.2.3.4 and NAT64 stay).
    const v4 = text.slice(lastColon + 1).split('.').map((n) => (/^\d{1,3}$/.test(n) ? Number(n) : Number.NaN));
    if (v4.length !== 4 || v4.some((n) => Number.isNaN(n) || n > 255)) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':').map((p) => (/^[0-9a-f]{1,4}$/i.test(p) ? parseInt(p, 16) : Number.NaN));
    return parts.some(Number.isNaN) ? undefined : parts;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const need = 8 - tail.length;
  if (halves.length === 1) {
    if (head.length !== need) return undefined;
    return [...head, ...tail];
  }
  const zeros = need - head.length - rest.length;
  if (zeros < 1) return undefined;
  return [...head, ...new Array<number>(zeros).fill(0), ...rest, ...tail];
}

/** Options of {@link compileKey}. */
export interface KeyOptions {
  /** The limit's name (or `concurrency`). */
  readonly name: string;
  /** The plan (role) whose limit this is; '' for the policy's own limits. */
  readonly plan: string;
  /** Include the route template. */
  readonly perRoute: boolean;
  /** What is counted per: ip, principal, api-key, route, header:<name>. */
  readonly key: string;
  /** Prefix length IPv6 clients are counted per. */
  readonly ipv6Subnet: number;
}

/**
 * Compiles the key function of one limit.
 *
 * @example
 * ```ts
 * const keyOf = compileKey({ name: 'signup', plan: '', perRoute: true, key: 'ip', ipv6Subnet: 64 });
 * keyOf(ctx) // 'signup||%2Fapi%2Fv1%2Fsignup|ip:…'
 * ```
 */
export function compileKey(options: KeyOptions): KeyFunction {
  const head = `${options.name}|${options.plan}|`;
  const identity = compileIdentity(options.key, options.ipv6Subnet);
  if (!options.perRoute) return (ctx) => `${head}*|${identity(ctx)}`;
  // Templates come from the config, so the cache holds at most one entry per route.
  const routes = new Map<string, string>();
  return (ctx) => {
    let route = routes.get(ctx.route);
    if (route === undefined) {
      route = encodeURIComponent(ctx.route);
      if (routes.size < 10_000) routes.set(ctx.route, route);
    }
    return `${head}${route}|${identity(ctx)}`;
  };
}

function compileIdentity(key: string, ipv6Subnet: number): KeyFunction {
  const fallback = (ctx: RequestContext) => `anon-ip:${ipIdentity(ctx.clientIp, ipv6Subnet)}`;
  switch (key) {
    case 'ip':
      return (ctx) => `ip:${ipIdentity(ctx.clientIp, ipv6Subnet)}`;
    case 'principal':
      return (ctx) => {
        const p = ctx.principal;
        return p === undefined ? fallback(ctx) : `p:${digest(`${p.kind}:${p.id}`)}`;
      };
    case 'api-key':
      return (ctx) => {
        const p = ctx.principal;
        // Only an API key's id: a JWT's credentialId is its jti, new with every token.
        return p?.method === 'api-key' && p.credentialId !== undefined ? `k:${digest(p.credentialId)}` : fallback(ctx);
      };
    case 'route':
      return () => 'all';
    default: {
      if (!key.startsWith('header:')) throw new TypeError(`unknown key '${key}'`);
      const name = key.slice('header:'.length).toLowerCase();
      return (ctx) => {
        const raw = ctx.req.headers[name];
        const value = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join(', ') : '';
        return value === '' ? fallback(ctx) : `h:${digest(value)}`;
      };
    }
  }
}
