import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAddressPolicy, ipv6Hextets } from './address-policy.js';

const policy = createAddressPolicy();

const REFUSED: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.100.100.200', 'shared address space (CGNAT)'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['192.0.0.192', 'IETF protocol assignments'],
  ['203.0.113.7', 'documentation'],
  ['198.19.0.1', 'benchmarking'],
  ['192.88.99.1', '6to4 relay'],
  ['224.0.0.251', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::7f00:1', 'IPv4-compatible'],
  ['::ffff:0:7f00:1', 'IPv4-translated (SIIT)'],
  ['64:ff9b::a9fe:a9fe', 'NAT64'],
  ['64:ff9b:1::1', 'NAT64'],
  ['100::1', 'discard-only'],
  ['2001::1', 'Teredo'],
  ['2001:db8::1', 'documentation'],
  ['2002:7f00:1::', '6to4 relay'],
  ['fd00::1', 'unique local'],
  ['fe80::1', 'link-local (cloud metadata)'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
];

for (const [address, label] of REFUSED) {
  test(`${address} is refused as ${label}`, () => {
    assert.equal(policy.refusedAddress(address), label);
  });
}

test('an IPv4-mapped address is judged by the IPv4 address it carries, in either spelling', () => {
  assert.deepEqual(
    ['::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:a9fe:a9fe', '::fFFf:10.0.0.1'].map((a) => policy.refusedAddress(a)),
    ['loopback', 'loopback', 'link-local (cloud metadata)', 'private'],
  );
});

test('an IPv4-mapped public address is public', () => {
  assert.equal(policy.refusedAddress('::ffff:8.8.8.8'), undefined);
});

test('public IPv4 and IPv6 addresses pass', () => {
  assert.deepEqual(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4001:80e::200e'].map((a) => policy.refusedAddress(a)), [undefined, undefined, undefined, undefined]);
});

test('an IPv6 address with a zone id is refused', () => {
  assert.equal(policy.refusedAddress('fe80::1%eth0'), 'not an IP address');
});

test('IPv4 written with leading zeros or in hex is not an address here (only dotted decimal is)', () => {
  assert.deepEqual(['0177.0.0.1', '0x7f.0.0.1', '127.1', '2130706433'].map((a) => policy.refusedAddress(a)), Array(4).fill('not an IP address'));
});

test('names that exist only inside a network are refused without DNS', () => {
  assert.deepEqual(
    ['localhost', 'LOCALHOST'.toLowerCase(), 'a.localhost', 'metadata', 'metadata.google.internal', 'host.docker.internal', 'kubernetes.default.svc.cluster.local', 'printer.local', 'nas.home.arpa', 'localhost.localdomain', 'localhost.'].map((n) => policy.refusedName(n) !== undefined),
    Array(11).fill(true),
  );
});

test('a single-label name is refused (it resolves through the search domains)', () => {
  assert.equal(policy.refusedName('instance-data'), 'single-label name');
});

test('ordinary public names pass the name rules', () => {
  assert.deepEqual(['example.com', 'hooks.slack.com', 'localtest.me', 'internal.example.com'].map((n) => policy.refusedName(n)), [undefined, undefined, undefined, undefined]);
});

test('ipv6Hextets reads compressed, dotted and bracketed forms and refuses what is not IPv6', () => {
  assert.deepEqual(
    ['0:0:0:0:0:ffff:127.0.0.1', '[000:0:0000::01]', '::', 'fe80::1:2', '100::ffff::', 'fe80::1%eth0', '127.0.0.1', '1:2:3:4:5:6:7'].map(ipv6Hextets),
    [[0, 0, 0, 0, 0, 0xffff, 0x7f00, 1], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0], [0xfe80, 0, 0, 0, 0, 0, 1, 2], undefined, undefined, undefined, undefined],
  );
});

test('prefix boundaries are exact', () => {
  assert.deepEqual(
    ['172.15.255.255', '172.16.0.0', '172.32.0.0', '100.63.255.255', '100.128.0.0', 'fbff::1', 'fc00::', 'fdff:ffff::1', 'fe00::', 'febf::1', 'fec0::', 'feff::1', '2001:1f::1', '2001:20::', '2001:30::'].map((a) => policy.refusedAddress(a) !== undefined),
    [false, true, false, false, false, false, true, true, false, true, true, true, false, true, false],
  );
});
