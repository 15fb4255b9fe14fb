/**
 * Which addresses and host names the gateway may reach for its own requests (and which URLs the
 * ssrf policy accepts): public unicast only. Every special-purpose range of IPv4 and IPv6 is
 * refused with a label saying which (loopback, private, link-local with the cloud metadata
 * address, CGNAT, documentation, multicast …). IPv4-mapped IPv6 addresses are judged by the
 * IPv4 address they carry; the other IPv6 forms that embed an IPv4 address (IPv4-compatible,
 * SIIT, NAT64, 6to4, Teredo) are refused as whole prefixes. Names that only make sense inside a
 * network (`localhost`, `*.internal`, single labels, cloud metadata names) are refused without DNS.
 *
 * Addresses are read strictly: IPv4 in dotted decimal, IPv6 as node:net accepts it, without a
 * zone id. Anything else is refused, so no second parser can read an address differently. The
 * ranges are matched as numbers in JS (node:net's BlockList costs ~6 µs per lookup).
 */
import { isIP } from 'node:net';

/** Refused ranges by label; the first label whose ranges contain an address names why. */
const RANGES: ReadonlyArray<readonly [label: string, cidrs: readonly string[]]> = [
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['shared address space (CGNAT)', ['100.64.0.0/10']],
  ['link-local (cloud metadata)', ['169.254.0.0/16', 'fe80::/10']],
  ['IETF protocol assignments', ['192.0.0.0/24']],
  ['documentation', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20']],
  ['benchmarking', ['198.18.0.0/15', '2001:2::/48']],
  ['AS112 / AMT anycast', ['192.31.196.0/24', '192.52.193.0/24', '192.175.48.0/24']],
  ['6to4 relay', ['192.88.99.0/24', '2002::/16']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['broadcast', ['255.255.255.255/32']],
  ['reserved', ['240.0.0.0/4']],
  ['IPv4-compatible', ['::/96']],
  ['IPv4-translated (SIIT)', ['::ffff:0:0:0/96']],
  ['NAT64', ['64:ff9b::/96', '64:ff9b:1::/48']],
  ['discard-only', ['100::/64']],
  ['Teredo', ['2001::/32']],
  ['ORCHIDv2', ['2001:20::/28']],
  ['SRv6 SIDs', ['5f00::/16']],
  ['unique local', ['fc00::/7']],
  ['site-local', ['fec0::/10']],
];

/** Exact names that only exist inside a host or a cloud (metadata services, loopback aliases). */
const REFUSED_NAMES: ReadonlySet<string> = new Set([
  'localhost', 'localhost.localdomain', 'localhost4.localdomain4', 'localhost6.localdomain6',
  'metadata.google.internal', 'metadata.goog', 'metadata.packet.net', 'metadata.platformequinix.com',
  'metadata.tencentyun.com', 'instance-data.ec2.internal',
]);

/** Name suffixes reserved for or conventionally used by private networks (RFC 6761, 6762, 8375; ICANN's .internal). */
const REFUSED_SUFFIXES: readonly string[] = [
  '.localhost', '.local', '.localdomain', '.internal', '.home.arpa', '.lan', '.home', '.corp', '.intranet', '.svc',
];

const HEXTET = /^[0-9a-f]{1,4}$/i;

/** Judges addresses and names; built once per client. */
export interface AddressPolicy {
  /**
   * Why an address is refused (a label such as `loopback`), or undefined when it is public.
   * Anything that is not a strictly written IPv4 or IPv6 address is refused.
   */
  refusedAddress(address: string): string | undefined;
  /**
   * Why a host name (not an address) is refused without DNS, or undefined when it may be
   * resolved. `name` is lower case, as the URL parser leaves it.
   */
  refusedName(name: string): string | undefined;
}

/**
 * Builds the address policy.
 *
 * @example
 * ```ts
 * const policy = createAddressPolicy();
 * policy.refusedAddress('169.254.169.254') // 'link-local (cloud metadata)'
 * policy.refusedAddress('::ffff:7f00:1')   // 'loopback'
 * policy.refusedName('metadata.google.internal') // 'internal name'
 * ```
 */
export function createAddressPolicy(): AddressPolicy {
  const v4: Array<{ label: string; base: number; bits: number }> = [];
  const v6: Array<{ label: string; prefix: readonly number[]; bits: number }> = [];
  for (const [label, cidrs] of RANGES) {
    for (const cidr of cidrs) {
      const [net, bits] = cidr.split('/') as [string, string];
      if (isIP(net) === 4) v4.push({ label, base: ipv4Number(net), bits: Number(bits) });
      else v6.push({ label, prefix: ipv6Hextets(net)!, bits: Number(bits) });
    }
  }
  const refusedV4 = (n: number): string | undefined => v4.find((r) => n >>> (32 - r.bits) === r.base >>> (32 - r.bits))?.label;

  return {
    refusedAddress(address: string): string | undefined {
      if (isIP(address) === 4) return refusedV4(ipv4Number(address));
      const h = ipv6Hextets(address);
      if (h === undefined) return 'not an IP address';
      // IPv4-mapped (::ffff:a.b.c.d): judged by the IPv4 address it carries.
      if (h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff) return refusedV4(((h[6]! << 16) | h[7]!) >>> 0);
      return v6.find((r) => inPrefix(h, r.prefix, r.bits))?.label;
    },
    refusedName(name: string): string | undefined {
      let end = name.length;
      while (end > 0 && name.charCodeAt(end - 1) === 46) end--;
      const host = end === name.length ? name : name.slice(0, end);
      if (host === '' || !host.includes('.')) return 'single-label name';
      if (REFUSED_NAMES.has(host)) return 'internal name';
      for (const suffix of REFUSED_SUFFIXES) if (host.endsWith(suffix)) return 'internal name';
      return undefined;
    },
  };
}

function ipv4Number(address: string): number {
  const p = address.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

function inPrefix(h: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 16 < bits; i++) {
    const shift = Math.max(0, 16 - (bits - i * 16));
    if (h[i]! >> shift !== prefix[i]! >> shift) return false;
  }
  return true;
}

/**
 * The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included, brackets allowed),
 * or undefined when it is not one; a zone id (`fe80::1%eth0`) makes it not one.
 *
 * @example
 * ```ts
 * ipv6Hextets('::ffff:127.0.0.1') // [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]
 * ipv6Hextets('fe80::1%eth0')     // undefined
 * ```
 */
export function ipv6Hextets(address: string): number[] | undefined {
  let text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(text) !== 6 || text.includes('%')) return undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const tail = text.slice(lastColon + 1);
    if (isIP(tail) !== 4) return undefined;
    const n = ipv4Number(tail);
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (!groups.every((g) => HEXTET.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
}
