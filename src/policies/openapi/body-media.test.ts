import { test } from 'node:test';
import assert from 'node:assert/strict';
import { essence, isJsonRange, mediaMatcher } from './body-media.js';

const match = mediaMatcher([['application/json', 'json'], ['application/*+json', 'suffix'], ['text/*', 'text'], ['*/*', 'any']]);

test('the essence drops parameters and case', () => {
  assert.equal(essence(' Application/JSON ; charset=UTF-8'), 'application/json');
});

test('an exact type wins over every range', () => {
  assert.equal(match('application/json; charset=utf-8'), 'json');
});

test('a structured suffix range matches before the wider ones', () => {
  assert.equal(match('application/merge-patch+json'), 'suffix');
});

test('type/* matches its type', () => {
  assert.equal(match('text/csv'), 'text');
});

test('*/* matches what nothing else does', () => {
  assert.equal(match('image/png'), 'any');
});

test('a missing or malformed Content-Type matches nothing, not even */*', () => {
  assert.deepEqual([match(undefined), match('json'), match('a/b/c')], [undefined, undefined, undefined]);
});

test('without */* an undocumented type matches nothing', () => {
  assert.equal(mediaMatcher([['application/json', 1]])('application/xml'), undefined);
});

test('JSON ranges are application/json and +json types', () => {
  assert.deepEqual(['application/json', 'application/*+json', 'application/problem+json', 'text/json', '*/*'].map(isJsonRange), [true, true, true, false, false]);
});
