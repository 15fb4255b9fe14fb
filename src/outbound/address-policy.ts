/**
 * Which resolved addresses the gateway may connect to for its own requests: public unicast only,
 * unless an origin is explicitly allowed. Loopback, private, link-local (cloud metadata at
 * 169.254.169.254), CGNAT, documentation, multicast and reserved ranges are refused, in IPv4 and
 * in IPv6 (including IPv4-mapped forms).
 */
import { compileIpList, type IpMatcher } from '../core/ip.js';

const NON_PUBLIC = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
  '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16',
  'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
];

/**
 * The matcher of non-public addresses.
 *
 * @example
 * ```ts
 * nonPublicAddresses().has('169.254.169.254') // true
 * ```
 */
export function nonPublicAddresses(): IpMatcher {
  return compileIpList(NON_PUBLIC);
}
