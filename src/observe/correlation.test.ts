import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestIdFrom } from './correlation.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a well-formed id is kept', () => {
  assert.equal(requestIdFrom('abc-12345678'), 'abc-12345678');
});

test('the whole allowed alphabet is kept', () => {
  assert.equal(requestIdFrom('Az09._:-Az09._:-'), 'Az09._:-Az09._:-');
});

test('an id of 128 characters is kept', () => {
  assert.equal(requestIdFrom('a'.repeat(128)), 'a'.repeat(128));
});

test('an id longer than 128 characters is replaced', () => {
  assert.match(requestIdFrom('a'.repeat(129)), UUID);
});

test('an id shorter than 8 characters is replaced', () => {
  assert.match(requestIdFrom('abc1234'), UUID);
});

test('an id with characters that could inject into JSON or logs is replaced', () => {
  for (const bad of ['abcdefgh"}', 'abcdefgh\n{"level":60}', '<script>alert(1)</script>', 'abcd efgh', 'abcdefgh\\u0000']) {
    assert.match(requestIdFrom(bad), UUID, bad);
  }
});

test('a missing id gets a fresh UUID', () => {
  assert.match(requestIdFrom(undefined), UUID);
});

test('a repeated header (array) gets a fresh UUID', () => {
  assert.match(requestIdFrom(['abc-12345678', 'abc-87654321']), UUID);
});

test('fresh ids differ', () => {
  assert.notEqual(requestIdFrom(undefined), requestIdFrom(undefined));
});
