import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatPath } from '../core/config-error.js';
import { builtinPolicies } from '../policies/index.js';
import { loadConfigText, type LoadedConfig } from './load.js';
import { createRegistry } from './registry.js';

const registry = createRegistry(builtinPolicies);
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-semantics-'));
  // Loading only checks that these are readable; their content is not parsed.
  await writeFile(join(dir, 'cert.pem'), 'dummy certificate');
  await writeFile(join(dir, 'key.pem'), 'dummy key');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function load(text: string): LoadedConfig {
  return loadConfigText(text, { registry, baseDir: dir });
}

function errorsOf(text: string): Array<[string, number | undefined]> {
  try {
    load(text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.filter((i) => i.severity === 'error').map((i) => [formatPath(i.path), i.line]);
  }
  return assert.fail('expected a ConfigError');
}

/** An HTTPS listener with readable cert and key, one upstream `api`, and the given routes. */
function withRoutes(...routes: string[]): string {
  return yaml(
    'server:', //                       1
    '  https:', //                      2
    '    cert: cert.pem', //            3
    '    key: key.pem', //              4
    'upstreams:', //                    5
    '  api:', //                        6
    '    url: http://127.0.0.1:3000', // 7
    'routes:', //                       8
    ...routes, //                       9…
  );
}

function route(path: string, methods = '[GET]', upstream = 'api'): string[] {
  return [`  - path: ${JSON.stringify(path)}`, `    methods: ${methods}`, `    upstream: ${upstream}`];
}

/** A file with the given server section (lines 1…) and one valid upstream and route after it. */
function withServer(...server: string[]): string {
  return yaml(...server, 'upstreams:', '  api:', '    url: http://127.0.0.1:3000', 'routes:', ...route('/tasks'));
}

/** A file with one upstream whose url is `url` (line 7). */
function withUpstreamUrl(url: string): string {
  return withRoutes(...route('/tasks')).replace('http://127.0.0.1:3000', url);
}

test('an HTTPS listener with readable files loads', () => {
  assert.equal(load(withRoutes(...route('/tasks'))).config.server.https?.port, 8443);
});

test('an upstream URL the URL parser refuses is reported', () => {
  assert.deepEqual(errorsOf(withUpstreamUrl('http://[not-ipv6]:80')), [['upstreams.api.url', 7]]);
});

test('an upstream URL with another scheme is refused', () => {
  assert.deepEqual(errorsOf(withUpstreamUrl('ftp://files.example.com/')), [['upstreams.api.url', 7]]);
});

test('an upstream URL with credentials is refused', () => {
  assert.deepEqual(errorsOf(withUpstreamUrl('http://user:secret@api.internal')), [['upstreams.api.url', 7]]);
});

test('a route naming an unknown upstream is refused', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/tasks', '[GET]', 'apii'))), [['routes[0].upstream', 11]]);
});

test('a duplicate route (same method and template) is refused at the second', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/tasks'), ...route('/tasks'))), [['routes[1].path', 12]]);
});

test('templates differing only in parameter names are the same route', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/tasks/{id}'), ...route('/tasks/{taskId}'))), [['routes[1].path', 12]]);
});

test('routes sharing one of several methods are duplicates', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/tasks', '[GET, POST]'), ...route('/tasks', '[DELETE, POST]'))), [['routes[1].path', 12]]);
});

test('the same template with different methods is two routes', () => {
  assert.equal(load(withRoutes(...route('/tasks', '[GET]'), ...route('/tasks', '[POST]'))).config.routes.length, 2);
});

test('a path template without a leading slash is refused', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('tasks'))), [['routes[0].path', 9]]);
});

test('a path template with {} inside a segment is refused', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/tasks/id-{id}'))), [['routes[0].path', 9]]);
});

test('a path template with * before the last segment is refused', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/files/*/meta'))), [['routes[0].path', 9]]);
});

test('a path template with .. is refused', () => {
  assert.deepEqual(errorsOf(withRoutes(...route('/files/../admin'))), [['routes[0].path', 9]]);
});

test('a trusted proxy with an invalid prefix length is refused at its index', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  http: { redirect: false }', '  trustedProxies:', '    - 10.0.0.0/8', '    - 10.0.0.0/33')), [['server.trustedProxies[1]', 5]]);
});

test('a trusted proxy that is not an address is refused', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  http: { redirect: false }', '  trustedProxies: [999.1.1.1]')), [['server.trustedProxies[0]', 3]]);
});

test('a missing certificate file is refused', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  https:', '    cert: missing.pem', '    key: key.pem')), [['server.https.cert', 3]]);
});

test('a missing key file is refused', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  https:', '    cert: cert.pem', '    key: missing.pem')), [['server.https.key', 4]]);
});

test('a file without any listener is refused', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  headersTimeoutMs: 5000')), [['server', 1]]);
});

test('a file without a server section is refused for lack of a listener', () => {
  assert.deepEqual(errorsOf(withServer()).map(([path]) => path), ['server']);
});

test('an HTTP redirect listener without HTTPS is refused', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  http:', '    port: 8080')), [['server.http.redirect', 2]]);
});

test('an explicit redirect: true without HTTPS is refused at the key', () => {
  assert.deepEqual(errorsOf(withServer('server:', '  http:', '    redirect: true')), [['server.http.redirect', 3]]);
});

test('HTTP and HTTPS on one port are refused', () => {
  const text = withServer('server:', '  https:', '    cert: cert.pem', '    key: key.pem', '    port: 8443', '  http:', '    port: 8443');
  assert.deepEqual(errorsOf(text), [['server.http.port', 7]]);
});

test('plain HTTP serving loads with a warning at redirect', () => {
  const loaded = load(withServer('server:', '  http:', '    redirect: false'));
  assert.deepEqual(loaded.warnings.map((w) => [w.severity, formatPath(w.path), w.line]), [['warning', 'server.http.redirect', 3]]);
});

test('an HTTPS listener with an HTTP redirect loads without warnings', () => {
  assert.deepEqual(load(withServer('server:', '  https: { cert: cert.pem, key: key.pem }', '  http: {}')).warnings, []);
});

test('every semantic mistake is reported at once', () => {
  const text = withRoutes(...route('/a', '[GET]', 'nope'), ...route('/a'), ...route('/b/'));
  assert.deepEqual(errorsOf(text).sort(), [['routes[0].upstream', 11], ['routes[1].path', 12], ['routes[2].path', 15]]);
});
