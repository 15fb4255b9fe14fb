import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_JSON_LIMITS, MAX_KEY_LENGTH, MAX_POINTER_LENGTH, parseJsonStrict, strictestJsonLimits, type JsonLimits, type StrictJsonResult } from './strict-json.js';

const CORPUS = resolve(import.meta.dirname, '../../test/corpora/json/test_parsing');
const files = readdirSync(CORPUS).sort();
const corpus = (prefix: string) => files.filter((f) => f.startsWith(prefix)).map((f) => [f, readFileSync(join(CORPUS, f))] as const);

/** The two `y_` files refused by design: duplicate keys are refused (see strict-json.ts). */
const REFUSED_Y: Readonly<Record<string, string>> = { 'y_object_duplicated_key.json': 'duplicate_key', 'y_object_duplicated_key_and_value.json': 'duplicate_key' };

/** The documented answer for every `i_` file: `ok`, or the reason of the refusal. */
const I_TABLE: Readonly<Record<string, string>> = {
  'i_number_double_huge_neg_exp.json': 'ok',
  'i_number_huge_exp.json': 'ok',
  'i_number_neg_int_huge_exp.json': 'ok',
  'i_number_pos_double_huge_exp.json': 'ok',
  'i_number_real_neg_overflow.json': 'ok',
  'i_number_real_pos_overflow.json': 'ok',
  'i_number_real_underflow.json': 'ok',
  'i_number_too_big_neg_int.json': 'ok',
  'i_number_too_big_pos_int.json': 'ok',
  'i_number_very_big_negative_int.json': 'ok',
  'i_object_key_lone_2nd_surrogate.json': 'encoding',
  'i_string_1st_surrogate_but_2nd_missing.json': 'encoding',
  'i_string_1st_valid_surrogate_2nd_invalid.json': 'encoding',
  'i_string_UTF-16LE_with_BOM.json': 'encoding',
  'i_string_UTF-8_invalid_sequence.json': 'encoding',
  'i_string_UTF8_surrogate_U+D800.json': 'encoding',
  'i_string_incomplete_surrogate_and_escape_valid.json': 'encoding',
  'i_string_incomplete_surrogate_pair.json': 'encoding',
  'i_string_incomplete_surrogates_escape_valid.json': 'encoding',
  'i_string_invalid_lonely_surrogate.json': 'encoding',
  'i_string_invalid_surrogate.json': 'encoding',
  'i_string_invalid_utf-8.json': 'encoding',
  'i_string_inverted_surrogates_U+1D11E.json': 'encoding',
  'i_string_iso_latin_1.json': 'encoding',
  'i_string_lone_second_surrogate.json': 'encoding',
  'i_string_lone_utf8_continuation_byte.json': 'encoding',
  'i_string_not_in_unicode_range.json': 'encoding',
  'i_string_overlong_sequence_2_bytes.json': 'encoding',
  'i_string_overlong_sequence_6_bytes.json': 'encoding',
  'i_string_overlong_sequence_6_bytes_null.json': 'encoding',
  'i_string_truncated-utf-8.json': 'encoding',
  'i_string_utf16BE_no_BOM.json': 'encoding',
  'i_string_utf16LE_no_BOM.json': 'encoding',
  'i_structure_500_nested_arrays.json': 'depth',
  'i_structure_UTF-8_BOM_empty_object.json': 'encoding',
};

const parse = (text: string, limits?: Partial<JsonLimits>): StrictJsonResult => parseJsonStrict(Buffer.from(text), limits);
const outcome = (r: StrictJsonResult): string => (r.ok ? 'ok' : r.reason);
const refusal = (r: StrictJsonResult) => (r.ok ? { ok: true } : { reason: r.reason, pointer: r.pointer });

/** Best of three timed runs after one warm-up, in ms. */
// CPU time of this process (not wall time: test files run in parallel and the scheduler would
// add other files' time), the best of seven runs.
function fastest(run: () => unknown): number {
  run();
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 7; k++) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    best = Math.min(best, used.user + used.system);
  }
  return Math.max(best / 1000, 0.001); // ms
}

