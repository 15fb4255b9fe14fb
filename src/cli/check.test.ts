import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type JsonReport } from './check.js';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-check-'));
  await writeFile(join(dir, 'cert.pem'), 'dummy certificate');
  await writeFile(join(dir, 'key.pem'), 'dummy key');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function check(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCheck(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

let fixtures = 0;
/** Writes a fixture file (lines joined) and returns its path. */
async function fixture(...lines: string[]): Promise<string> {
  const file = join(dir, `fixture-${++fixtures}.yaml`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

const GOOD = [
  'server:', //                       1
  '  https: { cert: cert.pem, key: key.pem }', // 2
  '  http: {}', //                    3
  'upstreams:', //                    4
  '  api:', //                        5
  '    url: http://127.0.0.1:3000', // 6
  'routes:', //                       7
  '  - path: /tasks', //              8
  '    methods: [GET]', //            9
  '    upstream: api', //             10
  '    public: true', //              11
  '  - path: /tasks/{id}', //         12
  '    methods: [GET]', //            13
  '    upstream: api', //             14
  '    public: true', //              15
];

test('a valid file exits 0', async () => {
  assert.equal((await check(await fixture(...GOOD))).code, 0);
});

test('a valid file prints one summary line on stdout and nothing on stderr', async () => {
  const file = await fixture(...GOOD);
  const run = await check(file);
  assert.deepEqual([run.stdout.split('\n').filter(Boolean).length, run.stdout.startsWith(`${file}: OK`), run.stderr], [1, true, '']);
});

test('a valid file with a warning exits 0 and prints the warning with path and line', async () => {
  const file = await fixture(...GOOD.slice(0, 2), '  http: { redirect: false }', ...GOOD.slice(3));
  const run = await check(file);
  assert.deepEqual([run.code, run.stdout.split('\n')[0]?.startsWith(`${file}:3:`), run.stdout.includes(': warning: server.http.redirect: ')], [0, true, true]);
});

test('an invalid file exits 1', async () => {
  assert.equal((await check(await fixture(...GOOD, '    retries: 3'))).code, 1);
});

test('each mistake is one stderr line with file, line, path and reason', async () => {
  const file = await fixture(...GOOD.slice(0, 9), '    upstream: nowhere', ...GOOD.slice(10));
  const run = await check(file);
  assert.match(run.stderr, new RegExp(`^${escape(file)}:10:\\d+: error: routes\\[0\\]\\.upstream: \\S.*\\n$`));
});

test('a file that cannot be parsed as YAML exits 1 with its line', async () => {
  const run = await check(await fixture('server:', '  http: [', 'routes: []'));
  assert.deepEqual([run.code, /:\d+:\d+: error: \(root\): /.test(run.stderr)], [1, true]);
});

test('mistakes are printed in file order', async () => {
  // Routes first: the schema validator finds the upstream's mistake first.
  const file = await fixture(...GOOD.slice(6), '    retries: 3', ...GOOD.slice(0, 6), '    timeout: 5');
  const lines = (await check(file)).stderr.split('\n').filter(Boolean);
  assert.deepEqual(lines.map((l) => l.slice(file.length).split(':')[1]), ['10', '17']);
});

test('a policy compile() refusal is reported with its route path', async () => {
  const file = await fixture(...GOOD, '    policies:', '      security-headers:', '        hsts: { preload: true, maxAge: 10 }');
  const run = await check(file);
  assert.deepEqual([run.code, run.stderr.includes(`${file}:18:`), run.stderr.includes('routes[1].policies.security-headers.hsts.maxAge: ')], [1, true, true]);
});

test('a missing file exits 1 naming the file', async () => {
  const file = join(dir, 'nope.yaml');
  const run = await check(file);
  assert.deepEqual([run.code, run.stderr.startsWith(`${file}: error: `)], [1, true]);
});

test('control characters from the file are escaped in the output', async () => {
  const file = await fixture(...GOOD.slice(0, 9), '    upstream: "\\e[2J"', ...GOOD.slice(10));
  const run = await check(file);
  assert.deepEqual([run.code, run.stderr.includes('\u001b')], [1, false]);
});

test('--json prints the issues as JSON on stdout', async () => {
  const file = await fixture(...GOOD.slice(0, 9), '    upstream: nowhere', ...GOOD.slice(10));
  const run = await check('--json', file);
  const report = JSON.parse(run.stdout) as JsonReport;
  assert.deepEqual([run.code, report.valid, report.issues.map((i) => [i.severity, i.path, i.line])], [1, false, [['error', 'routes[0].upstream', 10]]]);
});

test('--json on a valid file reports the counts', async () => {
  const run = await check(await fixture(...GOOD), '--json');
  const report = JSON.parse(run.stdout) as JsonReport;
  assert.deepEqual([run.code, report.valid, report.routes, report.upstreams, report.issues], [0, true, 2, 1, []]);
});

test('no file is a usage error', async () => {
  const run = await check();
  assert.deepEqual([run.code, run.stdout], [2, '']);
});

test('two files are a usage error', async () => {
  const file = await fixture(...GOOD);
  assert.equal((await check(file, file)).code, 2);
});

test('an unknown option is a usage error', async () => {
  assert.equal((await check('--strict', await fixture(...GOOD))).code, 2);
});

test('--help prints usage and exits 0', async () => {
  const run = await check('--help');
  assert.deepEqual([run.code, run.stdout.startsWith('usage: portcullis check')], [0, true]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
