import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marker, wafHarness } from './test-helpers.js';

const SQLI = marker('sqli');
const NOSQLI = marker('nosqli');
const form = (text: string) => ({ type: 'application/x-www-form-urlencoded', text });

test('a JSON string value is inspected', () => {
  assert.equal(wafHarness().run({ json: { title: SQLI } })?.code, 'waf.blocked');
});

test('a JSON string deep in arrays and objects is inspected', () => {
  assert.equal(wafHarness().run({ json: { a: [1, { b: [[SQLI]] }] } })?.code, 'waf.blocked');
});

test('a JSON key is inspected as json-key', () => {
  const h = wafHarness();
  assert.equal(h.run({ json: { user: { [`${NOSQLI}$where`]: 'x' } } })?.code, 'waf.blocked');
  assert.ok(h.calls.some((c) => c.location === 'json-key'));
});

test('a detection in JSON is audited with its pointer', () => {
  const h = wafHarness();
  h.run({ json: { items: [{ title: SQLI }] } });
  assert.equal(h.audits[0]?.reason, 'body:/items/0/title score 5');
});

test('a JSON key unsafe to log is audited by its position', () => {
  const h = wafHarness();
  h.run({ json: { a: 1, [SQLI]: 1 } });
  assert.equal(h.audits[0]?.reason, 'body:/#2 (name) score 5');
});

test('a top-level JSON string is inspected', () => {
  assert.equal(wafHarness().run({ json: SQLI })?.code, 'waf.blocked');
});

test('JSON numbers, booleans and null are not handed to the detectors', () => {
  const h = wafHarness();
  h.run({ json: [1.5e-3, true, null] });
  assert.deepEqual(h.calls, []);
});

test('a form field value is inspected', () => {
  assert.equal(wafHarness().run({ raw: form(`a=1&comment=${encodeURIComponent(SQLI)}`) })?.code, 'waf.blocked');
});

test('a form field name is inspected', () => {
  assert.equal(wafHarness().run({ raw: form(`${encodeURIComponent(SQLI)}=1`) })?.code, 'waf.blocked');
});

test('a form field is audited as a body pointer', () => {
  const h = wafHarness();
  h.run({ raw: form(`comment=${encodeURIComponent(SQLI)}`) });
  assert.equal(h.audits[0]?.reason, 'body:/comment score 5');
});

test('a body of another content type is inspected as text', () => {
  assert.equal(wafHarness().run({ raw: { type: 'text/plain', text: `hello ${SQLI}` } })?.code, 'waf.blocked');
});

test('otherBodies skip lets a body of another content type through', () => {
  assert.equal(wafHarness({ inspect: { otherBodies: 'skip' } }).run({ raw: { type: 'text/plain', text: SQLI } }), undefined);
});

test('inspect.body false leaves the body alone', () => {
  assert.equal(wafHarness({ inspect: { body: false } }).run({ json: { title: SQLI } }), undefined);
});

test('a cookie value is inspected', () => {
  const h = wafHarness();
  assert.equal(h.run({ headers: { cookie: `session=abc; theme=${SQLI}` } })?.code, 'waf.blocked');
  assert.equal(h.audits[0]?.reason, 'cookie:theme score 5');
});

test('a cookie name is inspected', () => {
  assert.equal(wafHarness().run({ headers: { cookie: `${SQLI}=1` } })?.code, 'waf.blocked');
});

test('inspect.cookies false leaves cookies alone', () => {
  assert.equal(wafHarness({ inspect: { cookies: false } }).run({ headers: { cookie: `a=${SQLI}` } }), undefined);
});

test('user-agent is inspected by default', () => {
  const h = wafHarness();
  assert.equal(h.run({ headers: { 'user-agent': SQLI } })?.code, 'waf.blocked');
  assert.equal(h.audits[0]?.reason, 'header:user-agent score 5');
});

test('a header not listed is not inspected', () => {
  assert.equal(wafHarness().run({ headers: { 'x-other': SQLI } }), undefined);
});

test('a header listed in inspect.headers is inspected', () => {
  assert.equal(wafHarness({ inspect: { headers: ['X-Search'] } }).run({ headers: { 'x-search': SQLI } })?.code, 'waf.blocked');
});

test('more values than maxValues are refused with 413 waf.too_many_values', () => {
  const d = wafHarness({ inspect: { maxValues: 3 } }).run({ url: '/x?a=1&b=2' });
  assert.equal(d?.code, 'waf.too_many_values');
  assert.equal(d?.status, 413);
});

test('exactly maxValues values are allowed', () => {
  assert.equal(wafHarness({ inspect: { maxValues: 4, path: false } }).run({ url: '/x?a=1&b=2' }), undefined);
});

test('in detect mode too many values pass and are audited', () => {
  const h = wafHarness({ mode: 'detect', inspect: { maxValues: 1 } });
  assert.equal(h.run({ url: '/x?a=1' }), undefined);
  assert.equal(h.audits[0]?.rule, 'waf.too_many_values');
});

test('more characters than maxTotalLength are refused with 413 waf.too_much_input', () => {
  const d = wafHarness({ inspect: { maxTotalLength: 1024 } }).run({ json: { a: ';'.repeat(600), b: ';'.repeat(600) } });
  assert.equal(d?.code, 'waf.too_much_input');
  assert.equal(d?.status, 413);
});

test('JSON nested deeper than maxDepth is refused with 400 waf.too_deep', () => {
  const d = wafHarness({ inspect: { maxDepth: 2 } }).run({ json: { a: { b: { c: 1 } } } });
  assert.equal(d?.code, 'waf.too_deep');
  assert.equal(d?.status, 400);
});

test('JSON nested exactly maxDepth deep is inspected', () => {
  assert.equal(wafHarness({ inspect: { maxDepth: 2 } }).run({ json: { a: { b: 1 } } }), undefined);
});

test('a payload after padding longer than maxValueLength is still found', () => {
  const value = `${';'.repeat(1000)}${SQLI}`;
  assert.equal(wafHarness({ inspect: { maxValueLength: 256 } }).run({ json: { a: value } })?.code, 'waf.blocked');
});

test('a payload across the edge of a window is found whole in the overlap', () => {
  const value = `${';'.repeat(250)}${SQLI}${';'.repeat(300)}`;
  assert.equal(wafHarness({ inspect: { maxValueLength: 256 } }).run({ json: { a: value } })?.code, 'waf.blocked');
});

test('the detectors never see more than maxValueLength characters at once', () => {
  const h = wafHarness({ inspect: { maxValueLength: 256 } });
  h.run({ json: { a: ';'.repeat(1000) } });
  assert.ok(h.calls.length > 8);
  assert.ok(h.calls.every((c) => c.value.length <= 256));
});

test('a query of many & without = is parsed in linear time', () => {
  const url = `/x?${'a&'.repeat(50_000)}b=${SQLI}`;
  const start = performance.now();
  const d = wafHarness({ inspect: { maxValues: 100_000 } }).run({ url });
  assert.equal(d?.code, 'waf.blocked');
  assert.ok(performance.now() - start < 1000);
});
