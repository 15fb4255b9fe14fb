import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestContext } from '../../core/context.js';
import { ConfigError } from '../../core/config-error.js';
import type { AuthFailure, AuthOutcome, CompileEnv } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import defaultPolicy, { createApiKeyPolicy, generateApiKey, type ApiKeyConfig, type ApiKeyEntry } from './index.js';
import { DEFAULT_QUERY_PARAM_NAMES } from './schema.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const policy = createApiKeyPolicy({ now: () => NOW });

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-api-key-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh key and its config entry. */
function newKey(entry: Partial<ApiKeyEntry> = {}): { key: string; entry: ApiKeyEntry } {
  const { key, prefix, hash } = generateApiKey();
  return { key, entry: { id: 'reporting-cli', prefix, hash, roles: [], scopes: [], revoked: false, attributes: {}, ...entry } };
}

function configWith(keys: ApiKeyEntry[], overrides: Partial<ApiKeyConfig> = {}): ApiKeyConfig {
  return { header: 'X-API-Key', keys, queryParamNames: [...DEFAULT_QUERY_PARAM_NAMES], ...overrides };
}

type Authenticate = (ctx: RequestContext) => AuthOutcome;

/** The compiled authenticate, checked to answer synchronously. */
function compile(config: ApiKeyConfig, env: Partial<CompileEnv> = {}, p = policy): Authenticate {
  const authenticate = p.compile(config, compileEnvFor(p, { baseDir: dir, ...env })).authenticate;
  assert.ok(authenticate);
  return (ctx) => {
    const result = authenticate(ctx);
    assert.ok(!(result instanceof Promise), 'expected a synchronous answer');
    return result;
  };
}

function request(key: string | undefined, url = '/tasks', route = '/tasks', method = 'GET'): RequestContext {
  const ctx = fakeContext({ method, url, headers: key === undefined ? {} : { 'x-api-key': key } });
  ctx.route = route;
  return ctx;
}

function principalOf(outcome: AuthOutcome): Principal {
  assert.ok(outcome !== undefined && 'principal' in outcome, `expected a principal, got ${JSON.stringify(outcome && 'reason' in outcome ? outcome.reason : outcome)}`);
  return outcome.principal;
}

function failureOf(outcome: AuthOutcome): AuthFailure {
  assert.ok(outcome !== undefined && 'reason' in outcome, 'expected a refusal');
  return outcome;
}

function reasonOf(outcome: AuthOutcome): string {
  return failureOf(outcome).reason;
}

/** A key with the same prefix and a different secret of the same length. */
function wrongSecret(key: string, keepLeading: number): string {
  const at = key.lastIndexOf('_', key.length - 44) + 1; // start of the 43-character secret
  const secret = key.slice(at);
  const flipped = [...secret].map((c, i) => (i < keepLeading ? c : c === 'A' ? 'B' : 'A')).join('');
  return key.slice(0, at) + flipped;
}

// ── accepted ──────────────────────────────────────────────────────────────────

test('a valid key gives a service principal with its id, roles, scopes and attributes', () => {
  const { key, entry } = newKey({ roles: ['reporter'], scopes: ['tasks:read'], attributes: { team: 'finance' } });
  assert.deepEqual(principalOf(compile(configWith([entry]))(request(key))), {
    id: 'reporting-cli', kind: 'service', roles: ['reporter'], scopes: ['tasks:read'], attributes: { team: 'finance' }, method: 'api-key', credentialId: entry.prefix,
  });
});

test('the principal is built once and frozen, attributes included', () => {
  const { key, entry } = newKey({ attributes: { team: { name: 'finance' } } });
  const authenticate = compile(configWith([entry]));
  const a = principalOf(authenticate(request(key)));
  assert.deepEqual([a === principalOf(authenticate(request(key))), Object.isFrozen(a), Object.isFrozen(a.roles), Object.isFrozen((a.attributes.team as object))], [true, true, true, true]);
});

test('two active keys of one client both work (rotation)', () => {
  const old = newKey();
  const next = newKey();
  const authenticate = compile(configWith([old.entry, next.entry]));
  assert.deepEqual([principalOf(authenticate(request(old.key))).id, principalOf(authenticate(request(next.key))).id], ['reporting-cli', 'reporting-cli']);
});

test('revoking the old key of a rotation leaves the new one working', () => {
  const old = newKey({ revoked: true });
  const next = newKey();
  const authenticate = compile(configWith([old.entry, next.entry]));
  assert.deepEqual([reasonOf(authenticate(request(old.key))), principalOf(authenticate(request(next.key))).id], ['key_revoked', 'reporting-cli']);
});

