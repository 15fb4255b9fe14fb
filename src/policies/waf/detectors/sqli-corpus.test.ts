// Detection and false-positive rates of the SQL-injection detector on the vendored corpora, at
// paranoia 1, on URL-decoded values (the WAF policy normalises before calling detectors). Each
// corpus is split by a hash of the line into a tuning half and a held-out half; the targets are
// asserted on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { sqli } from './sqli.js';
import { classifyValue } from './sqli.js';
import { mightBeSql } from './sqli-prefilter.js';

const CORPORA = new URL('../../../../test/corpora/', import.meta.url);

/** libinjection's sample format: URL-encoded lines, `+` is a space, `#` lines are comments. */
function libinjection(name: string): string[] {
  const text = readFileSync(new URL(`libinjection/${name}`, CORPORA), 'utf8');
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => decode(l.replace(/\+/g, ' ')));
}

/** PayloadsAllTheThings JSON lines: raw payloads, some with %-escapes the normaliser would decode. */
function attacks(name: string): string[] {
  const text = readFileSync(new URL(`attacks/${name}`, CORPORA), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => decode((JSON.parse(l) as { payload: string }).payload));
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The half a line belongs to: the low bit of the first byte of its SHA-256. */
function isHeldOut(line: string): boolean {
  return ((createHash('sha256').update(line).digest()[0] ?? 0) & 1) === 1;
}

interface Rates { tuning: number; heldOut: number; lines: number }

/** Share of lines flagged at paranoia 1, per half. */
function flaggedRates(lines: readonly string[]): Rates {
  const hit = [0, 0], all = [0, 0];
  for (const line of lines) {
    const half = isHeldOut(line) ? 1 : 0;
    all[half]!++;
    if (sqli.detect(line, 1, 'query') !== undefined) hit[half]!++;
  }
  return { tuning: hit[0]! / Math.max(all[0]!, 1), heldOut: hit[1]! / Math.max(all[1]!, 1), lines: lines.length };
}

const fmt = (r: Rates): string => `tuning ${r.tuning.toFixed(4)}, held-out ${r.heldOut.toFixed(4)} (${r.lines} lines)`;

const sqliFiles = readdirSync(new URL('libinjection/', CORPORA)).filter((f) => f.startsWith('sqli-')).sort();

test('libinjection sqli-* samples: detection >= 0.95 on both halves', (t) => {
  const all: string[] = [];
  for (const f of sqliFiles) {
    const lines = libinjection(f);
    all.push(...lines);
    t.diagnostic(`${f}: ${fmt(flaggedRates(lines))}`);
  }
  const r = flaggedRates(all);
  t.diagnostic(`all sqli-*: ${fmt(r)}`);
  assert.ok(r.tuning >= 0.95, fmt(r));
  assert.ok(r.heldOut >= 0.95, fmt(r));
});

test('PayloadsAllTheThings attacks/sqli.jsonl: detection >= 0.84 on both halves', (t) => {
  const r = flaggedRates(attacks('sqli.jsonl'));
  t.diagnostic(`attacks/sqli.jsonl: ${fmt(r)}`);
  assert.ok(r.tuning >= 0.84, fmt(r));
  assert.ok(r.heldOut >= 0.84, fmt(r));
});

test('libinjection false_positives.txt: false-positive rate <= 0.09 on both halves', (t) => {
  const r = flaggedRates(libinjection('false_positives.txt'));
  t.diagnostic(`false_positives.txt: ${fmt(r)}`);
  assert.ok(r.tuning <= 0.09, fmt(r));
  assert.ok(r.heldOut <= 0.09, fmt(r));
});

test('the pre-filter never drops a value the fingerprint rules flag (all corpora above, and XSS)', () => {
  const lines = [...sqliFiles.flatMap(libinjection), ...attacks('sqli.jsonl'), ...attacks('xss.jsonl'), ...libinjection('false_positives.txt')];
  const lost = lines.filter((l) => !mightBeSql(l) && classifyValue(l) !== 0).length;
  assert.equal(lost, 0);
});
