import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIpList, IpListError, normalizeIp } from './ip.js';

test('an IPv4 CIDR matches addresses inside it and not outside', () => {
  const list = compileIpList(['10.0.0.0/8']);
  assert.equal(list.has('10.200.1.1'), true);
  assert.equal(list.has('11.0.0.1'), false);
});

test('an IPv4-mapped IPv6 address matches an IPv4 CIDR', () => {
  assert.equal(compileIpList(['192.168.0.0/16']).has('::ffff:192.168.3.4'), true);
});

test('an IPv4-mapped CIDR in the list covers the IPv4 range it maps', () => {
  const list = compileIpList(['::ffff:10.0.0.0/104']);
  assert.equal(list.has('10.9.9.9'), true);
  assert.equal(list.has('11.0.0.1'), false);
});

test('IPv6 CIDRs match', () => {
  const list = compileIpList(['2001:db8::/32', '::1']);
  assert.equal(list.has('2001:db8:1::7'), true);
  assert.equal(list.has('::1'), true);
  assert.equal(list.has('2001:db9::1'), false);
});

test('something that is not an IP never matches', () => {
  assert.equal(compileIpList(['0.0.0.0/0']).has('localhost'), false);
});

test('a bad entry is reported with its index', () => {
  assert.throws(() => compileIpList(['10.0.0.1', '10.0.0.0/33']), (e: unknown) => e instanceof IpListError && e.index === 1);
  assert.throws(() => compileIpList(['nope']), (e: unknown) => e instanceof IpListError && e.index === 0);
});

test('normalizeIp strips zone ids and the IPv4-mapped prefix', () => {
  assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeIp('::FFFF:10.0.0.1'), '10.0.0.1');
  assert.equal(normalizeIp('1.2.3'), undefined);
});