test('a key is accepted before its expiry', () => {
  const { key, entry } = newKey({ expiresAt: '2026-06-01T00:00:01Z' });
  assert.equal(principalOf(compile(configWith([entry]))(request(key))).id, 'reporting-cli');
});

test('a key restricted to routes is accepted on a listed path template', () => {
  const { key, entry } = newKey({ routes: ['/reports', '/tasks/{taskId}'] });
  assert.equal(principalOf(compile(configWith([entry]))(request(key, '/tasks/7', '/tasks/{taskId}'))).id, 'reporting-cli');
});

test('a key restricted to METHODS template is accepted with a listed method', () => {
  const { key, entry } = newKey({ routes: ['GET,HEAD /tasks'] });
  assert.equal(principalOf(compile(configWith([entry]))(request(key, '/tasks', '/tasks', 'HEAD'))).id, 'reporting-cli');
});

test('a custom header is read, case-insensitively configured', () => {
  const { key, entry } = newKey();
  const ctx = fakeContext({ url: '/tasks', headers: { 'x-portcullis-key': key } });
  assert.equal(principalOf(compile(configWith([entry], { header: 'X-Portcullis-Key' }))(ctx)).id, 'reporting-cli');
});

test('the default export is the api-key policy of the authenticate phase', () => {
  assert.deepEqual([defaultPolicy.name, defaultPolicy.phase, Object.keys(defaultPolicy.errors)], ['api-key', 'authenticate', []]);
});

// ── no credential ─────────────────────────────────────────────────────────────

test('a request without the header carries no credential of this kind (undefined)', () => {
  assert.equal(compile(configWith([newKey().entry]))(request(undefined)), undefined);
});

test('with a custom header, a key in X-API-Key is not read', () => {
  const { key, entry } = newKey();
  assert.equal(compile(configWith([entry], { header: 'X-Portcullis-Key' }))(request(key)), undefined);
});

test('a query string without key parameters is not mistaken for one', () => {
  const { key, entry } = newKey();
  assert.equal(principalOf(compile(configWith([entry]))(request(key, '/tasks?monkey=1&sort_key=due&keys=2&q=pk_short'))).id, 'reporting-cli');
});

// ── refused ───────────────────────────────────────────────────────────────────

test('a wrong secret with a known prefix is refused with bad_secret', () => {
  const { key, entry } = newKey();
  assert.equal(reasonOf(compile(configWith([entry]))(request(wrongSecret(key, 0)))), 'bad_secret');
});

test('a refusal is 401 authenticate.invalid_credentials with an ApiKey challenge', () => {
  const { key, entry } = newKey();
  const { denial } = failureOf(compile(configWith([entry]))(request(wrongSecret(key, 0))));
  assert.deepEqual([denial.code, denial.status, denial.headers], ['authenticate.invalid_credentials', 401, ['www-authenticate', 'ApiKey header="X-API-Key"']]);
});

test('the response body does not say why the key was refused', () => {
  const { key, entry } = newKey({ revoked: true });
  const { denial } = failureOf(compile(configWith([entry]))(request(key)));
  assert.doesNotMatch(denial.bodyPrefix, /revoked/);
});

test('every refusal shares one denial built at compile time', () => {
  const { key, entry } = newKey({ revoked: true });
  const authenticate = compile(configWith([entry]));
  assert.equal(failureOf(authenticate(request(key))).denial, failureOf(authenticate(request('nonsense'))).denial);
});

test('an unknown prefix is refused with unknown_key', () => {
  const { entry } = newKey();
  assert.equal(reasonOf(compile(configWith([entry]))(request(newKey().key))), 'unknown_key');
});

test('a revoked key is refused with key_revoked', () => {
  const { key, entry } = newKey({ revoked: true });
  assert.equal(reasonOf(compile(configWith([entry]))(request(key))), 'key_revoked');
});

test('an expired key is refused with key_expired', () => {
  const { key, entry } = newKey({ expiresAt: '2026-05-31T23:59:59Z' });
  assert.equal(reasonOf(compile(configWith([entry]))(request(key))), 'key_expired');
});

test('a key is refused at the exact instant it expires', () => {
  const { key, entry } = newKey({ expiresAt: '2026-06-01T00:00:00Z' });
  assert.equal(reasonOf(compile(configWith([entry]))(request(key))), 'key_expired');
});

test('expiry follows the clock at request time, not at compile time', () => {
  let now = NOW;
  const { key, entry } = newKey({ expiresAt: '2026-06-01T01:00:00Z' });
  const authenticate = compile(configWith([entry]), {}, createApiKeyPolicy({ now: () => now }));
  now += 2 * 3600 * 1000;
  assert.equal(reasonOf(authenticate(request(key))), 'key_expired');
});