test('every y_ file of JSONTestSuite parses to the value JSON.parse gives', () => {
  const wrong = corpus('y_').filter(([f]) => REFUSED_Y[f] === undefined).filter(([, raw]) => {
    const r = parseJsonStrict(raw);
    return !r.ok || !isDeepStrictEqual(r.value, JSON.parse(raw.toString('utf8')));
  });
  assert.deepEqual(wrong.map(([f]) => f), []);
});

test('the y_ files with duplicate keys are refused as duplicate_key', () => {
  const got = Object.fromEntries(corpus('y_').filter(([f]) => REFUSED_Y[f] !== undefined).map(([f, raw]) => [f, outcome(parseJsonStrict(raw))]));
  assert.deepEqual(got, REFUSED_Y);
});

test('every n_ file of JSONTestSuite is refused', () => {
  assert.deepEqual(corpus('n_').filter(([, raw]) => parseJsonStrict(raw).ok).map(([f]) => f), []);
});

test('every i_ file gets the documented answer', () => {
  assert.deepEqual(Object.fromEntries(corpus('i_').map(([f, raw]) => [f, outcome(parseJsonStrict(raw))])), I_TABLE);
});

test('a UTF-8 byte order mark is refused as encoding', () => {
  assert.equal(outcome(parseJsonStrict(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))), 'encoding');
});

test('invalid UTF-8 inside a string is refused as encoding', () => {
  assert.equal(outcome(parseJsonStrict(Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]))), 'encoding');
});

test('an escaped lone high surrogate is refused as encoding, with its pointer', () => {
  assert.deepEqual(refusal(parse('{"a":["x","\\uD83D"]}')), { reason: 'encoding', pointer: '/a/1' });
});

test('an escaped lone low surrogate is refused as encoding', () => {
  assert.equal(outcome(parse('["\\uDE00"]')), 'encoding');
});

test('an escaped surrogate pair is one character', () => {
  assert.deepEqual(parse('["\\uD83D\\uDE00"]'), { ok: true, value: ['😀'] });
});

test('a duplicate key is refused with the pointer to it', () => {
  assert.deepEqual(refusal(parse('{"a":{"b":1,"c":2,"b":3}}')), { reason: 'duplicate_key', pointer: '/a/b' });
});

test('a duplicate key spelled with an escape is found', () => {
  assert.equal(outcome(parse('{"a":1,"\\u0061":2}')), 'duplicate_key');
});

test('a duplicate key in a large object is found', () => {
  const keys = Array.from({ length: 100 }, (_, k) => `"k${k}":${k}`);
  assert.equal(outcome(parse(`{${keys.join(',')},"k57":0}`)), 'duplicate_key');
});

test('the same key in different objects is allowed', () => {
  assert.deepEqual(parse('{"a":{"id":1},"b":{"id":2},"c":[{"id":3},{"id":4}]}').ok, true);
});

test('keys of the same length and ends are told apart', () => {
  assert.deepEqual(parse('{"axb":1,"ayb":2,"azb":3}'), { ok: true, value: { axb: 1, ayb: 2, azb: 3 } });
});

test('a __proto__ key is refused as forbidden_key', () => {
  assert.deepEqual(refusal(parse('{"a":{"__proto__":{"admin":true}}}')), { reason: 'forbidden_key', pointer: '/a/__proto__' });
});

test('a __proto__ key spelled with an escape is refused', () => {
  assert.equal(outcome(parse('{"\\u005f_proto__":{"admin":true}}')), 'forbidden_key');
});

test('with allowProtoKey, __proto__ is an own data property and prototypes stay Object.prototype', () => {
  const r = parseJsonStrict(Buffer.from('{"__proto__":{"admin":true}}'), undefined, { allowProtoKey: true });
  assert.ok(r.ok);
  const value = r.value as Record<string, unknown>;
  assert.deepEqual([Object.getPrototypeOf(value) === Object.prototype, Object.hasOwn(value, '__proto__'), (value as { admin?: unknown }).admin], [true, true, undefined]);
});

