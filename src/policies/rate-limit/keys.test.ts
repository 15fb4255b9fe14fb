import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeContext } from '../test-helpers.js';
import { compileKey, digest, ipIdentity, ipv6Prefix, type KeyOptions } from './keys.js';

const BASE: KeyOptions = { name: 'signup', plan: '', perRoute: true, key: 'ip', ipv6Subnet: 64 };

function ctxFor(ip: string, route = '/api/v1/signup', headers: Record<string, string> = {}) {
  const ctx = fakeContext({ url: route, headers }, 'https', ip);
  ctx.route = route;
  return ctx;
}

test('a digest is 22 base64url characters', () => {
  assert.match(digest('203.0.113.7'), /^[A-Za-z0-9_-]{22}$/);
});

test('a key names the limit, the plan, the route template and who is counted', () => {
  assert.equal(compileKey(BASE)(ctxFor('203.0.113.7')), `signup||%2Fapi%2Fv1%2Fsignup|ip:${digest('203.0.113.7')}`);
});

test('a plan\'s limit is keyed under the plan', () => {
  assert.equal(compileKey({ ...BASE, plan: 'premium' })(ctxFor('203.0.113.7')).split('|')[1], 'premium');
});

test('the route template is encoded, so its braces never reach the store (Redis Cluster hash tags)', () => {
  const key = compileKey(BASE)(ctxFor('203.0.113.7', '/api/v1/tasks/{taskId}'));
  assert.deepEqual([key.includes('{'), key.includes('}'), key.split('|')[2]], [false, false, '%2Fapi%2Fv1%2Ftasks%2F%7BtaskId%7D']);
});

test('perRoute: false puts * in place of the route', () => {
  assert.equal(compileKey({ ...BASE, perRoute: false })(ctxFor('203.0.113.7')).split('|')[2], '*');
});

test('a missing header falls back to the client IP in the anon-ip namespace', () => {
  assert.equal(compileKey({ ...BASE, key: 'header:x-tenant' })(ctxFor('203.0.113.7')).split('|')[3], `anon-ip:${digest('203.0.113.7')}`);
});

test('an empty header falls back to the client IP too', () => {
  assert.match(compileKey({ ...BASE, key: 'header:x-tenant' })(ctxFor('203.0.113.7', '/x', { 'x-tenant': '' })), /\|anon-ip:/);
});

test('a header name in the key is matched case-insensitively', () => {
  assert.equal(compileKey({ ...BASE, key: 'header:X-Tenant' })(ctxFor('203.0.113.7', '/x', { 'x-tenant': 'acme' })).split('|')[3], `h:${digest('acme')}`);
});

test('route: one counter for everyone', () => {
  const keyOf = compileKey({ ...BASE, key: 'route' });
  assert.equal(keyOf(ctxFor('203.0.113.7')), keyOf(ctxFor('198.51.100.1')));
});

test('an unknown key kind is a TypeError at compile time', () => {
  assert.throws(() => compileKey({ ...BASE, key: 'cookie:session' }), TypeError);
});

const PREFIXES: ReadonlyArray<readonly [string, number, string]> = [
  ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2:0:0:0:0/64'],
  ['2001:db8:1:2:3:4:5:6', 48, '2001:db8:1:0:0:0:0:0/48'],
  ['2001:db8:1:2:3:4:5:6', 56, '2001:db8:1:0:0:0:0:0/56'],
  ['2001:db8:1:2ff:3:4:5:6', 56, '2001:db8:1:200:0:0:0:0/56'],
  ['2001:db8::1', 64, '2001:db8:0:0:0:0:0:0/64'],
  ['::1', 64, '0:0:0:0:0:0:0:0/64'],
  ['::', 64, '0:0:0:0:0:0:0:0/64'],
  ['fe80::1:2:3:4', 64, 'fe80:0:0:0:0:0:0:0/64'],
  ['64:ff9b::192.0.2.33', 96, '64:ff9b:0:0:0:0:0:0/96'],
  ['1:2:3:4:5:6:7:8', 128, '1:2:3:4:5:6:7:8/128'],
];

for (const [ip, bits, prefix] of PREFIXES) {
  test(`the /${bits} of ${ip} is ${prefix}`, () => {
    assert.equal(ipv6Prefix(ip, bits), prefix);
  });
}

test('an address that does not parse is used as it is', () => {
  assert.equal(ipv6Prefix('1:2:3::4::5', 64), '1:2:3::4::5');
});

test('IPv4 addresses are never reduced to a prefix', () => {
  assert.notEqual(ipIdentity('203.0.113.7', 64), ipIdentity('203.0.113.8', 64));
});

test('the IPv6 subnet of an IP key follows ipv6Subnet', () => {
  assert.deepEqual([ipIdentity('2001:db8:1:2::1', 64) === ipIdentity('2001:db8:1:2::9', 64), ipIdentity('2001:db8:1:2::1', 128) === ipIdentity('2001:db8:1:2::9', 128)], [true, false]);
});