test('a revoked key with the wrong secret is bad_secret, not key_revoked (only a holder learns the state)', () => {
  const { key, entry } = newKey({ revoked: true });
  assert.equal(reasonOf(compile(configWith([entry]))(request(wrongSecret(key, 0)))), 'bad_secret');
});

test('a key used on a route it is not allowed on is refused with route_not_allowed', () => {
  const { key, entry } = newKey({ routes: ['/reports'] });
  assert.equal(reasonOf(compile(configWith([entry]))(request(key, '/tasks', '/tasks'))), 'route_not_allowed');
});

test('a key restricted to METHODS template is refused with another method', () => {
  const { key, entry } = newKey({ routes: ['GET /tasks'] });
  assert.equal(reasonOf(compile(configWith([entry]))(request(key, '/tasks', '/tasks', 'DELETE'))), 'route_not_allowed');
});

test('a route restriction does not depend on which route the policy was compiled for (defaults are shared)', () => {
  const { key, entry } = newKey({ routes: ['/reports'] });
  assert.equal(reasonOf(compile(configWith([entry]), { routeName: 'GET /reports' })(request(key, '/tasks', '/tasks'))), 'route_not_allowed');
});

test('a route restriction matches the template, not the concrete path', () => {
  const { key, entry } = newKey({ routes: ['/tasks/7'] });
  assert.equal(reasonOf(compile(configWith([entry]))(request(key, '/tasks/7', '/tasks/{taskId}'))), 'route_not_allowed');
});

test('a key in the api_key query parameter is refused with key_in_query', () => {
  const { key, entry } = newKey();
  assert.equal(reasonOf(compile(configWith([entry]))(request(undefined, `/tasks?api_key=${key}`))), 'key_in_query');
});

test('a key in the query string is refused even when the header holds a valid key', () => {
  const { key, entry } = newKey();
  assert.equal(reasonOf(compile(configWith([entry]))(request(key, `/tasks?page=2&key=${key}`))), 'key_in_query');
});

for (const name of ['apikey', 'API_KEY', 'x-api-key', 'Key']) {
  test(`a query parameter named ${name} is refused with key_in_query`, () => {
    assert.equal(reasonOf(compile(configWith([newKey().entry]))(request(undefined, `/tasks?${name}=abc`))), 'key_in_query');
  });
}

test('a key-shaped value under any parameter name is refused with key_in_query', () => {
  const { key, entry } = newKey();
  assert.equal(reasonOf(compile(configWith([entry]))(request(undefined, `/tasks?token=${key}`))), 'key_in_query');
});

test('a key-shaped value with a percent-encoded underscore is refused with key_in_query', () => {
  const { key, entry } = newKey();
  assert.equal(reasonOf(compile(configWith([entry]))(request(undefined, `/tasks?t=${encodeURIComponent(key).replace(/_/g, '%5F')}`))), 'key_in_query');
});

test('the configured header name is also refused as a query parameter', () => {
  assert.equal(reasonOf(compile(configWith([newKey().entry], { header: 'X-Client-Token' }))(request(undefined, '/tasks?x-client-token=abc'))), 'key_in_query');
});

test('with queryParamNames empty, ?key= is allowed but a key-shaped value is still refused', () => {
  const { key, entry } = newKey();
  const authenticate = compile(configWith([entry], { queryParamNames: [] }));
  assert.deepEqual([principalOf(authenticate(request(key, '/tasks?key=abc'))).id, reasonOf(authenticate(request(undefined, `/tasks?x=${key}`)))], ['reporting-cli', 'key_in_query']);
});

for (const [label, value] of [
  ['a bearer token', 'Bearer abc'],
  ['an empty value', ''],
  ['the wrong marker', `sk_${'a'.repeat(12)}_${'b'.repeat(43)}`],
  ['a short secret', `pk_${'a'.repeat(12)}_${'b'.repeat(42)}`],
  ['a short prefix', `pk_${'a'.repeat(7)}_${'b'.repeat(43)}`],
  ['two keys joined by a repeated header', `pk_${'a'.repeat(12)}_${'b'.repeat(43)}, pk_${'a'.repeat(12)}_${'b'.repeat(43)}`],
  ['a 64 KiB value', `pk_${'a'.repeat(12)}_${'b'.repeat(65_536)}`],
] as const) {
  test(`${label} in the header is refused with malformed`, () => {
    assert.equal(reasonOf(compile(configWith([newKey().entry]))(request(value))), 'malformed');
  });
}

