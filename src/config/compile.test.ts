import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { ConfigError, formatPath } from '../core/config-error.js';
import { builtinPolicies } from '../policies/index.js';
import { compileGateway, type CompiledGateway } from './compile.js';
import { loadConfigText } from './load.js';
import { createRegistry } from './registry.js';

const registry = createRegistry(builtinPolicies);
const logger = pino({ level: 'silent' });

function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A valid file with two routes; `extra` lines are appended (inside the second route). */
function config(...extra: string[]): string {
  return yaml(
    'server:', //                       1
    '  http: { redirect: false }', //   2
    'upstreams:', //                    3
    '  api:', //                        4
    '    url: http://127.0.0.1:3000', // 5
    'routes:', //                       6
    '  - path: /a', //                  7
    '    methods: [GET]', //            8
    '    upstream: api', //             9
    '    public: true', //              10
    '  - path: /b', //                  11
    '    methods: [GET]', //            12
    '    upstream: api', //             13
    '    public: true', //              14
    ...extra, //                        15…
  );
}

function compile(text: string): CompiledGateway {
  return compileGateway(loadConfigText(text, { registry, baseDir: tmpdir() }), registry, logger);
}

function errorsOf(text: string): Array<[string, number | undefined]> {
  try {
    void compile(text).close();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => [formatPath(i.path), i.line]);
  }
  return assert.fail('expected a ConfigError');
}

test('every route is compiled in config order', () => {
  const gateway = compile(config());
  assert.deepEqual(gateway.routes.map((r) => r.template), ['/a', '/b']);
});

test('default policies guard every route', () => {
  const gateway = compile(config());
  assert.deepEqual(gateway.routes[1]?.handlers.map((h) => h.policy), ['size-limit']);
});

test('a policy switched off on a route is left out of it', () => {
  const gateway = compile(config('    policies:', '      size-limit: false'));
  assert.deepEqual(gateway.routes[1]?.handlers.map((h) => h.policy), []);
});

test('a policy refusal on a route is reported with the route-prefixed path', () => {
  const text = config('    policies:', '      security-headers:', '        hsts: { preload: true, maxAge: 10 }');
  assert.deepEqual(errorsOf(text), [['routes[1].policies.security-headers.hsts.maxAge', 17]]);
});

test('a policy refusal in the defaults is reported once, at the defaults', () => {
  const text = config('defaults:', '  policies:', '    security-headers:', '      hsts:', '        preload: true', '        includeSubDomains: false');
  assert.deepEqual(errorsOf(text), [['defaults.policies.security-headers.hsts.includeSubDomains', 20]]);
});

test('a refusal at a list index carries the index', () => {
  const text = config('    policies:', '      security-headers:', '        removeHeaders: [x-aspnet-version, Content-Length]');
  assert.deepEqual(errorsOf(text), [['routes[1].policies.security-headers.removeHeaders[1]', 17]]);
});

test('refusals on several routes are all reported', () => {
  const text = config('    policies:', '      security-headers: { removeHeaders: [transfer-encoding] }')
    .replace('    upstream: api\n', '    upstream: api\n    policies:\n      security-headers: { removeHeaders: [content-length] }\n');
  assert.deepEqual(errorsOf(text).map(([path]) => path), [
    'routes[0].policies.security-headers.removeHeaders[0]',
    'routes[1].policies.security-headers.removeHeaders[0]',
  ]);
});
