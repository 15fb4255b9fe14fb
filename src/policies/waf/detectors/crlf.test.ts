import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputLocation, ParanoiaLevel } from '../detector.js';
import { normalize } from '../normalize.js';
import { crlf } from './crlf.js';
import { attackSplit, BENIGN, BENIGN_TEXT, blockRate, falsePositives } from './test-helpers/corpus.js';

function rule(value: string, location: InputLocation = 'query', paranoia: ParanoiaLevel = 1): string | undefined {
  const hit = crlf.detect(normalize(value), paranoia, location);
  return hit === undefined ? undefined : `${hit.rule}:${hit.score}`;
}

test('an encoded CRLF before Set-Cookie is critical in every location', () => {
  for (const location of ['query', 'header', 'json-value', 'form'] as const) {
    assert.equal(rule('x%0d%0aSet-Cookie: a=b', location), 'crlf.header:5', location);
  }
});

test('a bare LF or CR before a header is critical', () => {
  assert.equal(rule('x%0aLocation: https://evil.example'), 'crlf.header:5');
  assert.equal(rule('x%0dX-Injected: 1', 'json-value'), 'crlf.header:5');
});

test('a status line after a break is critical', () => {
  assert.equal(rule('x%0d%0aHTTP/1.1 200 OK'), 'crlf.header:5');
});

test('a blank line before markup is critical outside JSON text', () => {
  assert.equal(rule('x%0d%0a%0d%0a<html>'), 'crlf.body:5');
  assert.equal(rule('x%0d%0a%0d%0a<html>', 'json-value'), undefined);
  assert.equal(rule('x%0d%0a%0d%0a<html>', 'json-value', 2), 'crlf.body:3');
});

test('a Name: line in JSON text is prose at level 1, a warning at level 2', () => {
  assert.equal(rule('Note: a\nTodo: b', 'json-value'), undefined);
  assert.equal(rule('Note: a\nTodo: b', 'json-value', 2), 'crlf.header:3');
});

test('any Name: after a break in a query is critical', () => {
  assert.equal(rule('a\nTodo: b', 'query'), 'crlf.header:5');
});

test('a colon after a space is not a header field', () => {
  assert.equal(rule('a\nTodo : b', 'query'), undefined);
});

test('a decoded break in a header value is a level-2 signal', () => {
  assert.equal(rule('a%0ab', 'header'), undefined);
  assert.equal(rule('a%0ab', 'header', 2), 'crlf.newline:3');
});

test('no benign value is blocked at level 1', () => {
  const blocked = [...BENIGN.map((v) => [v, rule(v)]), ...BENIGN_TEXT.map((v) => [v, rule(v, 'json-value')])];
  assert.deepEqual(blocked.filter(([, r]) => r?.endsWith(':5')), []);
});

test('at most 1% of libinjection false positives are blocked', () => {
  assert.ok(blockRate(crlf, falsePositives(), 'query') <= 0.01);
});

const split = attackSplit('crlf');
for (const [half, lines] of [['tuning', split.tuning], ['held-out', split.heldOut]] as const) {
  test(`attacks/crlf ${half}: beats CRS in query and JSON`, (t) => {
    const q = blockRate(crlf, lines, 'query');
    const j = blockRate(crlf, lines, 'json-value');
    t.diagnostic(`query ${q.toFixed(3)} json ${j.toFixed(3)} (CRS 0.765 / 0.706, ${lines.length} lines)`);
    assert.ok(q > 0.765 && j > 0.706);
  });
}

test('32 Ki line breaks are scanned in bounded time', () => {
  const start = process.hrtime.bigint();
  crlf.detect('\na'.repeat(32_768), 1, 'query');
  crlf.detect(`\n${' '.repeat(65_536)}`, 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});
