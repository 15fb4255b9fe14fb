import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LENGTH, sqli } from './sqli.js';
import { SEVERITY_SCORE } from '../detector.js';

test('the detector is of rule class sqli', () => {
  assert.equal(sqli.ruleClass, 'sqli');
});

test('a clear injection is a critical sqli.fingerprint hit at paranoia 1', () => {
  assert.deepEqual(sqli.detect("5' Or 'p'='p", 1, 'query'), { rule: 'sqli.fingerprint', score: SEVERITY_SCORE.critical });
});

test('each fingerprint class reports its own rule name', () => {
  assert.equal(sqli.detect('2 union select 1', 1, 'query')?.rule, 'sqli.union-select');
  assert.equal(sqli.detect('2; drop table t', 1, 'query')?.rule, 'sqli.stacked-query');
  assert.equal(sqli.detect("u'--", 1, 'query')?.rule, 'sqli.comment-truncation');
  assert.equal(sqli.detect('2 and sleep(3)', 1, 'query')?.rule, 'sqli.time-based');
  assert.equal(sqli.detect('2 /*!12345 union*/', 1, 'query')?.rule, 'sqli.evasive-comment');
});

test('every fingerprint hit scores critical', () => {
  for (const v of ['2 union select 1', '2; drop table t', "u'--", '2 and sleep(3)', '9 or 1=1']) {
    assert.equal(sqli.detect(v, 1, 'json-value')?.score, SEVERITY_SCORE.critical, v);
  }
});

test('a benign value is not reported', () => {
  assert.equal(sqli.detect("O'Brien & Sons, 1-2 Main St.", 1, 'form'), undefined);
});

test('an empty value is not reported', () => {
  assert.equal(sqli.detect('', 4, 'query'), undefined);
});

test('weak signals are reported from paranoia 2 on, with fewer points', () => {
  assert.equal(sqli.detect("x' or", 1, 'query'), undefined);
  const hit = sqli.detect("x' or", 2, 'query');
  assert.equal(hit?.rule, 'sqli.quote-logic');
  assert.ok((hit?.score ?? 99) < SEVERITY_SCORE.critical);
});

test('the hit never carries the payload', () => {
  const hit = sqli.detect("zz' or 'a'='a", 1, 'header');
  assert.deepEqual(Object.keys(hit ?? {}).sort(), ['rule', 'score']);
});

test('a value longer than MAX_LENGTH is examined on its start', () => {
  assert.equal(sqli.detect("1' or 1=1 -- " + 'a'.repeat(MAX_LENGTH * 2), 1, 'query')?.rule, 'sqli.fingerprint');
});

test('an attack beyond MAX_LENGTH is not looked for (bounded work)', () => {
  assert.equal(sqli.detect('a '.repeat(MAX_LENGTH) + "; drop table t", 1, 'query'), undefined);
});

test('a very long value of quotes and parentheses is handled in linear time', () => {
  const v = "'(".repeat(50_000);
  const start = process.hrtime.bigint();
  sqli.detect(v, 4, 'query');
  assert.ok(process.hrtime.bigint() - start < 200_000_000n, 'took more than 200 ms');
});

test('a long value of many words and one late dot is handled in linear time', () => {
  const v = 'ab '.repeat(MAX_LENGTH / 3) + '.';
  const start = process.hrtime.bigint();
  for (let i = 0; i < 10; i++) sqli.detect(v, 4, 'json-value');
  assert.ok(process.hrtime.bigint() - start < 200_000_000n, 'took more than 200 ms');
});
