import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputLocation, ParanoiaLevel } from '../detector.js';
import { normalize } from '../normalize.js';
import { nosqli } from './nosqli.js';
import { attackSplit, BENIGN, BENIGN_TEXT, blockRate, falsePositives } from './test-helpers/corpus.js';

function rule(value: string, location: InputLocation = 'query', paranoia: ParanoiaLevel = 1): string | undefined {
  const hit = nosqli.detect(normalize(value), paranoia, location);
  return hit === undefined ? undefined : `${hit.rule}:${hit.score}`;
}

test('an operator as a JSON key is critical', () => {
  assert.equal(rule('$where', 'json-key'), 'nosqli.operator-key:5');
  assert.equal(rule('$ne', 'json-key'), 'nosqli.operator-key:5');
  assert.equal(rule('$accumulator', 'json-key'), 'nosqli.operator-key:5');
});

test('another $ key is a notice from level 3', () => {
  assert.equal(rule('$price', 'json-key'), undefined);
  assert.equal(rule('$price', 'json-key', 3), 'nosqli.operator-key:2');
});

test('a bracketed operator in a query name is critical', () => {
  assert.equal(rule('password[$ne]', 'query-name'), 'nosqli.operator:5');
  assert.equal(rule('user[$regex]', 'query-name'), 'nosqli.operator:5');
});

test('an operator object in a value is critical', () => {
  assert.equal(rule('{"$gt": ""}'), 'nosqli.operator:5');
  assert.equal(rule("{ $where: 'sleep(1)' }"), 'nosqli.operator:5');
});

test('$where-style JavaScript after a closed string is critical', () => {
  assert.equal(rule("';return true;//"), 'nosqli.js-injection:5');
  assert.equal(rule("x' && this.password.length > 0 //"), 'nosqli.js-injection:5');
  assert.equal(rule('db.users.find({})'), 'nosqli.js-injection:5');
});

test('a tautology after a logical operator is critical', () => {
  assert.equal(rule("' || 'a'=='a"), 'nosqli.tautology:5');
});

test('this.field in prose is a notice from level 3', () => {
  assert.equal(rule('see this.state'), undefined);
  assert.equal(rule('see this.state', 'query', 3), 'nosqli.js-injection:2');
});

test('dollar amounts and operator names as words pass', () => {
  assert.equal(rule('$5 off; was $7'), undefined);
  assert.equal(rule('the $ne operator'), undefined);
});

test('no benign value is blocked at level 1', () => {
  assert.deepEqual([...BENIGN, ...BENIGN_TEXT].filter((v) => rule(v)?.endsWith(':5')), []);
});

test('at most 1% of libinjection false positives are blocked', () => {
  assert.ok(blockRate(nosqli, falsePositives(), 'query') <= 0.01);
});

const split = attackSplit('nosqli');
for (const [half, lines] of [['tuning', split.tuning], ['held-out', split.heldOut]] as const) {
  test(`attacks/nosqli ${half}: beats CRS`, (t) => {
    const q = blockRate(nosqli, lines, 'query');
    t.diagnostic(`query ${q.toFixed(3)} (CRS 0.346, ${lines.length} lines)`);
    assert.ok(q > 0.346);
  });
}

test('32 Ki operators and blanks are scanned in bounded time', () => {
  const start = process.hrtime.bigint();
  nosqli.detect(`${'$ne'.repeat(16_384)}${'|| '.repeat(16_384)}`, 1, 'query');
  nosqli.detect(`${'; '.repeat(16_384)}`, 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});
