import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParanoiaLevel } from '../detector.js';
import { normalize } from '../normalize.js';
import { ssti } from './ssti.js';
import { attackSplit, BENIGN, BENIGN_TEXT, blockRate, falsePositives } from './test-helpers/corpus.js';

function rule(value: string, paranoia: ParanoiaLevel = 1): string | undefined {
  const hit = ssti.detect(normalize(value), paranoia, 'query');
  return hit === undefined ? undefined : `${hit.rule}:${hit.score}`;
}

test('arithmetic in any template syntax is critical', () => {
  for (const v of ['{{7*7}}', '${3*3}', '#{ 7 * 7 }', '<%= 7 * 7 %>', '@(1+2)', '*{9*9}', "{{7*'7'}}"]) {
    assert.equal(rule(v), 'ssti.expression:5', v);
  }
});

test('a call or a dunder is critical', () => {
  assert.equal(rule('{{config.items()}}'), 'ssti.expression:5');
  assert.equal(rule("{{''.__class__}}"), 'ssti.expression:5');
  assert.equal(rule('${T(java.lang.Runtime)}'), 'ssti.expression:5');
  assert.equal(rule('{% for x in ().__class__ %}'), 'ssti.expression:5');
});

test('engine-specific escapes are critical', () => {
  assert.equal(rule('<#assign ex="x"?new()>'), 'ssti.engine:5');
  assert.equal(rule('{php}echo 1;{/php}'), 'ssti.engine:5');
  assert.equal(rule('{$smarty.version}'), 'ssti.engine:5');
});

test('a bare dangerous object or a statement is a level-2 signal', () => {
  assert.equal(rule('{{self}}'), undefined);
  assert.equal(rule('{{self}}', 2), 'ssti.object:3');
  assert.equal(rule('{% raw %}', 2), 'ssti.object:3');
});

test('a template variable counts only at high paranoia', () => {
  assert.equal(rule('Hello {{user.name}}', 2), undefined);
  assert.equal(rule('Hello {{user.name}}', 3), 'ssti.variable:2');
  assert.equal(rule('${price} USD', 3), undefined);
  assert.equal(rule('${price} USD', 4), 'ssti.variable:2');
});

test('operators inside string literals are text', () => {
  assert.equal(rule("{% x|date_format:'%B %D' %}"), undefined);
});

test('a hyphenated name is not subtraction', () => {
  assert.equal(rule('{{first-name}}'), undefined);
});

test('no benign value is blocked at level 1', () => {
  assert.deepEqual([...BENIGN, ...BENIGN_TEXT].filter((v) => rule(v)?.endsWith(':5')), []);
});

test('at most 1% of libinjection false positives are blocked', () => {
  assert.ok(blockRate(ssti, falsePositives(), 'query') <= 0.01);
});

const split = attackSplit('ssti');
for (const [half, lines] of [['tuning', split.tuning], ['held-out', split.heldOut]] as const) {
  test(`attacks/ssti ${half}: beats CRS`, (t) => {
    const q = blockRate(ssti, lines, 'query');
    t.diagnostic(`query ${q.toFixed(3)} (CRS 0.729 / 0.710, ${lines.length} lines)`);
    assert.ok(q > 0.729);
  });
}

test('32 Ki openers are scanned in bounded time', () => {
  const start = process.hrtime.bigint();
  ssti.detect('{{'.repeat(32_768), 1, 'query');
  ssti.detect('${a'.repeat(16_384), 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});
