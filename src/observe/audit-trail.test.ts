import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openAuditTrail, type AppendTarget, type AuditTrailOptions } from './audit-trail.js';
import { verifyAuditFiles } from './audit-verify.js';

const silent = pino({ level: 'silent' });

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'portcullis-audit-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function trailWith(file: string, records: number, extra: Partial<AuditTrailOptions> = {}): Promise<void> {
  const trail = await openAuditTrail({ file, maxFileBytes: 10_000_000, keepFiles: 3, maxQueue: 1000, logger: silent, ...extra });
  for (let i = 0; i < records; i++) trail.record({ type: 'authorization', outcome: i % 2 === 0 ? 'success' : 'failure', rule: `rule ${i}` });
  await trail.close();
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
}

test('records are written as one chained JSON line each, and verify', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 5);
  const written = await lines(file);
  assert.equal(written.length, 5);
  assert.deepEqual(written.map((l) => (JSON.parse(l) as { seq: number }).seq), [1, 2, 3, 4, 5]);
  const v = await verifyAuditFiles([file]);
  assert.equal(v.ok, true);
  assert.equal(v.records, 5);
});

test('an edited record is detected', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 5);
  const written = await lines(file);
  written[2] = written[2]!.replace('"outcome":"success"', '"outcome":"failure"');
  await writeFile(file, `${written.join('\n')}\n`);
  const v = await verifyAuditFiles([file]);
  assert.equal(v.ok, false);
  assert.deepEqual(v.findings.map((f) => [f.line, f.problem]), [[3, 'hash_mismatch']]);
});

test('a deleted record is detected', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 5);
  const written = await lines(file);
  written.splice(1, 1);
  await writeFile(file, `${written.join('\n')}\n`);
  const v = await verifyAuditFiles([file]);
  assert.equal(v.ok, false);
  assert.equal(v.findings[0]!.line, 2);
  assert.equal(v.findings[0]!.problem, 'seq_gap');
});

test('records cut off the end are detected through the head file', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 5);
  const written = await lines(file);
  await writeFile(file, `${written.slice(0, 3).join('\n')}\n`);
  const v = await verifyAuditFiles([file]);
  assert.equal(v.ok, false);
  assert.deepEqual(v.findings.map((f) => f.problem), ['truncated']);
});

test('a torn last line is detected', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 3);
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.slice(0, -20));
  const v = await verifyAuditFiles([file]);
  assert.equal(v.ok, false);
  assert.ok(v.findings.some((f) => f.problem === 'not_json'));
});

test('a reopened trail continues the chain', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 2);
  await trailWith(file, 2);
  const v = await verifyAuditFiles([file]);
  assert.equal(v.ok, true);
  assert.equal(v.lastSeq, 4);
});

test('rotated files chain into each other', async (t) => {
  const file = join(await dir(t), 'audit.log');
  for (let i = 0; i < 4; i++) await trailWith(file, 5, { maxFileBytes: 600 });
  const v = await verifyAuditFiles([`${file}.2`, `${file}.1`, file]);
  assert.equal(v.ok, true);
  assert.ok(v.firstSeq > 1, 'the oldest files were rotated away');
  assert.equal(v.lastSeq, 20);
});

test('with a key the chain is an HMAC: verifying without the key fails', async (t) => {
  const file = join(await dir(t), 'audit.log');
  await trailWith(file, 2, { key: 'k'.repeat(32) });
  assert.equal((await verifyAuditFiles([file], 'k'.repeat(32))).ok, true);
  assert.equal((await verifyAuditFiles([file])).ok, false);
});

test('a failing disk never throws on record, and a gap record marks what was dropped', async (t) => {
  const file = join(await dir(t), 'audit.log');
  let full = true;
  const errors: unknown[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line)) });
  const openFile = async (f: string): Promise<AppendTarget> => {
    const real = await open(f, 'a');
    return {
      write: async (data) => {
        if (full) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        return real.write(data);
      },
      truncate: (n) => real.truncate(n),
      close: () => real.close(),
    };
  };
  const trail = await openAuditTrail({ file, maxFileBytes: 1e6, keepFiles: 1, maxQueue: 2, logger, openFile, retryMs: 5 });
  for (let i = 0; i < 5; i++) trail.record({ type: 'authentication', outcome: 'failure', n: i });
  await trail.flush();
  assert.equal(trail.status().failing, true);
  assert.equal(trail.status().dropped, 3);
  assert.ok(errors.some((e) => (e as { event?: string }).event === 'audit_write_failed'));
  full = false;
  await new Promise((ok) => setTimeout(ok, 20));
  await trail.flush();
  await trail.close();
  const written = (await lines(file)).map((l) => JSON.parse(l) as { type: string });
  assert.deepEqual(written.map((r) => r.type), ['audit.gap', 'authentication', 'authentication']);
  assert.equal((await verifyAuditFiles([file])).ok, true);
});
