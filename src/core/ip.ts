/**
 * IP addresses and CIDR lists, parsed once at load into a node:net BlockList. IPv4-mapped IPv6
 * addresses (::ffff:192.0.2.1) are treated as the IPv4 address they carry, in lists and lookups.
 */
import { BlockList, isIP } from 'node:net';

/** A compiled list of addresses and ranges. */
export interface IpMatcher {
  /** True when the address is in the list; false for anything that is not an IP address. */
  has(address: string): boolean;
}

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * Normalises an address: strips IPv4-mapped IPv6 and IPv6 zone ids, lower-cases. Returns
 * undefined for anything that is not an IP address.
 *
 * @example
 * ```ts
 * normalizeIp('::ffff:10.0.0.1') // '10.0.0.1'
 * normalizeIp('not-an-ip')       // undefined
 * ```
 */
export function normalizeIp(address: string): string | undefined {
  let a = address.trim();
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const m = MAPPED.exec(a);
  if (m) a = m[1]!;
  return isIP(a) === 0 ? undefined : a.toLowerCase();
}

/**
 * Parses a list of addresses and CIDRs. Throws a TypeError naming the first bad entry's index,
 * for the config compiler to turn into a path.
 *
 * @example
 * ```ts
 * const trusted = compileIpList(['10.0.0.0/8', '::1']);
 * trusted.has('::ffff:10.1.2.3') // true
 * ```
 */
export function compileIpList(entries: readonly string[]): IpMatcher {
  const list = new BlockList();
  entries.forEach((entry, index) => {
    const slash = entry.indexOf('/');
    const addr = normalizeIp(slash === -1 ? entry : entry.slice(0, slash));
    if (addr === undefined) throw new IpListError(index, `'${entry}' is not an IP address or CIDR`);
    const family = isIP(addr) === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(addr, family);
      return;
    }
    const bitsText = entry.slice(slash + 1);
    const mapped = family === 'ipv4' && entry.includes(':');
    const bits = Number(bitsText);
    const min = mapped ? 96 : 0;
    const max = family === 'ipv4' && !mapped ? 32 : 128;
    if (!/^\d{1,3}$/.test(bitsText) || bits > max || bits < min) throw new IpListError(index, `'${entry}' has an invalid prefix length (${min}-${max})`);
    // An IPv4-mapped CIDR (::ffff:10.0.0.0/104) covers the IPv4 range it maps.
    list.addSubnet(addr, mapped ? bits - 96 : bits, family);
  });
  return {
    has(address: string): boolean {
      const a = normalizeIp(address);
      if (a === undefined) return false;
      return list.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** A bad entry in an IP list: its index and why. */
export class IpListError extends TypeError {
  /** Index of the bad entry. */
  readonly index: number;
  constructor(index: number, message: string) {
    super(message);
    this.index = index;
  }
}
