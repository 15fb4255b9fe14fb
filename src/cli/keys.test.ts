import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import apiKey, { ApiKeySchema, type ApiKeyConfig } from '../policies/api-key/index.js';
import { compileEnvFor, fakeContext } from '../policies/test-helpers.js';
import { runKeys } from './keys.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function keys(args: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runKeys(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, () => Promise.resolve(stdin));
  return { code, stdout, stderr };
}

const KEY = /pk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}/g;

function keyIn(stdout: string): string {
  const found = stdout.match(KEY);
  assert.ok(found?.length === 1, 'expected exactly one key in the output');
  return found[0];
}

/** The YAML entry list printed after the key. */
function entriesIn(stdout: string): Array<Record<string, unknown>> {
  const yaml = stdout.slice(stdout.indexOf('\n- id: ') + 1);
  return parse(yaml) as Array<Record<string, unknown>>;
}

test('create exits 0 and prints one key of the documented format', async () => {
  const run = await keys(['create', '--id', 'reporting-cli']);
  assert.deepEqual([run.code, keyIn(run.stdout).length, run.stderr], [0, 59, '']);
});

test('create labels the key as shown only once', async () => {
  assert.match((await keys(['create', '--id', 'reporting-cli'])).stdout, /shown only this once/);
});

test('create prints a config entry with the key\'s prefix and SHA-256 hash', async () => {
  const run = await keys(['create', '--id', 'reporting-cli']);
  const key = keyIn(run.stdout);
  assert.deepEqual(entriesIn(run.stdout), [{ id: 'reporting-cli', prefix: key.slice(3, 15), hash: `sha256:${crypto.createHash('sha256').update(key).digest('hex')}`, roles: [], scopes: [] }]);
});

test('create puts roles, scopes, routes and expiry in the entry', async () => {
  const run = await keys(['create', '--id', 'ci', '--roles', 'reporter,auditor', '--scopes', 'tasks:read', '--route', 'GET,POST /tasks', '--route', '/reports', '--expires', '2099-01-01T00:00:00Z']);
  const [entry] = entriesIn(run.stdout);
  assert.deepEqual([entry?.roles, entry?.scopes, entry?.routes, entry?.expiresAt], [['reporter', 'auditor'], ['tasks:read'], ['GET,POST /tasks', '/reports'], '2099-01-01T00:00:00Z']);
});

test('the printed entry, pasted into the config, authenticates the printed key', async () => {
  const run = await keys(['create', '--id', 'reporting-cli', '--roles', 'reporter']);
  const config = { keys: entriesIn(run.stdout) };
  const ajv = new Ajv({ useDefaults: true, strict: false });
  addFormats.default(ajv);
  assert.equal(ajv.validate(ApiKeySchema, config), true);
  const authenticate = apiKey.compile(config as ApiKeyConfig, compileEnvFor(apiKey)).authenticate!;
  const outcome = authenticate(fakeContext({ url: '/tasks', headers: { 'x-api-key': keyIn(run.stdout) } }));
  assert.deepEqual(outcome && 'principal' in outcome ? [outcome.principal.id, outcome.principal.roles] : outcome, ['reporting-cli', ['reporter']]);
});

test('two creates give two different keys', async () => {
  const [a, b] = await Promise.all([keys(['create', '--id', 'ci']), keys(['create', '--id', 'ci'])]);
  assert.notEqual(keyIn(a.stdout), keyIn(b.stdout));
});

test('create --json prints the key and the entry as one JSON object', async () => {
  const run = await keys(['create', '--id', 'ci', '--json']);
  const out = JSON.parse(run.stdout) as { key: string; entry: { prefix: string } };
  assert.deepEqual([Object.keys(out), out.entry.prefix], [['key', 'entry'], out.key.slice(3, 15)]);
});

test('create without --id is a usage error (exit 2)', async () => {
  const run = await keys(['create']);
  assert.deepEqual([run.code, run.stdout, run.stderr.startsWith('portcullis keys: --id NAME is required')], [2, '', true]);
});

test('an unknown subcommand is a usage error (exit 2)', async () => {
  assert.equal((await keys(['rotate', '--id', 'ci'])).code, 2);
});

test('an unknown option is a usage error (exit 2)', async () => {
  assert.equal((await keys(['create', '--id', 'ci', '--role', 'x'])).code, 2);
});

test('an --expires without a time zone is refused (exit 2) and prints no key', async () => {
  const run = await keys(['create', '--id', 'ci', '--expires', '2099-01-01T00:00:00']);
  assert.deepEqual([run.code, run.stdout, run.stderr], [2, '', 'portcullis keys: --expires: must match format "date-time"\n']);
});

test('an --expires in the past is refused (exit 2)', async () => {
  const run = await keys(['create', '--id', 'ci', '--expires', '2020-01-01T00:00:00Z']);
  assert.deepEqual([run.code, run.stderr], [2, 'portcullis keys: --expires: 2020-01-01T00:00:00Z is in the past\n']);
});

test('an --id with a space is refused (exit 2)', async () => {
  const run = await keys(['create', '--id', 'my client']);
  assert.deepEqual([run.code, run.stderr.startsWith('portcullis keys: --id: ')], [2, true]);
});

test('hash - reads the key from standard input and prints its entry', async () => {
  const created = await keys(['create', '--id', 'ci', '--scopes', 'a']);
  const run = await keys(['hash', '-', '--id', 'ci', '--scopes', 'a'], `${keyIn(created.stdout)}\n`);
  assert.deepEqual([run.code, parse(run.stdout), run.stderr], [0, entriesIn(created.stdout), '']);
});

test('hash never prints the key', async () => {
  const created = await keys(['create', '--id', 'ci']);
  const key = keyIn(created.stdout);
  const run = await keys(['hash', '-', '--id', 'ci'], key);
  assert.equal(run.stdout.includes(key.slice(16)), false);
});

test('hash KEY as an argument works but warns about shell history', async () => {
  const key = keyIn((await keys(['create', '--id', 'ci'])).stdout);
  const run = await keys(['hash', key, '--id', 'ci']);
  assert.deepEqual([run.code, /shell history/.test(run.stderr)], [0, true]);
});

test('hash of something that is not a key is refused without echoing it', async () => {
  const run = await keys(['hash', '-', '--id', 'ci'], 'sk_live_0123456789abcdef');
  assert.deepEqual([run.code, run.stdout, run.stderr.includes('0123456789abcdef')], [2, '', false]);
});

test('hash without a key is a usage error (exit 2)', async () => {
  assert.equal((await keys(['hash', '--id', 'ci'])).code, 2);
});

test('--help prints usage and exits 0', async () => {
  const run = await keys(['--help']);
  assert.deepEqual([run.code, run.stdout.startsWith('usage: portcullis keys create')], [0, true]);
});
