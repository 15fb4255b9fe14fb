import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasPrimitive, mightBeSql } from './sqli-prefilter.js';

test('plain words and numbers without SQL keywords are filtered out', () => {
  assert.equal(mightBeSql('correcthorsebattery1'), false);
  assert.equal(mightBeSql('The quick brown fox 42'), false);
});

test('dots and commas alone do not make a value SQL', () => {
  assert.equal(mightBeSql('Paris, France. 75001'), false);
});

test('any SQL punctuation passes the value on', () => {
  for (const v of ["O'Brien", 'a"b', 'x--', 'x#', 'x/y', 'a(b', 'a;b', 'a=b', '@me', 'a|b', 'a\\b', 'a`b']) {
    assert.equal(mightBeSql(v), true, v);
  }
});

test('a SQL keyword passes the value on, in any case', () => {
  assert.equal(mightBeSql('1 uNiOn 2'), true);
  assert.equal(mightBeSql('rock and roll'), true);
});

test('the first word of a phrase passes the value on (ORDER of ORDER BY)', () => {
  assert.equal(mightBeSql(' order by 3'), true);
});

test('a name only attacks use passes the value on, also as part of a dotted name', () => {
  assert.equal(mightBeSql('information_schema.tables'), true);
});

test('words that are plain words to the table do not pass (BY alone)', () => {
  assert.equal(mightBeSql('by the way'), false);
});

test('hasPrimitive finds time functions, UNION and statement heads', () => {
  assert.equal(hasPrimitive('x WAITFOR y'), true);
  assert.equal(hasPrimitive('a union b'), true);
  assert.equal(hasPrimitive('pg_sleep'), true);
});

test('hasPrimitive finds a block comment', () => {
  assert.equal(hasPrimitive('a /* b'), true);
});

test('hasPrimitive ignores prose', () => {
  assert.equal(hasPrimitive("it's a lovely day, isn't it? yes and no"), false);
});
