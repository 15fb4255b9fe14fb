// The library API itself: config mistakes reported as the CLI reports them, what an app's config
// may leave out or may not use, route subsets, in-handler ownership checks, typed options, and
// package hygiene (exports, no side effects at import).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfigText } from '../src/config/load.js';
import { createRegistry } from '../src/config/registry.js';
import { builtinPolicies } from '../src/policies/index.js';
import { authorizeObject, compileObjectRule, ConfigError, portcullis, type PortcullisConfig, type Principal } from '../src/index.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';

const silent = pino({ level: 'silent' });
const key = generateApiKey();
const apiKey = { keys: [{ id: 'alice', prefix: key.prefix, hash: key.hash, roles: ['user'] }] };
const alice: Principal = { id: 'alice', kind: 'user', roles: ['user'], scopes: [], attributes: { team: 'blue' }, method: 'api-key' };

async function configError(config: unknown, options = {}): Promise<ConfigError> {
  const error = await portcullis(config as PortcullisConfig, { logger: silent, ...options }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  return error;
}

const plain = (issues: ConfigError['issues']) => issues.map(({ path, message, severity }) => ({ path, message, severity }));

test('a config mistake is reported with the same paths and messages as the gateway\'s loader', async () => {
  const routes = [{ path: '/api/tasks', methods: ['GET'], policies: { 'api-key': apiKey, rbac: { require: ['read'], mode: 'some' }, 'size-limit': { maxBodyBytes: -1 } } }];
  const error = await configError({ routes });
  const gateway = JSON.stringify({ server: { http: { port: 0, redirect: false } }, upstreams: { api: { url: 'http://127.0.0.1:1' } }, routes: routes.map((r) => ({ ...r, upstream: 'api' })) });
  const cli = (() => {
    try {
      loadConfigText(gateway, { registry: createRegistry(builtinPolicies), baseDir: '.' });
    } catch (e) {
      return e as ConfigError;
    }
    assert.fail('the gateway loader accepted it');
  })();
  assert.deepEqual(plain(error.issues), plain(cli.issues));
  assert.ok(error.issues.some((i) => i.path.join('.') === 'routes.0.policies.rbac.mode'));
});

test('a route without authentication that is not public is refused at its path', async () => {
  const error = await configError({ routes: [{ path: '/api/tasks', methods: ['GET'] }] });
  assert.deepEqual(error.issues.map((i) => i.path), [['routes', 0]]);
});

test('a bad trustedProxies option is reported at trustedProxies[i]', async () => {
  const error = await configError({ routes: [{ path: '/x', methods: ['GET'], public: true }] }, { trustedProxies: ['10.0.0.0/8', 'not-an-ip'] });
  assert.deepEqual(error.issues.map((i) => i.path), [['trustedProxies', 1]]);
});

test('listeners and upstreams of a gateway config are accepted and ignored; gateway-only features warn', async () => {
  const guard = await portcullis({
    server: { https: { port: 8443, cert: 'missing.pem', key: 'missing-key.pem' } },
    upstreams: { api: { url: 'http://10.0.0.1:3000' } },
    admin: { port: 9901 },
    audit: { file: 'audit.log' },
    routes: [{ path: '/x', methods: ['GET'], public: true, upstream: 'api' }],
  }, { logger: silent });
  await guard.close();
  assert.deepEqual(guard.warnings.map((w) => w.path), [['admin'], ['audit', 'file']]);
});

test('the caller\'s config object is not changed (defaults are filled in a copy)', async () => {
  const config = { routes: [{ path: '/x', methods: ['GET'], public: true }] } as const;
  const before = JSON.stringify(config);
  const guard = await portcullis(config, { logger: silent });
  await guard.close();
  assert.equal(JSON.stringify(config), before);
});

test('include serves a subset of the routes', async () => {
  const guard = await portcullis({ routes: [{ path: '/a', methods: ['GET'], public: true }, { path: '/b', methods: ['GET'], public: true }] }, { logger: silent, include: (r) => r.path === '/b' });
  await guard.close();
  assert.deepEqual(guard.routes.map((r) => r.path), ['/b']);
});

test('an include that selects nothing is a config error', async () => {
  const error = await configError({ routes: [{ path: '/a', methods: ['GET'], public: true }] }, { include: () => false });
  assert.deepEqual(error.issues.map((i) => i.path), [['routes']]);
});

test('an unknown unmatched option is refused when the guard is built', async () => {
  await assert.rejects(portcullis({ routes: [{ path: '/a', methods: ['GET'], public: true }] }, { unmatched: 'maybe' as 'next' }), TypeError);
});

test('authorizeObject allows the owner', () => {
  assert.equal(authorizeObject(alice, { ownerId: 'alice' }, { ownerField: 'ownerId' }).allowed, true);
});

test('authorizeObject refuses another owner with the policy\'s 404 object-level.not_found', () => {
  const decision = authorizeObject(alice, { ownerId: 'bob' }, { ownerField: 'ownerId' });
  assert.deepEqual(decision.allowed ? undefined : [decision.reason, decision.denial.code, decision.denial.status], ['not_owner', 'object-level.not_found', 404]);
});

test('authorizeObject fails closed: no principal, no owner field, a caller without the attribute', () => {
  const rule = { ownerField: 'meta.team', owner: 'user.attributes.unit' } as const;
  const reasons = [
    authorizeObject(undefined, { ownerId: 'alice' }, { ownerField: 'ownerId' }),
    authorizeObject(alice, { title: 'no owner' }, { ownerField: 'ownerId' }),
    authorizeObject(alice, { meta: { team: 'blue' } }, rule),
  ].map((d) => (d.allowed ? 'allowed' : d.reason));
  assert.deepEqual(reasons, ['no_principal', 'owner_field_missing', 'caller_attribute_missing']);
});

test('authorizeObject compares an attribute and lets a bypass role through', () => {
  const byTeam = authorizeObject(alice, { meta: { team: 'blue' } }, { ownerField: 'meta.team', owner: 'user.attributes.team' });
  const admin = authorizeObject({ ...alice, id: 'root', roles: ['admin'] }, { ownerId: 'bob' }, { ownerField: 'ownerId', bypassRoles: ['admin'] });
  assert.deepEqual([byTeam.allowed, admin.allowed], [true, true]);
});

test('a malformed ownership rule is a ConfigError at the field', () => {
  assert.throws(() => compileObjectRule({ ownerField: 'a..b' }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'ownerField');
});

test('guard.authorize records the decision in the audit sink', async () => {
  const records: Array<Readonly<Record<string, unknown>>> = [];
  const guard = await portcullis({ routes: [{ path: '/a', methods: ['GET'], public: true }] }, { logger: silent, audit: (r) => records.push(r) });
  await guard.close();
  const req = { principal: alice } as unknown as Parameters<typeof guard.authorize>[0];
  guard.authorize(req, { ownerId: 'bob' }, { ownerField: 'ownerId' });
  assert.deepEqual([records[0]?.type, records[0]?.outcome, records[0]?.reason, records[0]?.principal], ['authorization', 'failure', 'not_owner', 'alice']);
});

test('policy options are typed from the policies\' schemas', () => {
  const config: PortcullisConfig = {
    // @ts-expect-error: rbac.mode is 'all' or 'any'
    routes: [{ path: '/a', methods: ['GET'], policies: { rbac: { mode: 'some' } } }],
  };
  // @ts-expect-error: there is no policy named rbca
  const misspelt: PortcullisConfig = { defaults: { policies: { rbca: {} } } };
  assert.ok(config && misspelt);
});

test('importing the package entry opens nothing (no handles, no timers, no output)', () => {
  const probe = (module: string) => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(module)}); setTimeout(() => process.stdout.write(JSON.stringify(process.getActiveResourcesInfo())), 20);`], { encoding: 'utf8' });
  assert.equal(probe(resolve('src/index.ts')), probe('node:path'));
});

test('every export of package.json maps to a source module, with types; side-effect free; the CLI as bin', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { sideEffects: boolean; bin: Record<string, string>; main: string; types: string; exports: Record<string, string | { types: string; default: string }> };
  const source = (dist: string) => dist.replace(/^\.\/dist\//, 'src/').replace(/\.(?:d\.ts|js)$/, '.ts');
  const targets = Object.entries(pkg.exports).filter(([name]) => name !== './package.json').map(([name, t]) => [name, t as { types: string; default: string }] as const);
  for (const [name, t] of targets) {
    const file = source(t.default.replace('*', 'rbac'));
    assert.ok(existsSync(file), `${name} → ${file}`);
    assert.equal(source(t.types), source(t.default), `${name}: types beside the code`);
  }
  assert.deepEqual([pkg.sideEffects, existsSync(pkg.bin.portcullis!), source(pkg.main), source(pkg.types)], [false, true, 'src/index.ts', 'src/index.ts']);
});
