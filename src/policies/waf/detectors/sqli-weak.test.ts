import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weakSignal } from './sqli-weak.js';
import { SEVERITY_SCORE } from '../detector.js';

test('paranoia 1 never reports a weak signal', () => {
  assert.equal(weakSignal("x' or", 1), undefined);
});

test('paranoia 2: a closed quote followed by OR is sqli.quote-logic (warning)', () => {
  assert.deepEqual(weakSignal("x' or", 2), { rule: 'sqli.quote-logic', score: SEVERITY_SCORE.warning });
});

test('paranoia 2: a closed double quote followed by && is sqli.quote-logic', () => {
  assert.equal(weakSignal('x" && y', 2)?.rule, 'sqli.quote-logic');
});

test('paranoia 2: a block comment is sqli.comment (notice)', () => {
  assert.deepEqual(weakSignal('abc /* x', 2), { rule: 'sqli.comment', score: SEVERITY_SCORE.notice });
});

test('paranoia 2: an empty line comment after a number is sqli.comment', () => {
  assert.equal(weakSignal('1)) -- ', 2)?.rule, 'sqli.comment');
});

test('paranoia 2: a line comment after a word is not reported', () => {
  assert.equal(weakSignal('SALE -- today only', 2), undefined);
});

test('paranoia 3: a statement keyword with another clause keyword is sqli.keyword-density', () => {
  assert.equal(weakSignal('select name from people', 3)?.rule, 'sqli.keyword-density');
});

test('paranoia 2 does not report keyword density', () => {
  assert.equal(weakSignal('select name from people', 2), undefined);
});

test('paranoia 4: a call of a known SQL function is sqli.function-call', () => {
  assert.equal(weakSignal('concat(a, b)', 4)?.rule, 'sqli.function-call');
});

test('paranoia 3 does not report a function call', () => {
  assert.equal(weakSignal('concat(a, b)', 3), undefined);
});

test('an apostrophe in prose is no weak signal', () => {
  assert.equal(weakSignal("It's fine or not", 4), undefined);
});
