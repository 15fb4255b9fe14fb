import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../core/config-error.js';
import { compileExclusions } from './exclusions.js';
import { marker, wafHarness } from './test-helpers.js';

const SQLI = marker('sqli');
const XSS = marker('xss');
const xssOnly = (location: string, field: string) => ({ exclusions: [{ location, field, classes: ['xss'] }] });

test('a query exclusion skips its class on that parameter', () => {
  assert.equal(wafHarness(xssOnly('query', 'html')).run({ url: `/x?html=${XSS}` }), undefined);
});

test('a query exclusion keeps the other classes on that parameter', () => {
  assert.equal(wafHarness(xssOnly('query', 'html')).run({ url: `/x?html=${SQLI}` })?.code, 'waf.blocked');
});

test('a query exclusion leaves other parameters inspected', () => {
  assert.equal(wafHarness(xssOnly('query', 'html')).run({ url: `/x?other=${XSS}` })?.code, 'waf.blocked');
});

test('a query exclusion matches the percent-decoded name', () => {
  assert.equal(wafHarness(xssOnly('query', 'html')).run({ url: `/x?ht%6Dl=${XSS}` }), undefined);
});

test('an exclusion without classes leaves the field uninspected', () => {
  const h = wafHarness({ exclusions: [{ location: 'query', field: 'raw' }] });
  assert.equal(h.run({ url: `/x?raw=${SQLI}` }), undefined);
  assert.deepEqual(h.calls, []);
});

test('a query exclusion for * covers every parameter', () => {
  assert.equal(wafHarness(xssOnly('query', '*')).run({ url: `/x?a=${XSS}&b=${XSS}` }), undefined);
});

test('a body pointer skips its class on that JSON property', () => {
  assert.equal(wafHarness(xssOnly('body', '/description')).run({ json: { description: `<p>${XSS}</p>` } }), undefined);
});

test('a body pointer leaves sibling properties inspected', () => {
  assert.equal(wafHarness(xssOnly('body', '/description')).run({ json: { description: 'ok', title: XSS } })?.code, 'waf.blocked');
});

test('a body pointer covers everything below it', () => {
  assert.equal(wafHarness(xssOnly('body', '/meta')).run({ json: { meta: { a: [{ b: XSS }] } } }), undefined);
});

test('a body pointer with * matches any array element', () => {
  const json = { items: [{ note: XSS }, { note: XSS }] };
  assert.equal(wafHarness(xssOnly('body', '/items/*/note')).run({ json }), undefined);
});

test('a body pointer with * does not reach other properties of the element', () => {
  const json = { items: [{ note: 'ok', title: XSS }] };
  assert.equal(wafHarness(xssOnly('body', '/items/*/note')).run({ json })?.code, 'waf.blocked');
});

test('a body pointer with an index matches that element only', () => {
  const json = { items: ['ok', XSS] };
  assert.equal(wafHarness(xssOnly('body', '/items/0')).run({ json })?.code, 'waf.blocked');
});

test('a body pointer with ~1 names a key containing a slash', () => {
  assert.equal(wafHarness(xssOnly('body', '/a~1b')).run({ json: { 'a/b': XSS } }), undefined);
});

test('a body pointer names a form field', () => {
  const raw = { type: 'application/x-www-form-urlencoded', text: `comment=${encodeURIComponent(XSS)}` };
  assert.equal(wafHarness(xssOnly('body', '/comment')).run({ raw }), undefined);
});

test('a body exclusion for * covers the whole body', () => {
  assert.equal(wafHarness(xssOnly('body', '*')).run({ json: { a: XSS, b: [XSS] } }), undefined);
});

test('a header exclusion skips its class on that header, whatever the case', () => {
  const h = wafHarness({ inspect: { headers: ['x-html'] }, exclusions: [{ location: 'header', field: 'X-Html', classes: ['xss'] }] });
  assert.equal(h.run({ headers: { 'x-html': XSS } }), undefined);
});

test('a cookie exclusion skips its class on that cookie', () => {
  assert.equal(wafHarness(xssOnly('cookie', 'prefs')).run({ headers: { cookie: `a=1; prefs=${XSS}` } }), undefined);
});

test('a cookie exclusion leaves other cookies inspected', () => {
  assert.equal(wafHarness(xssOnly('cookie', 'prefs')).run({ headers: { cookie: `other=${XSS}` } })?.code, 'waf.blocked');
});

test('a path exclusion skips its class on every segment', () => {
  assert.equal(wafHarness(xssOnly('path', '*')).run({ url: `/api/${XSS}` }), undefined);
});

test('a path exclusion other than * is refused at compile', () => {
  assert.throws(() => compileExclusions([{ location: 'path', field: '/api' }]), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'exclusions.0.field');
});

test('a body exclusion that is not a JSON pointer is refused at compile', () => {
  assert.throws(() => compileExclusions([{ location: 'body', field: 'description' }]), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'exclusions.0.field');
});

test('an exclusion of a header that is not inspected is a warning', () => {
  const h = wafHarness({ exclusions: [{ location: 'header', field: 'x-other', classes: ['xss'] }] });
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0]!, /^exclusions\.0\.field: /);
});
