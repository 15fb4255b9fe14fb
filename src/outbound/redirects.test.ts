import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextHop, type Hop } from './redirects.js';

const post: Hop = {
  url: 'https://a.example/start',
  method: 'POST',
  headers: { Authorization: 'Basic eDp5', Cookie: 'sid=1', 'Content-Type': 'application/json', Accept: 'application/json' },
  body: '{"x":1}',
};

test('a status that is not a followed redirect is not followed', () => {
  assert.deepEqual([200, 304, 300, 305].map((s) => nextHop(post, s, '/next')), [undefined, undefined, undefined, undefined]);
});

test('a redirect without a Location, or with several, is not followed', () => {
  assert.deepEqual([nextHop(post, 302, undefined), nextHop(post, 302, ['/a', '/b'])], [undefined, undefined]);
});

test('the Location is resolved against the current URL', () => {
  assert.equal(nextHop(post, 307, '../other?q=1')?.url, 'https://a.example/other?q=1');
});

test('303 turns a POST into a GET without body or body headers', () => {
  const next = nextHop(post, 303, '/done');
  assert.deepEqual([next?.method, next?.body, next?.headers], ['GET', undefined, { Authorization: 'Basic eDp5', Cookie: 'sid=1', Accept: 'application/json' }]);
});

test('301 and 302 after a POST become GET', () => {
  assert.deepEqual([nextHop(post, 301, '/x')?.method, nextHop(post, 302, '/x')?.method], ['GET', 'GET']);
});

test('307 and 308 keep the method and the body', () => {
  const hops = [nextHop(post, 307, '/x'), nextHop(post, 308, '/x')];
  assert.deepEqual(hops.map((h) => [h?.method, h?.body]), [['POST', '{"x":1}'], ['POST', '{"x":1}']]);
});

test('a cross-origin hop drops Authorization and Cookie, keeps the rest', () => {
  assert.deepEqual(nextHop(post, 307, 'https://b.example/x')?.headers, { 'Content-Type': 'application/json', Accept: 'application/json' });
});

test('a change of scheme or port is a change of origin', () => {
  const hops = [nextHop(post, 307, 'http://a.example/x'), nextHop(post, 307, 'https://a.example:8443/x')];
  assert.deepEqual(hops.map((h) => 'Authorization' in (h?.headers ?? {})), [false, false]);
});

test('a same-origin hop keeps the credentials', () => {
  assert.equal(nextHop(post, 307, '/elsewhere')?.headers.Authorization, 'Basic eDp5');
});

test('a Location that is not a URL throws', () => {
  assert.throws(() => nextHop(post, 302, 'http://[::1'), TypeError);
});
