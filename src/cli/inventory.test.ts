import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeDemoConfig } from '../demo/test-helpers.js';
import type { RouteSurface } from '../config/surface.js';
import { runInventory } from './inventory.js';

async function inventory(t: TestContext, json: boolean): Promise<string> {
  let stdout = '';
  const code = await runInventory([...(json ? ['--json'] : []), await writeDemoConfig(t)], { stdout: (s) => { stdout += s; }, stderr: (s) => { stdout += s; } });
  assert.equal(code, 0, stdout);
  return stdout;
}

test('the demo inventory lists every operation of the document and nothing else', async (t) => {
  const { routes } = JSON.parse(await inventory(t, true)) as { routes: RouteSurface[] };
  assert.equal(routes.length, 13);
  assert.ok(routes.every((r) => r.source === 'openapi'));
  assert.ok(!routes.some((r) => r.path.startsWith('/api/v0') || r.path === '/api/v1/debug'));
});

test('public routes are marked, with their limits', async (t) => {
  const { routes } = JSON.parse(await inventory(t, true)) as { routes: RouteSurface[] };
  assert.deepEqual(routes.filter((r) => r.public).map((r) => [r.path, r.limits.some((l) => l.includes('by ip'))]), [['/api/v1/signup', true], ['/api/v1/password-reset', true]]);
});

test('each route shows its authentication, authorization and validation', async (t) => {
  const { routes } = JSON.parse(await inventory(t, true)) as { routes: RouteSurface[] };
  const del = routes.find((r) => r.methods[0] === 'DELETE')!;
  assert.deepEqual(del.authentication, ['jwt']);
  assert.ok(del.authorization.includes('rbac require delete'));
  assert.ok(del.validation.some((v) => v.startsWith('openapi request enforce')));
});

test('the text table says how many routes are public', async (t) => {
  assert.match(await inventory(t, false), /13 routes, 2 public; anything else answers 404/);
});
