import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigPath } from '../../core/config-error.js';
import type { CompileEnv, PolicyAuditEvent } from '../../core/policy.js';
import type { Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy, { MAX_FILE_ENTRIES, type IpFilterConfig } from './index.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-ip-filter-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** Writes a list file into the test directory and returns its name relative to it. */
async function listFile(text: string): Promise<string> {
  const name = `list-${++fileCount}.txt`;
  await writeFile(join(dir, name), text);
  return name;
}

type Check = (clientIp: string) => Denial | undefined;

/** The compiled onRequest over a client address, checked to answer synchronously. */
function compile(config: Partial<IpFilterConfig>, env: Partial<CompileEnv> = {}): Check {
  const onRequest = policy.compile({ allow: [], deny: [], ...config }, compileEnvFor(policy, { baseDir: dir, ...env })).onRequest;
  assert.ok(onRequest, 'expected a request handler');
  return (clientIp) => {
    const result = onRequest(fakeContext({}, 'https', clientIp));
    assert.ok(!(result instanceof Promise), 'expected a synchronous answer');
    return result ?? undefined;
  };
}

/** Whether the client passes; a refusal must be the one 403 ip-filter.denied. */
function passes(check: Check, clientIp: string): boolean {
  const d = check(clientIp);
  if (d !== undefined) {
    assert.equal(d.code, 'ip-filter.denied');
    assert.equal(d.status, 403);
  }
  return d === undefined;
}

/** The issues of the ConfigError compile() throws, as `path message`. */
function issuesOf(config: Partial<IpFilterConfig>): string[] {
  try {
    compile(config);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues.map((i) => `${JSON.stringify(i.path)} ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

function warningsOf(config: Partial<IpFilterConfig>): Array<[ConfigPath, string]> {
  const warnings: Array<[ConfigPath, string]> = [];
  policy.compile({ allow: [], deny: [], ...config }, compileEnvFor(policy, { baseDir: dir, warn: (path, message) => warnings.push([path, message]) }));
  return warnings;
}

// ── allow and deny ───────────────────────────────────────────────────────────

test('an address on the allow list passes', () => {
  assert.equal(passes(compile({ allow: ['192.0.2.7'] }), '192.0.2.7'), true);
});

test('an address not on the allow list is refused with 403 ip-filter.denied', () => {
  assert.equal(passes(compile({ allow: ['192.0.2.7'] }), '192.0.2.8'), false);
});

test('an IPv4 CIDR on the allow list covers its range and nothing else', () => {
  const check = compile({ allow: ['10.0.0.0/8'] });
  assert.deepEqual(['10.0.0.0', '10.255.255.255', '11.0.0.0', '9.255.255.255'].map((ip) => passes(check, ip)), [true, true, false, false]);
});

test('an IPv6 CIDR on the allow list covers its range and nothing else', () => {
  const check = compile({ allow: ['2001:db8::/32'] });
  assert.deepEqual(['2001:db8::1', '2001:DB8:ffff::1', '2001:db9::1', '::1'].map((ip) => passes(check, ip)), [true, true, false, false]);
});

test('an IPv4-mapped IPv6 client is matched against an IPv4 CIDR', () => {
  const check = compile({ allow: ['10.0.0.0/8'] });
  assert.deepEqual(['::ffff:10.1.2.3', '::FFFF:10.1.2.3', '::ffff:a01:203', '::ffff:11.1.2.3'].map((ip) => passes(check, ip)), [true, true, true, false]);
});

test('an IPv4-mapped CIDR entry covers the IPv4 range it maps, in both notations of the client', () => {
  const check = compile({ allow: ['::ffff:10.0.0.0/104'] });
  assert.deepEqual(['10.1.2.3', '::ffff:10.1.2.3', '11.0.0.1', '::ffff:11.0.0.1'].map((ip) => passes(check, ip)), [true, true, false, false]);
});

test('an IPv4-mapped client on an IPv4 deny list is refused', () => {
  assert.equal(passes(compile({ deny: ['192.0.2.0/24'] }), '::ffff:192.0.2.7'), false);
});

test('an IPv4 client on an IPv4-mapped deny entry is refused', () => {
  assert.equal(passes(compile({ deny: ['::ffff:192.0.2.7'] }), '192.0.2.7'), false);
});

test('an address on the deny list is refused, and others pass', () => {
  const check = compile({ deny: ['203.0.113.0/24', '2001:db8::/32'] });
  assert.deepEqual(['203.0.113.9', '2001:db8::9', '198.51.100.1', '2001:db9::1'].map((ip) => passes(check, ip)), [false, false, true, true]);
});

test('deny wins over allow', () => {
  const check = compile({ allow: ['10.0.0.0/8'], deny: ['10.6.6.0/24'] });
  assert.deepEqual(['10.6.6.6', '10.1.1.1'].map((ip) => passes(check, ip)), [false, true]);
});

test('with both lists empty the policy adds no request handler (everything passes)', () => {
  assert.equal(policy.compile({ allow: [], deny: [] }, compileEnvFor(policy)).onRequest, undefined);
});

test('a client address that is not an IP address is refused by an allow list', () => {
  assert.equal(passes(compile({ allow: ['0.0.0.0/0', '::/0'] }), 'unknown'), false);
});

test('the refusal is built once, not per request', () => {
  const check = compile({ deny: ['192.0.2.0/24'] });
  assert.equal(check('192.0.2.1'), check('192.0.2.2'));
});

test('a deny-list refusal is audited with rule deny list', () => {
  const events: PolicyAuditEvent[] = [];
  compile({ allow: ['192.0.2.0/24'], deny: ['192.0.2.66'] }, { audit: (_ctx, e) => events.push(e) })('192.0.2.66');
  assert.deepEqual(events, [{ type: 'ip-filter', outcome: 'failure', rule: 'deny list' }]);
});

test('an allow-list refusal is audited with rule not in allow list', () => {
  const events: PolicyAuditEvent[] = [];
  compile({ allow: ['192.0.2.0/24'] }, { audit: (_ctx, e) => events.push(e) })('198.51.100.1');
  assert.deepEqual(events, [{ type: 'ip-filter', outcome: 'failure', rule: 'not in allow list' }]);
});

test('a request that passes is not audited', () => {
  const events: PolicyAuditEvent[] = [];
  compile({ allow: ['192.0.2.0/24'], deny: ['192.0.2.66'] }, { audit: (_ctx, e) => events.push(e) })('192.0.2.1');
  assert.deepEqual(events, []);
});

// ── config mistakes ──────────────────────────────────────────────────────────

test('a bad inline entry is a ConfigError at its exact path', () => {
  assert.deepEqual(issuesOf({ deny: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.999'] }), ['["deny",3] \'10.0.0.999\' is not an IP address or CIDR']);
});

test('a prefix length too long for the family is a ConfigError', () => {
  assert.deepEqual(issuesOf({ allow: ['10.0.0.0/33'] }), ['["allow",0] \'10.0.0.0/33\' has an invalid prefix length (0-32)']);
});

test('an IPv4-mapped CIDR shorter than /96 is a ConfigError', () => {
  assert.deepEqual(issuesOf({ allow: ['::ffff:10.0.0.0/95'] }), ['["allow",0] \'::ffff:10.0.0.0/95\' has an invalid prefix length (96-128)']);
});

test('every bad entry of both lists is reported, not just the first', () => {
  assert.deepEqual(issuesOf({ allow: ['1.2.3'], deny: ['10.0.0.1', 'zz::1', '10.0.0.2', '::1/129'] }), [
    '["allow",0] \'1.2.3\' is not an IP address or CIDR',
    '["deny",1] \'zz::1\' is not an IP address or CIDR',
    '["deny",3] \'::1/129\' has an invalid prefix length (0-128)',
  ]);
});

// ── list files ───────────────────────────────────────────────────────────────

test('an allowFile is read with comments, blank lines and CRLF line ends', async () => {
  const name = await listFile('# office\n192.0.2.0/24   # VPN exit\r\n\n   \n2001:db8::/32\r\n#198.51.100.1\n');
  const check = compile({ allowFile: name });
  assert.deepEqual(['192.0.2.9', '2001:db8::1', '198.51.100.1'].map((ip) => passes(check, ip)), [true, true, false]);
});

test('a denyFile adds to the inline deny list', async () => {
  const name = await listFile('203.0.113.0/24\n');
  const check = compile({ deny: ['198.51.100.1'], denyFile: name });
  assert.deepEqual(['203.0.113.5', '198.51.100.1', '192.0.2.1'].map((ip) => passes(check, ip)), [false, false, true]);
});

test('a list file is named relative to the config directory', async () => {
  const name = await listFile('192.0.2.1\n');
  assert.equal(passes(compile({ denyFile: name }), '192.0.2.1'), false);
});

test('a list file is read again on each compile, so a reload sees its new contents', async () => {
  const name = await listFile('192.0.2.1\n');
  assert.equal(passes(compile({ denyFile: name }), '192.0.2.1'), false);
  await writeFile(join(dir, name), '192.0.2.2\n');
  assert.equal(passes(compile({ denyFile: name }), '192.0.2.1'), true);
});

test('a bad line in a list file is a ConfigError naming the file and line', async () => {
  const name = await listFile('# blocked\n203.0.113.0/24\n\nnot-an-ip # oops\n');
  assert.deepEqual(issuesOf({ denyFile: name }), [`["denyFile"] ${join(dir, name)}:4: 'not-an-ip' is not an IP address or CIDR`]);
});

test('a line with a bad prefix length names its line, after inline entries', async () => {
  const name = await listFile('192.0.2.0/24\n# a comment\n10.0.0.0/40\n');
  assert.deepEqual(issuesOf({ allow: ['198.51.100.1'], allowFile: name }), [`["allowFile"] ${join(dir, name)}:3: '10.0.0.0/40' has an invalid prefix length (0-32)`]);
});

test('a missing list file is a ConfigError', () => {
  assert.deepEqual(issuesOf({ allowFile: 'missing.txt' }), [`["allowFile"] ${join(dir, 'missing.txt')}: file not found`]);
});

test('a list file with more entries than the bound is a ConfigError', async () => {
  const lines: string[] = [];
  for (let i = 0; i <= MAX_FILE_ENTRIES; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const name = await listFile(lines.join('\n'));
  assert.deepEqual(issuesOf({ denyFile: name }), [`["denyFile"] ${join(dir, name)}: more than ${MAX_FILE_ENTRIES} entries`]);
});

test('an empty allowFile keeps the allow list in force: every client is refused, with a warning', async () => {
  const name = await listFile('# nobody yet\n');
  assert.equal(passes(compile({ allowFile: name }), '192.0.2.1'), false);
  assert.deepEqual(warningsOf({ allowFile: name }), [[['allowFile'], 'the allow list is empty: every client is refused']]);
});

test('a world-writable list file is a warning', async () => {
  const name = await listFile('192.0.2.1\n');
  await chmod(join(dir, name), 0o666);
  assert.deepEqual(warningsOf({ denyFile: name }), [[['denyFile'], `${join(dir, name)} is writable by every user of this machine; anyone who can write it decides which clients are let through`]]);
});

// ── warnings ─────────────────────────────────────────────────────────────────

test('0.0.0.0/0 in the allow list is a warning at its path', () => {
  assert.deepEqual(warningsOf({ allow: ['10.0.0.0/8', '0.0.0.0/0'] }), [[['allow', 1], '\'0.0.0.0/0\' allows every IPv4 address: the allow list does not restrict those clients']]);
});

test('::/0 in the allow list is a warning (it covers IPv4 too)', () => {
  assert.deepEqual(warningsOf({ allow: ['::/0'] }), [[['allow', 0], '\'::/0\' allows every address: the allow list does not restrict those clients']]);
});

test('::ffff:0.0.0.0/96 in the allow list is a warning', () => {
  assert.deepEqual(warningsOf({ allow: ['::ffff:0.0.0.0/96'] }), [[['allow', 0], '\'::ffff:0.0.0.0/96\' allows every IPv4 address: the allow list does not restrict those clients']]);
});

test('a catch-all entry in an allowFile is a warning naming the file and line', async () => {
  const name = await listFile('10.0.0.0/8\n0.0.0.0/0\n');
  assert.deepEqual(warningsOf({ allowFile: name }), [[['allowFile'], `${join(dir, name)}:2: '0.0.0.0/0' allows every IPv4 address: the allow list does not restrict those clients`]]);
});

test('ordinary ranges and a catch-all deny entry give no warning', () => {
  assert.deepEqual(warningsOf({ allow: ['10.0.0.0/8', '2001:db8::/96', '::1'], deny: ['0.0.0.0/0'] }), []);
});

// ── the definition ───────────────────────────────────────────────────────────

test('the policy runs in the connection phase and refuses only with denied (403)', () => {
  assert.equal(policy.phase, 'connection');
  assert.deepEqual(Object.fromEntries(Object.entries(policy.errors).map(([code, spec]) => [code, spec.status])), { denied: 403 });
});
