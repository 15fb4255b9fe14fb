import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeDemoConfig } from '../demo/test-helpers.js';
import { runAudit } from './audit.js';

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'portcullis-audit-cmd-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  await writeFile(join(d, 'server.pem'), 'x');
  await writeFile(join(d, 'server-key.pem'), 'x');
  return d;
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => { out.stdout += s; }, stderr: (s: string) => { out.stderr += s; } } };
}

test('the demo configuration passes the checklist', async (t) => {
  const { out, io } = capture();
  const code = await runAudit([await writeDemoConfig(t)], io);
  assert.equal(code, 0, out.stdout + out.stderr);
  assert.match(out.stdout, /PASSED/);
});

test('--json reports every route of the demo with its OWASP coverage', async (t) => {
  const { out, io } = capture();
  await runAudit(['--json', await writeDemoConfig(t)], io);
  const report = JSON.parse(out.stdout) as { passed: boolean; routes: Array<{ route: string; coverage: Record<string, string> }> };
  assert.equal(report.passed, true);
  const task = report.routes.find((r) => r.route === 'GET /api/v1/tasks/{taskId}')!;
  assert.equal(task.coverage.API1, 'yes');
  assert.equal(task.coverage.API9, 'yes');
});

const WEAK = {
  server: { http: { port: 8080, redirect: false } },
  upstreams: { api: { url: 'http://127.0.0.1:3000' } },
  log: { access: false },
  audit: { log: false },
  alerts: { rules: [] },
  defaults: { policies: { 'api-key': { keys: [] } } },
  routes: [
    { path: '/items/{id}', methods: ['GET'], upstream: 'api', policies: { rbac: { require: [] } } },
    { path: '/items', methods: ['POST'], upstream: 'api', policies: { rbac: { require: [] } } },
    { path: '/login', methods: ['POST'], upstream: 'api', public: true },
    { path: '/anyone', methods: ['GET'], upstream: 'api' },
  ],
};

test('a weak configuration fails and lists each failure', async (t) => {
  const file = join(await dir(t), 'weak.yaml');
  await writeFile(file, stringify(WEAK));
  const { out, io } = capture();
  assert.equal(await runAudit(['--json', file], io), 1);
  const report = JSON.parse(out.stdout) as { findings: Array<{ severity: string; check: string; route: string }> };
  const failures = report.findings.filter((f) => f.severity === 'fail').map((f) => `${f.check} ${f.route}`).sort();
  assert.deepEqual(failures, [
    'alerts ',
    'function-level GET /anyone',
    'input-schema POST /items',
    'input-schema POST /login',
    'monitoring ',
    'monitoring ',
    'object-level GET /items/{id}',
    'rate-limit GET /anyone',
    'rate-limit GET /items/{id}',
    'rate-limit POST /items',
    'rate-limit POST /login',
    'rate-limit POST /login',
    'tls ',
    'tls ',
  ]);
});
