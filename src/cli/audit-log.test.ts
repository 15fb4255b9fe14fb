import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openAuditTrail } from '../observe/audit-trail.js';
import { runAuditLog } from './audit-log.js';

async function trailFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-audit-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'audit.log');
  const trail = await openAuditTrail({ file, maxFileBytes: 1e6, keepFiles: 1, maxQueue: 100, logger: pino({ level: 'silent' }) });
  for (let i = 0; i < 3; i++) trail.record({ type: 'authentication', outcome: 'failure', reason: 'bad_signature' });
  await trail.close();
  return file;
}

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => { out.stdout += s; }, stderr: (s: string) => { out.stderr += s; } } };
}

test('verify exits 0 on an intact trail', async (t) => {
  const file = await trailFile(t);
  const { out, io: cli } = io();
  assert.equal(await runAuditLog(['verify', file], cli), 0);
  assert.match(out.stdout, /^OK: 3 records/);
});

test('verify exits 1 and names the line of an edited record', async (t) => {
  const file = await trailFile(t);
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('bad_signature', 'ok'));
  const { out, io: cli } = io();
  assert.equal(await runAuditLog(['verify', file], cli), 1);
  assert.match(out.stderr, /audit\.log:1: error:/);
});

test('verify without files is a usage error', async () => {
  const { io: cli } = io();
  assert.equal(await runAuditLog(['verify'], cli), 2);
});
