import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeContext } from '../test-helpers.js';
import { collectUrls, compileField, parsePointer, type CompiledField } from './fields.js';

function bodyField(pointer: string, index = 0): CompiledField {
  const f = compileField({ in: 'body', name: pointer }, index);
  assert.ok(f);
  return f;
}

function collect(body: unknown, fields: CompiledField[], max = 10, required = false) {
  const ctx = fakeContext({ method: 'POST' });
  ctx.body = body;
  ctx.rawBody = Buffer.from(JSON.stringify(body));
  const found = collectUrls(ctx, fields, max, required);
  return { values: found.urls.map((u) => u.value), problem: found.problem?.reason };
}

test('a pointer unescapes ~1 and ~0 and keeps * as the wildcard', () => {
  assert.deepEqual(parsePointer('/a~1b/~0c/*'), ['a/b', '~c', parsePointer('/*')![0]]);
});

test('pointers without a leading slash or with a bad escape are refused', () => {
  assert.deepEqual([parsePointer('url'), parsePointer('/a~2'), parsePointer('/a~')], [undefined, undefined, undefined]);
});

test('an array index selects one element', () => {
  assert.deepEqual(collect({ hooks: ['https://a.example/', 'https://b.example/'] }, [bodyField('/hooks/1')]).values, ['https://b.example/']);
});

test('a wildcard walks object members too', () => {
  assert.deepEqual(collect({ hooks: { a: { url: 'https://a.example/' }, b: { url: 'https://b.example/' } } }, [bodyField('/hooks/*/url')]).values, ['https://a.example/', 'https://b.example/']);
});

test('inherited properties are not values', () => {
  assert.deepEqual(collect(JSON.parse('{"a":{}}'), [bodyField('/a/constructor')], 10, true).problem, 'missing');
});

test('a __proto__ key in JSON is an ordinary member', () => {
  assert.deepEqual(collect(JSON.parse('{"__proto__":{"url":"https://a.example/"}}'), [bodyField('/__proto__/url')]).values, ['https://a.example/']);
});

test('collection stops at the first value past the limit', () => {
  assert.deepEqual(collect({ l: ['a', 'b', 'c', 'd'] }, [bodyField('/l/*')], 2), { values: ['a', 'b'], problem: 'too_many' });
});

test('the limit counts across fields', () => {
  assert.deepEqual(collect({ a: 'x', b: 'y' }, [bodyField('/a', 0), bodyField('/b', 1)], 1).problem, 'too_many');
});

test('a scalar where an object is expected is an absent value', () => {
  assert.deepEqual([collect({ hooks: 'x' }, [bodyField('/hooks/url')]).problem, collect({ hooks: 'x' }, [bodyField('/hooks/url')], 10, true).problem], [undefined, 'missing']);
});

test('header names compile to lower case; query names stay as given', () => {
  assert.deepEqual([compileField({ in: 'header', name: 'X-Hook' }, 0)?.name, compileField({ in: 'query', name: 'Hook' }, 0)?.name], ['x-hook', 'Hook']);
});
