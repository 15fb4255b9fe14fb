import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatPath } from '../core/config-error.js';
import { builtinPolicies } from '../policies/index.js';
import { loadConfigFile, loadConfigText, type LoadedConfig } from './load.js';
import { createRegistry } from './registry.js';

const registry = createRegistry(builtinPolicies);

/** YAML text from lines, so a test reads its line numbers off the array. */
function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function load(text: string): LoadedConfig {
  return loadConfigText(text, { registry, baseDir: tmpdir() });
}

/** Every error as [path, line], in the order reported. */
function errorsOf(text: string): Array<[string, number | undefined]> {
  try {
    load(text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.filter((i) => i.severity === 'error').map((i) => [formatPath(i.path), i.line]);
  }
  return assert.fail('expected a ConfigError');
}

/** A valid file (plain-HTTP listener, one upstream, one route) with `extra` lines appended. */
function valid(...extra: string[]): string {
  return yaml(
    'server:', //                       1
    '  http:', //                       2
    '    redirect: false', //           3
    'upstreams:', //                    4
    '  api:', //                        5
    '    url: http://127.0.0.1:3000', // 6
    'routes:', //                       7
    '  - path: /tasks', //              8
    '    methods: [GET]', //            9
    '    upstream: api', //             10
    ...extra, //                        11…
  );
}

test('a valid file loads', () => {
  assert.equal(load(valid()).config.routes.length, 1);
});

test('server limits get their defaults', () => {
  assert.equal(load(valid()).config.server.headersTimeoutMs, 10_000);
});

test('upstream settings get their defaults', () => {
  assert.equal(load(valid()).config.upstreams.api?.connectTimeoutMs, 5_000);
});

test('size-limit is on by default with its defaults', () => {
  assert.deepEqual(load(valid()).config.defaults.policies['size-limit'], { maxBodyBytes: 1_048_576, maxUrlLength: 8192, maxQueryParams: 256 });
});

test('security-headers is on by default with HSTS for a year', () => {
  const headers = load(valid()).config.defaults.policies['security-headers'] as { hsts: unknown };
  assert.deepEqual(headers.hsts, { maxAge: 31_536_000, includeSubDomains: true, preload: false });
});

test('a default policy switched off with false stays off', () => {
  const text = valid('defaults:', '  policies:', '    size-limit: false');
  assert.equal(load(text).config.defaults.policies['size-limit'], false);
});

test('a route policy config gets its defaults', () => {
  const text = valid('    policies:', '      size-limit: { maxBodyBytes: 10 }');
  assert.deepEqual(load(text).config.routes[0]?.policies['size-limit'], { maxBodyBytes: 10, maxUrlLength: 8192, maxQueryParams: 256 });
});

test('anchors and a few aliases are allowed', () => {
  const text = valid('  - path: /other', '    methods: &m [GET, POST]', '    upstream: api', '  - path: /third', '    methods: *m', '    upstream: api');
  assert.deepEqual(load(text).config.routes[2]?.methods, ['GET', 'POST']);
});

test('the error carries the stable code config.invalid', () => {
  assert.throws(() => load('- 1\n'), (e: unknown) => e instanceof ConfigError && e.code === 'config.invalid');
});

test('a YAML syntax error is reported at its line', () => {
  assert.deepEqual(errorsOf(yaml('server:', '  http: { redirect: false', 'upstreams: {}')), [['(root)', 3]]);
});

test('a duplicate YAML key is refused at the second occurrence', () => {
  assert.deepEqual(errorsOf(yaml('upstreams:', '  api:', '    url: http://a.example', '    url: http://b.example')), [['(root)', 4]]);
});

test('an alias bomb (billion laughs) is refused', () => {
  const bomb = yaml(
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
  );
  assert.deepEqual(errorsOf(bomb), [['(root)', 1]]);
});

test('a top level that is a list is refused', () => {
  assert.deepEqual(errorsOf(yaml('- server', '- routes')), [['(root)', 1]]);
});

test('a top level that is a scalar is refused', () => {
  assert.deepEqual(errorsOf(yaml('just text')), [['(root)', 1]]);
});

test('an empty file is refused', () => {
  assert.deepEqual(errorsOf('').map(([path]) => path), ['(root)']);
});

test('an unknown top-level key is refused at its line', () => {
  assert.deepEqual(errorsOf(valid('upstreem:', '  x: 1')), [['upstreem', 11]]);
});

test('an unknown key in server is refused', () => {
  assert.deepEqual(errorsOf(valid().replace('server:\n', 'server:\n  headerTimeoutMs: 5\n')), [['server.headerTimeoutMs', 2]]);
});

test('an unknown key in an upstream is refused', () => {
  assert.deepEqual(errorsOf(valid().replace('  api:\n', '  api:\n    timeout: 5\n')), [['upstreams.api.timeout', 6]]);
});

test('an unknown key in a route is refused', () => {
  assert.deepEqual(errorsOf(valid('    upstreams: api')), [['routes[0].upstreams', 11]]);
});

test('an unknown key in a route policy config is refused', () => {
  assert.deepEqual(errorsOf(valid('    policies:', '      size-limit:', '        maxBody: 10')), [['routes[0].policies.size-limit.maxBody', 13]]);
});

test('an unknown key in a default policy config is refused', () => {
  const text = valid('defaults:', '  policies:', '    security-headers:', '      hsts: false', '      xFrameOptions: DENY');
  assert.deepEqual(errorsOf(text), [['defaults.policies.security-headers.xFrameOptions', 15]]);
});

test('a missing route upstream is reported at the route', () => {
  assert.deepEqual(errorsOf(valid().replace('    upstream: api\n', '')), [['routes[0].upstream', 8]]);
});

test('a missing upstream url is reported at the upstream', () => {
  assert.deepEqual(errorsOf(valid().replace('    url: http://127.0.0.1:3000\n', '    connections: 4\n')), [['upstreams.api.url', 5]]);
});

test('a missing routes section is reported', () => {
  assert.deepEqual(errorsOf(yaml('server:', '  http: { redirect: false }', 'upstreams: {}')), [['routes', 1]]);
});

test('a number written as a string is refused', () => {
  assert.deepEqual(errorsOf(valid().replace('server:\n', 'server:\n  headersTimeoutMs: "10000"\n')), [['server.headersTimeoutMs', 2]]);
});

test('a port out of range is refused', () => {
  assert.deepEqual(errorsOf(valid().replace('    redirect: false\n', '    redirect: false\n    port: 70000\n')), [['server.http.port', 4]]);
});

test('a TLS version outside the enum is refused', () => {
  const text = valid().replace('server:\n', 'server:\n  https:\n    cert: c.pem\n    key: k.pem\n    minVersion: TLSv1.0\n');
  assert.deepEqual(errorsOf(text), [['server.https.minVersion', 5]]);
});

test('a method outside the enum is refused', () => {
  assert.deepEqual(errorsOf(valid().replace('[GET]', '[GET, FETCH]')), [['routes[0].methods[1]', 9]]);
});

test('an empty routes list is refused', () => {
  assert.deepEqual(errorsOf(valid().replace(/routes:[^]*$/, 'routes: []\n')), [['routes', 7]]);
});

test('a policy config that is not a mapping is refused', () => {
  assert.deepEqual(errorsOf(valid('    policies:', '      size-limit: 1048576')), [['routes[0].policies.size-limit', 12]]);
});

test('a policy config of the wrong type is refused at its field', () => {
  assert.deepEqual(errorsOf(valid('    policies:', '      size-limit:', '        maxBodyBytes: 1mb')), [['routes[0].policies.size-limit.maxBodyBytes', 13]]);
});

test('an unknown policy name on a route is refused', () => {
  assert.deepEqual(errorsOf(valid('    policies:', '      shaping: {}')), [['routes[0].policies.shaping', 12]]);
});

test('an unknown policy name under defaults is refused', () => {
  assert.deepEqual(errorsOf(valid('defaults:', '  policies:', '    geo-fence: {}')), [['defaults.policies.geo-fence', 13]]);
});

test('several mistakes are all reported at once', () => {
  const text = valid('    policies:', '      size-limit: { maxBody: 1 }', 'defaults:', '  polices: {}')
    .replace('    url: http://127.0.0.1:3000\n', '    url: http://127.0.0.1:3000\n    retries: 3\n');
  assert.deepEqual(errorsOf(text).sort(), [
    ['defaults.polices', 15],
    ['routes[0].policies.size-limit.maxBody', 13],
    ['upstreams.api.retries', 7],
  ]);
});

test('a missing file is one error without a line', async () => {
  await assert.rejects(loadConfigFile(join(tmpdir(), 'portcullis-does-not-exist.yaml'), registry), (e: unknown) => {
    return e instanceof ConfigError && e.issues.length === 1 && formatPath(e.issues[0]!.path) === '(root)' && e.issues[0]!.line === undefined;
  });
});

test('file names in a loaded file are resolved against its directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-load-'));
  try {
    await writeFile(join(dir, 'cert.pem'), 'dummy');
    await writeFile(join(dir, 'key.pem'), 'dummy');
    await writeFile(join(dir, 'gw.yaml'), valid().replace('server:\n', 'server:\n  https:\n    cert: cert.pem\n    key: key.pem\n').replace('redirect: false', 'redirect: true'));
    const loaded = await loadConfigFile(join(dir, 'gw.yaml'), registry);
    assert.equal(loaded.baseDir, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