test('constructor and prototype keys are ordinary own data properties', () => {
  const r = parse('{"constructor":{"prototype":{"admin":true}},"prototype":1}');
  assert.ok(r.ok);
  const value = r.value as Record<string, unknown>;
  assert.deepEqual([Object.getPrototypeOf(value) === Object.prototype, Object.keys(value), value.constructor], [true, ['constructor', 'prototype'], { prototype: { admin: true } }]);
});

test('a naive deep merge of parsed bodies into {} leaves Object.prototype untouched', () => {
  const merge = (target: Record<string, unknown>, source: Record<string, unknown>): void => {
    for (const key in source) {
      const t = target[key];
      const s = source[key];
      if (typeof t === 'object' && t !== null && typeof s === 'object' && s !== null) merge(t as Record<string, unknown>, s as Record<string, unknown>);
      else target[key] = s;
    }
  };
  const bodies = ['{"__proto__":{"polluted":true}}', '{"a":{"__proto__":{"polluted":true}}}', '{"constructor":{"prototype":{"polluted":true}}}'];
  for (const body of bodies) {
    const r = parse(body);
    if (r.ok) merge({}, r.value as Record<string, unknown>);
  }
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

test('nesting up to maxDepth is accepted', () => {
  assert.equal(parse(`${'['.repeat(64)}${']'.repeat(64)}`).ok, true);
});

test('nesting past maxDepth is refused as depth, with the pointer', () => {
  assert.deepEqual(refusal(parse('{"a":[{"b":[1]}]}', { maxDepth: 3 })), { reason: 'depth', pointer: '/a/0/b' });
});

test('100,000 nested arrays are refused in well under 50 ms', () => {
  const raw = Buffer.from('['.repeat(100_000));
  assert.equal(outcome(parseJsonStrict(raw)), 'depth');
  assert.ok(fastest(() => parseJsonStrict(raw)) < 50);
});

test('100,000 nested objects are refused in well under 50 ms', () => {
  const raw = Buffer.from('{"a":'.repeat(100_000));
  assert.equal(outcome(parseJsonStrict(raw)), 'depth');
  assert.ok(fastest(() => parseJsonStrict(raw)) < 50);
});

test('more keys than maxKeys in the whole document are refused as keys', () => {
  assert.equal(outcome(parse('[{"a":1,"b":2},{"c":3}]', { maxKeys: 2 })), 'keys');
});

test('exactly maxKeys keys are accepted', () => {
  assert.equal(parse('[{"a":1,"b":2},{"c":3}]', { maxKeys: 3 }).ok, true);
});

test('a body of 200,000 keys is refused in well under 50 ms', () => {
  const raw = Buffer.from(`{${Array.from({ length: 200_000 }, (_, k) => `"k${k}":0`).join(',')}}`);
  assert.equal(outcome(parseJsonStrict(raw)), 'keys');
  assert.ok(fastest(() => parseJsonStrict(raw)) < 50);
});

test('more array elements than maxArrayItems in the whole document are refused', () => {
  assert.equal(outcome(parse('[[1,2],[3]]', { maxArrayItems: 4 })), 'array_items');
});

test('exactly maxArrayItems elements are accepted', () => {
  assert.equal(parse('[[1,2],[3]]', { maxArrayItems: 5 }).ok, true);
});

test('a string longer than maxStringLength is refused', () => {
  assert.deepEqual(refusal(parse('{"a":["abcdef"]}', { maxStringLength: 5 })), { reason: 'string_length', pointer: '/a/0' });
});

test('string length counts UTF-16 code units, not bytes or escapes', () => {
  // é is 2 bytes, 😀 is 4 bytes and 2 units, \u00e9 is 6 bytes and 1 unit: 1 + 2 + 1 + 1 = 5 units.
  assert.deepEqual([parse('["é😀\\u00e9x"]', { maxStringLength: 5 }).ok, parse('["é😀\\u00e9xy"]', { maxStringLength: 5 }).ok], [true, false]);
});

test('a key longer than maxStringLength is refused', () => {
  assert.equal(outcome(parse('{"abcdef":1}', { maxStringLength: 5 })), 'string_length');
});

test('a key longer than MAX_KEY_LENGTH is refused whatever maxStringLength says', () => {
  assert.equal(outcome(parse(`{"${'k'.repeat(MAX_KEY_LENGTH + 1)}":1}`, { maxStringLength: 1e9 })), 'string_length');
});

test('limits left out take the defaults', () => {
  assert.deepEqual([outcome(parse(`${'['.repeat(65)}${']'.repeat(65)}`, { maxKeys: 5 })), DEFAULT_JSON_LIMITS.maxDepth], ['depth', 64]);
});

test('a NaN or negative limit refuses instead of lifting the bound', () => {
  assert.deepEqual([outcome(parse('[1]', { maxArrayItems: Number.NaN })), outcome(parse('[1]', { maxDepth: -1 }))], ['array_items', 'depth']);
});

test('a syntax error is refused as syntax', () => {
  assert.equal(outcome(parse('{"a":1,}')), 'syntax');
});

test('an empty body is refused as syntax', () => {
  assert.equal(outcome(parseJsonStrict(Buffer.alloc(0))), 'syntax');
});

test('a raw control character in an escaped key is refused, not thrown', () => {
  assert.equal(outcome(parse('{"a\tb\\n":1}')), 'syntax');
});

test('a pointer escapes ~ and / (RFC 6901)', () => {
  assert.equal(refusal(parse('{"a/b":{"c~d":{"x":1,"x":2}}}')).pointer, '/a~1b/c~0d/x');
});

test('a pointer longer than MAX_POINTER_LENGTH is left out', () => {
  assert.deepEqual(refusal(parse(`{"${'k'.repeat(MAX_POINTER_LENGTH)}":["\\uD800"]}`)), { reason: 'encoding', pointer: undefined });
});

test('strictestJsonLimits takes the smallest value given per field, defaults for the rest', () => {
  assert.deepEqual(strictestJsonLimits([{ maxDepth: 16 }, undefined, { maxDepth: 32, maxKeys: 100 }]), { ...DEFAULT_JSON_LIMITS, maxDepth: 16, maxKeys: 100 });
});

test('time grows linearly with the number of keys in one object', () => {
  const body = (count: number) => Buffer.from(`{${Array.from({ length: count }, (_, k) => `"key-${k}":${k}`).join(',')}}`);
  const small = body(20_000);
  const large = body(160_000);
  const limits = { maxKeys: 1e6 };
  // 8x the keys: linear is ~8x, quadratic ~64x.
  assert.ok(fastest(() => parseJsonStrict(large, limits)) / fastest(() => parseJsonStrict(small, limits)) < 32);
});

test('time grows linearly with escapes in long strings', () => {
  const body = (count: number) => Buffer.from(`["${'\\"a\\u00e9'.repeat(count)}"]`);
  const small = body(20_000);
  const large = body(160_000);
  assert.ok(fastest(() => parseJsonStrict(large)) / fastest(() => parseJsonStrict(small)) < 32);
});

test('on mutated corpus inputs it never throws, never accepts what JSON.parse refuses, and refuses as syntax only what JSON.parse refuses', () => {
  let seed = 0x2f6b1d;
  const random = (bound: number) => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed % bound;
  };
  const pool = Buffer.from('{}[]":,\\ \t\n0123456789-+.eEtrufalsn\u00e9u');
  const sources = [...corpus('y_'), ...corpus('n_')].map(([, raw]) => raw).filter((raw) => raw.length < 2000);
  const wrong: string[] = [];
  for (let k = 0; k < 4000; k++) {
    const raw = Buffer.from(sources[random(sources.length)]!);
    for (let m = 1 + random(3); m > 0 && raw.length > 0; m--) raw[random(raw.length)] = pool[random(pool.length)]!;
    const r = parseJsonStrict(raw);
    let native: { ok: true; value: unknown } | { ok: false };
    try {
      native = { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
    } catch {
      native = { ok: false };
    }
    if (r.ok ? !native.ok || !isDeepStrictEqual(r.value, native.value) : r.reason === 'syntax' && native.ok) wrong.push(raw.toString('latin1'));
  }
  assert.deepEqual(wrong, []);
});