test('the challenge names the configured header', () => {
  const compiled = policy.compile(configWith([], { header: 'X-Client-Token' }), compileEnvFor(policy));
  assert.equal(compiled.challenge, 'ApiKey header="X-Client-Token"');
});

// ── constant time ─────────────────────────────────────────────────────────────

test('every comparison is timingSafeEqual over two 32-byte digests, never the key strings', (t) => {
  const { key, entry } = newKey();
  const authenticate = compile(configWith([entry]));
  const spy = t.mock.method(crypto, 'timingSafeEqual');
  const presented = [wrongSecret(key, 42), wrongSecret(key, 0), newKey().key, key];
  for (const k of presented) authenticate(request(k));
  assert.deepEqual(
    spy.mock.calls.map((c) => [c.arguments.length, ...c.arguments.map((a) => (Buffer.isBuffer(a) ? a.length : typeof a))]),
    presented.map(() => [2, 32, 32]),
  );
});

test('the first digest compared is the SHA-256 of the presented key', (t) => {
  const { key, entry } = newKey();
  const authenticate = compile(configWith([entry]));
  const spy = t.mock.method(crypto, 'timingSafeEqual');
  const presented = wrongSecret(key, 40);
  authenticate(request(presented));
  assert.deepEqual(spy.mock.calls[0]?.arguments[0], crypto.createHash('sha256').update(presented).digest());
});

test('the time to refuse a wrong key does not depend on how many leading characters match', () => {
  const { key, entry } = newKey();
  const authenticate = compile(configWith([entry]));
  const none = request(wrongSecret(key, 0));
  const most = request(wrongSecret(key, 40));
  const batch = (ctx: RequestContext): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 300; i++) authenticate(ctx);
    return Number(process.hrtime.bigint() - start);
  };
  for (let i = 0; i < 5; i++) batch(i % 2 === 0 ? none : most); // warm up
  const ratios: number[] = [];
  for (let round = 0; round < 31; round++) {
    // Alternate the order so drift (GC, frequency scaling) hits both sides alike.
    let tNone: number;
    let tMost: number;
    if (round % 2 === 0) {
      tNone = batch(none);
      tMost = batch(most);
    } else {
      tMost = batch(most);
      tNone = batch(none);
    }
    ratios.push(tNone / tMost);
  }
  ratios.sort((x, y) => x - y);
  const median = ratios[15]!;
  // The structural tests above are the guarantee; this is a sanity bound wide enough never to flake.
  assert.ok(median > 0.5 && median < 2, `median time ratio ${median.toFixed(3)}`);
});

// ── configuration ─────────────────────────────────────────────────────────────

test('two keys with one prefix are a ConfigError at the second key\'s prefix', () => {
  const a = newKey();
  const b = newKey({ prefix: a.entry.prefix, id: 'other' });
  assert.throws(() => compile(configWith([a.entry, b.entry])), (e: unknown) => e instanceof ConfigError && JSON.stringify(e.issues.map((i) => i.path)) === JSON.stringify([['keys', 1, 'prefix']]));
});

test('a hash in the wrong format is a ConfigError at its path', () => {
  const { entry } = newKey({ hash: 'md5:abc' });
  assert.throws(() => compile(configWith([entry])), (e: unknown) => e instanceof ConfigError && JSON.stringify(e.issues[0]?.path) === JSON.stringify(['keys', 0, 'hash']));
});

test('a key already expired at load is a warning at its expiresAt', () => {
  const warnings: unknown[] = [];
  compile(configWith([newKey({ expiresAt: '2020-01-01T00:00:00Z' }).entry]), { warn: (path) => warnings.push(path) });
  assert.deepEqual(warnings, [['keys', 0, 'expiresAt']]);
});

test('a policy with no keys at all is a warning', () => {
  const warnings: unknown[] = [];
  compile(configWith([]), { warn: (path) => warnings.push(path) });
  assert.deepEqual(warnings, [['keys']]);
});

// ── keysFile ──────────────────────────────────────────────────────────────────

let files = 0;
async function keysFile(text: string, ext = 'yaml'): Promise<string> {
  const name = `keys-${++files}.${ext}`;
  await writeFile(join(dir, name), text, { mode: 0o600 });
  return name;
}

function yamlEntry(entry: ApiKeyEntry): string {
  return `- id: ${entry.id}\n  prefix: ${entry.prefix}\n  hash: ${entry.hash}\n  roles: [${entry.roles.join(', ')}]\n`;
}

