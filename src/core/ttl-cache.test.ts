import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultCache } from './ttl-cache.js';

test('a value is returned until its expiry, then dropped', () => {
  const cache = new ResultCache<string>(10);
  cache.set('k', 'v', 1000);
  assert.equal(cache.get('k', 999), 'v');
  assert.equal(cache.get('k', 1000), undefined);
  assert.equal(cache.size, 0);
});

test('when full, the oldest entry goes first', () => {
  const cache = new ResultCache<number>(2);
  cache.set('a', 1, 10);
  cache.set('b', 2, 10);
  cache.set('c', 3, 10);
  assert.deepEqual([cache.get('a', 0), cache.get('b', 0), cache.get('c', 0)], [undefined, 2, 3]);
  assert.equal(cache.size, 2);
});

test('setting a key again replaces it and makes it the newest', () => {
  const cache = new ResultCache<number>(2);
  cache.set('a', 1, 10);
  cache.set('b', 2, 10);
  cache.set('a', 9, 10);
  cache.set('c', 3, 10);
  assert.deepEqual([cache.get('a', 0), cache.get('b', 0), cache.get('c', 0)], [9, undefined, 3]);
});

test('clear drops everything', () => {
  const cache = new ResultCache<number>(2);
  cache.set('a', 1, 10);
  cache.clear();
  assert.equal(cache.get('a', 0), undefined);
});
