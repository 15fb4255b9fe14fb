import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostResolver, UrlCheckCode } from '../core/outbound.js';
import { createUrlChecker, MAX_URL_LENGTH, type DetailedUrlCheck, type UrlCheckerOptions } from './check.js';
import { tableResolver } from './test-helpers.js';

const DNS = {
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'localtest.me': ['127.0.0.1'],
  'mixed.example.com': ['93.184.215.14', '10.0.0.5'],
  'v6.example.com': ['::ffff:169.254.169.254'],
  'zone.example.com': ['fe80::1%eth0'],
  'octal.example.com': ['0177.0.0.1'],
};

function checker(overrides: Partial<UrlCheckerOptions> = {}) {
  const dns = tableResolver(DNS);
  return { dns, checker: createUrlChecker({ schemes: ['https'], ports: [443], allow: [], resolve: dns.resolve, timeoutMs: 500, ...overrides }) };
}

function codeOf(result: DetailedUrlCheck): UrlCheckCode | 'ok' {
  return result.ok ? 'ok' : result.code;
}

test('a public https URL passes with every address it resolved to', async () => {
  const r = await checker().checker.check('https://hooks.example.com/x');
  assert.ok(r.ok);
  assert.deepEqual(r.addresses.map((a) => [a.address, a.family]), [['93.184.215.14', 4], ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', 6]]);
});

test('the name is resolved exactly once per check', async () => {
  const { checker: c, dns } = checker();
  await c.check('https://hooks.example.com/x');
  assert.deepEqual(dns.asked, ['hooks.example.com']);
});

test('one non-public address among public ones refuses the URL', async () => {
  assert.equal(codeOf(await checker().checker.check('https://mixed.example.com/')), 'address');
});

test('a name resolving to an IPv4-mapped metadata address is refused', async () => {
  assert.equal(codeOf(await checker().checker.check('https://v6.example.com/')), 'address');
});

test('a resolver answer with a zone id or a non-decimal IPv4 is refused', async () => {
  const c = checker().checker;
  assert.deepEqual([codeOf(await c.check('https://zone.example.com/')), codeOf(await c.check('https://octal.example.com/'))], ['address', 'address']);
});

test('decimal, hex, octal and short IPv4 spellings are read as 127.0.0.1 and refused', async () => {
  const c = checker().checker;
  const codes = await Promise.all(['https://2130706433/', 'https://0x7f.1/', 'https://017700000001/', 'https://127.1/', 'https://0x7f000001/'].map(async (u) => codeOf(await c.check(u))));
  assert.deepEqual(codes, Array(5).fill('address'));
});

test('IPv6 loopback, IPv4-mapped and IPv4-compatible literals are refused', async () => {
  const c = checker().checker;
  const codes = await Promise.all(['https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::127.0.0.1]/'].map(async (u) => codeOf(await c.check(u))));
  assert.deepEqual(codes, Array(4).fill('address'));
});

test('an IPv6 zone id in the URL is not a URL', async () => {
  assert.equal(codeOf(await checker().checker.check('https://[fe80::1%25eth0]/')), 'invalid_url');
});

test('localhost and *.localhost are refused without asking DNS', async () => {
  const { checker: c, dns } = checker();
  const codes = [codeOf(await c.check('https://localhost/')), codeOf(await c.check('https://api.localhost/')), codeOf(await c.check('https://localhost./'))];
  assert.deepEqual([codes, dns.asked], [['address', 'address', 'address'], []]);
});

test('cloud metadata names are refused by name', async () => {
  const c = checker().checker;
  const codes = await Promise.all(['https://metadata.google.internal/', 'https://metadata/', 'https://instance-data/'].map(async (u) => codeOf(await c.check(u))));
  assert.deepEqual(codes, ['address', 'address', 'address']);
});

test('a name that resolves to loopback is refused', async () => {
  assert.equal(codeOf(await checker().checker.check('https://localtest.me/')), 'address');
});

test('a name that does not resolve is resolve_failed', async () => {
  assert.equal(codeOf(await checker().checker.check('https://nowhere.example/')), 'resolve_failed');
});

test('a resolver slower than the deadline is resolve_failed, flagged as timed out', async () => {
  const never: HostResolver = () => new Promise(() => undefined);
  const r = await checker({ resolve: never }).checker.check('https://hooks.example.com/', { timeoutMs: 20 });
  assert.deepEqual(r.ok ? 'ok' : [r.code, r.timedOut], ['resolve_failed', true]);
});

test('http is refused by default, https allowed', async () => {
  const c = checker().checker;
  assert.deepEqual([codeOf(await c.check('http://hooks.example.com/')), codeOf(await c.check('https://hooks.example.com/'))], ['scheme', 'ok']);
});

test('schemes other than http(s) are refused even when configured', async () => {
  const c = checker({ schemes: ['https', 'gopher'] }).checker;
  assert.deepEqual([codeOf(await c.check('gopher://hooks.example.com/')), codeOf(await c.check('jar:https://hooks.example.com!/'))], ['scheme', 'scheme']);
});

test('a port outside the allowlist is refused; the scheme default port counts', async () => {
  const c = checker({ ports: [443, 8443] }).checker;
  const codes = [await c.check('https://hooks.example.com:8080/'), await c.check('https://hooks.example.com:8443/'), await c.check('https://hooks.example.com/')].map(codeOf);
  assert.deepEqual(codes, ['port', 'ok', 'ok']);
});

test('userinfo is refused, also on an allowed origin', async () => {
  const c = checker({ allow: ['http://127.0.0.1:9000'] }).checker;
  assert.deepEqual([codeOf(await c.check('https://user:pw@hooks.example.com/')), codeOf(await c.check('http://u@127.0.0.1:9000/'))], ['credentials', 'credentials']);
});

test('backslash and fragment tricks are read as the parser undici uses reads them', async () => {
  const c = checker({ schemes: ['http', 'https'], ports: [80, 443] }).checker;
  const codes = [await c.check('http://127.1.1.1:80\\@hooks.example.com/'), await c.check('https://hooks.example.com#@127.0.0.1/')].map(codeOf);
  assert.deepEqual(codes, ['address', 'ok']);
});

test('garbage and relative URLs are invalid_url', async () => {
  const c = checker().checker;
  const codes = await Promise.all(['not a url', '/relative', '//hooks.example.com/', '', 'https://'].map(async (u) => codeOf(await c.check(u))));
  assert.deepEqual(codes, Array(5).fill('invalid_url'));
});

test('a URL longer than the bound is invalid_url without parsing', async () => {
  assert.equal(codeOf(await checker().checker.check(`https://hooks.example.com/${'a'.repeat(MAX_URL_LENGTH)}`)), 'invalid_url');
});

test('an allowed origin is exempt from the scheme, port and address rules, exactly', async () => {
  const c = checker({ allow: ['http://localhost:9000'] }).checker;
  const codes = [await c.check('http://localhost:9000/jwks'), await c.check('http://localhost:9001/'), await c.check('https://localhost:9000/')].map(codeOf);
  assert.deepEqual(codes, ['ok', 'scheme', 'port']);
});

test('schemes and ports given to one check apply to allowed origins as well', async () => {
  const c = checker({ allow: ['http://localhost:9000'] }).checker;
  assert.equal(codeOf(await c.check('http://localhost:9000/hook', { schemes: ['https'] })), 'scheme');
});

test('resolve: false checks the name rules and literals but asks no DNS', async () => {
  const { checker: c, dns } = checker();
  const codes = [await c.check('https://localtest.me/', { resolve: false }), await c.check('https://127.0.0.1/', { resolve: false }), await c.check('https://localhost/', { resolve: false })].map(codeOf);
  assert.deepEqual([codes, dns.asked], [['ok', 'address', 'address'], []]);
});