function configErrorMessages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${JSON.stringify(i.path)} ${i.message}`);
    throw error;
  }
  assert.fail('expected a ConfigError');
}

test('keys from a YAML keysFile (relative to the config directory) are accepted', async () => {
  const { key, entry } = newKey({ roles: ['reporter'] });
  const name = await keysFile(yamlEntry(entry));
  assert.deepEqual(principalOf(compile(configWith([], { keysFile: name }))(request(key))).roles, ['reporter']);
});

test('a keysFile may hold its list under `keys`', async () => {
  const { key, entry } = newKey();
  const name = await keysFile(`keys:\n${yamlEntry(entry).replace(/^/gm, '  ')}`);
  assert.equal(principalOf(compile(configWith([], { keysFile: name }))(request(key))).id, 'reporting-cli');
});

test('a JSON keysFile is accepted', async () => {
  const { key, entry } = newKey();
  const name = await keysFile(JSON.stringify([{ id: entry.id, prefix: entry.prefix, hash: entry.hash }]), 'json');
  assert.equal(principalOf(compile(configWith([], { keysFile: name }))(request(key))).id, 'reporting-cli');
});

test('inline keys and keysFile keys work together', async () => {
  const inline = newKey({ id: 'inline' });
  const fromFile = newKey({ id: 'file' });
  const authenticate = compile(configWith([inline.entry], { keysFile: await keysFile(yamlEntry(fromFile.entry)) }));
  assert.deepEqual([principalOf(authenticate(request(inline.key))).id, principalOf(authenticate(request(fromFile.key))).id], ['inline', 'file']);
});

test('a changed keysFile is read again when the config is recompiled (reload)', async () => {
  const first = newKey();
  const second = newKey();
  const name = await keysFile(yamlEntry(first.entry));
  compile(configWith([], { keysFile: name }));
  await writeFile(join(dir, name), yamlEntry(second.entry));
  const authenticate = compile(configWith([], { keysFile: name }));
  assert.deepEqual([reasonOf(authenticate(request(first.key))), principalOf(authenticate(request(second.key))).id], ['unknown_key', 'reporting-cli']);
});

test('a missing keysFile is a ConfigError at keysFile naming the resolved path', () => {
  assert.deepEqual(configErrorMessages(() => compile(configWith([], { keysFile: 'nowhere.yaml' }))), [`["keysFile"] ${join(dir, 'nowhere.yaml')}: file not found`]);
});

test('an invalid entry in a keysFile is reported with the file, line and entry', async () => {
  const name = await keysFile(`- id: a\n  prefix: AbCd1234EfGh\n  hash: sha256:${'ab'.repeat(32)}\n- id: b\n  prefix: XyZw9876VuTs\n  hash: md5:abc\n`);
  assert.deepEqual(configErrorMessages(() => compile(configWith([], { keysFile: name }))), [`["keysFile"] ${join(dir, name)}:6: [1].hash: must match pattern "^sha256:[0-9a-f]{64}$"`]);
});

test('an unknown field in a keysFile entry is reported by name', async () => {
  const name = await keysFile(`- id: a\n  prefix: AbCd1234EfGh\n  hash: sha256:${'ab'.repeat(32)}\n  key: pk_oops\n`);
  assert.deepEqual(configErrorMessages(() => compile(configWith([], { keysFile: name }))), [`["keysFile"] ${join(dir, name)}:1: [0]: unknown key 'key'`]);
});

test('a keysFile that is not a list is a ConfigError', async () => {
  const name = await keysFile('id: a\n');
  assert.match(configErrorMessages(() => compile(configWith([], { keysFile: name })))[0]!, /must be a list of key entries/);
});

test('a keysFile with a YAML syntax error names its line', async () => {
  const name = await keysFile('- id: a\n  prefix: [\n');
  assert.match(configErrorMessages(() => compile(configWith([], { keysFile: name })))[0]!, new RegExp(`^\\["keysFile"\\] ${join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: YAML: `));
});

test('a prefix in both the inline keys and the keysFile is a ConfigError naming both', async () => {
  const a = newKey();
  const b = newKey({ prefix: a.entry.prefix });
  const name = await keysFile(yamlEntry(b.entry));
  assert.deepEqual(configErrorMessages(() => compile(configWith([a.entry], { keysFile: name }))), [`["keysFile"] ${join(dir, name)}:1: prefix: prefix '${a.entry.prefix}' is already used by keys[0]; every key needs its own prefix`]);
});

test('a world-writable keysFile is a warning', async () => {
  const name = await keysFile(yamlEntry(newKey().entry));
  await chmod(join(dir, name), 0o666);
  const warnings: string[] = [];
  compile(configWith([], { keysFile: name }), { warn: (_path, message) => warnings.push(message) });
  assert.deepEqual(warnings, [`${join(dir, name)} is writable by every user of this machine; anyone who can write it can add keys`]);
});
