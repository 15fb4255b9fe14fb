import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParanoiaLevel } from '../detector.js';
import { normalize } from '../normalize.js';
import { ldapi } from './ldapi.js';
import { attackSplit, BENIGN, BENIGN_TEXT, blockRate, falsePositives } from './test-helpers/corpus.js';

function rule(value: string, paranoia: ParanoiaLevel = 1): string | undefined {
  const hit = ldapi.detect(normalize(value), paranoia, 'query');
  return hit === undefined ? undefined : `${hit.rule}:${hit.score}`;
}

test('filter breakouts are critical', () => {
  for (const v of ['*)(uid=*', 'x)(|(a=b)', '*)(&', '(|(mail=*))', 'admin*))']) assert.equal(rule(v), 'ldapi.filter-breakout:5', v);
});

test(')( before an attribute is critical', () => {
  assert.equal(rule(')(cn=x'), 'ldapi.filter-breakout:5');
});

test('encoded breakouts are critical after normalisation', () => {
  assert.equal(rule('%2A%29%28%7C%28cn%3D%2A'), 'ldapi.filter-breakout:5');
});

test('a closed presence filter is critical, an open one a level-2 signal', () => {
  assert.equal(rule('objectClass=*)'), 'ldapi.wildcard:5');
  assert.equal(rule('objectClass=*'), undefined);
  assert.equal(rule('objectClass=*', 2), 'ldapi.wildcard:3');
});

test('LDAP hex escapes are a level-2 signal', () => {
  assert.equal(rule('a\\2a'), undefined);
  assert.equal(rule('a\\2a', 2), 'ldapi.escape:3');
});

test('two-character fragments are a level-2 signal', () => {
  assert.equal(rule('x)(y'), undefined);
  assert.equal(rule('x)(y', 2), 'ldapi.fragment:3');
});

test('arithmetic and parenthesised prose pass at every level', () => {
  for (const pl of [1, 2, 3, 4] as const) {
    assert.equal(rule('2*(3+4)', pl), undefined);
    assert.equal(rule('(a) (b)', pl), undefined);
  }
});

test('no benign value is blocked at level 1', () => {
  assert.deepEqual([...BENIGN, ...BENIGN_TEXT].filter((v) => rule(v)?.endsWith(':5')), []);
});

test('at most 1% of libinjection false positives are blocked', () => {
  assert.ok(blockRate(ldapi, falsePositives(), 'query') <= 0.01);
});

const split = attackSplit('ldapi');
for (const [half, lines] of [['tuning', split.tuning], ['held-out', split.heldOut]] as const) {
  test(`attacks/ldapi ${half}: beats CRS`, (t) => {
    const q = blockRate(ldapi, lines, 'query');
    t.diagnostic(`query ${q.toFixed(3)} (CRS 0.121, ${lines.length} lines)`);
    assert.ok(q > 0.121);
  });
}

test('64 Ki metacharacters are scanned in bounded time', () => {
  const start = process.hrtime.bigint();
  ldapi.detect(')('.repeat(32_768), 1, 'query');
  ldapi.detect('a=*'.repeat(16_384), 2, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});
