// How authorization policies are put together per route: rbac's table merged from the defaults,
// the order within the authorize phase, and the warning for authenticated routes nobody authorizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { compileGateway, type CompiledGateway } from './compile.js';
import { loadConfigText } from './load.js';
import { createRegistry } from './registry.js';
import { builtinPolicies } from '../policies/index.js';
import { ConfigError, formatPath } from '../core/config-error.js';
import { generateApiKey } from '../policies/api-key/key-format.js';
import { fakeContext } from '../policies/test-helpers.js';
import type { Denial } from '../core/problem.js';

const registry = createRegistry(builtinPolicies);
const logger = pino({ level: 'silent' });
const key = generateApiKey();

function gateway(routes: string): CompiledGateway {
  const text = `
server: { http: { redirect: false } }
upstreams: { api: { url: "http://127.0.0.1:3000" } }
defaults:
  policies:
    api-key: { keys: [{ id: ed, prefix: ${key.prefix}, hash: "${key.hash}", roles: [editor] }] }
    rbac:
      roles:
        viewer: { permissions: [read] }
        editor: { permissions: [write], inherits: [viewer] }
        admin: { permissions: [delete], inherits: [editor] }
routes:
${routes}`;
  return compileGateway(loadConfigText(text, { registry, baseDir: tmpdir() }), registry, logger);
}

function run(g: CompiledGateway, route: number): unknown {
  const ctx = fakeContext({ method: 'DELETE', url: '/t/1', headers: { 'x-api-key': key.key } });
  for (const h of g.routes[route]!.handlers) {
    const out = h.run(ctx);
    if (out !== undefined) return out;
  }
  return undefined;
}

test('a route\'s rbac require is merged over the role table in the defaults', () => {
  const g = gateway('  - { path: "/t/{id}", methods: [DELETE], upstream: api, policies: { rbac: { require: [delete] } } }');
  assert.equal((run(g, 0) as Denial).code, 'rbac.forbidden');
});

test('the merged table grants what the editor role inherits', () => {
  const g = gateway('  - { path: "/t/{id}", methods: [DELETE], upstream: api, policies: { rbac: { require: [read] } } }');
  assert.equal(run(g, 0), undefined);
});

test('within the authorize phase rbac runs before abac, whatever the YAML order', () => {
  const g = gateway('  - { path: "/t/{id}", methods: [DELETE], upstream: api, policies: { abac: { condition: "true" }, rbac: { require: [read] } } }');
  const names = g.routes[0]!.handlers.map((h) => h.policy);
  assert.ok(names.indexOf('rbac') < names.indexOf('abac'));
});

test('an authenticated route without any authorization policy gets a warning', () => {
  const g = gateway('  - { path: "/t/{id}", methods: [DELETE], upstream: api }');
  assert.deepEqual(g.warnings.map((w) => formatPath(w.path)), ['routes[0].policies']);
});

test('rbac: { require: [] } says open-to-any-authenticated-caller is intended: no warning', () => {
  const g = gateway('  - { path: "/t/{id}", methods: [DELETE], upstream: api, policies: { rbac: { require: [] } } }');
  assert.deepEqual(g.warnings, []);
});

test('a mistake in the defaults\' role table is reported at the defaults', () => {
  try {
    gateway('  - { path: "/t/{id}", methods: [DELETE], upstream: api, policies: { rbac: { require: [fly] } } }');
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((i) => formatPath(i.path)), ['routes[0].policies.rbac.require[0]']);
  }
});
