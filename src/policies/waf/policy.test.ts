import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../core/config-error.js';
import { problemBody } from '../../core/problem.js';
import { MAX_AUDITS_PER_REQUEST } from './score.js';
import { marker, problem, wafHarness } from './test-helpers.js';

const SQLI = marker('sqli');
const XSS = marker('xss');

test('a benign request continues', () => {
  assert.equal(wafHarness().run({ url: '/api/tasks?q=hello' }), undefined);
});

test('a critical hit in a query value is refused with 403 waf.blocked', () => {
  const d = wafHarness().run({ url: `/x?q=${SQLI}` });
  assert.equal(d?.code, 'waf.blocked');
  assert.equal(d?.status, 403);
});

test('a hit scoring below the threshold continues', () => {
  assert.equal(wafHarness({}, { sqli: 3 }).run({ url: `/x?q=${SQLI}` }), undefined);
});

test('hits in two values add up to the threshold', () => {
  assert.equal(wafHarness({}, { sqli: 3 }).run({ url: `/x?a=${SQLI}&b=${SQLI}` })?.code, 'waf.blocked');
});

test('hits of two classes add up in the total', () => {
  assert.equal(wafHarness({}, { sqli: 3, xss: 2 }).run({ url: `/x?a=${SQLI}&b=${XSS}` })?.code, 'waf.blocked');
});

test('a higher threshold lets a single critical hit through', () => {
  assert.equal(wafHarness({ threshold: 10 }).run({ url: `/x?q=${SQLI}` }), undefined);
});

test('a class threshold refuses below the total threshold', () => {
  const h = wafHarness({ threshold: 10, classes: { sqli: { threshold: 3 } } }, { sqli: 3 });
  assert.equal(h.run({ url: `/x?q=${SQLI}` })?.code, 'waf.blocked');
});

test('a class threshold applies to that class only', () => {
  const h = wafHarness({ threshold: 10, classes: { sqli: { threshold: 3 } } }, { xss: 3 });
  assert.equal(h.run({ url: `/x?q=${XSS}` }), undefined);
});

test('a disabled class is never run', () => {
  const h = wafHarness({ classes: { sqli: { enabled: false } } });
  assert.equal(h.run({ url: `/x?q=${SQLI}` }), undefined);
  assert.equal(h.calls.some((c) => c.ruleClass === 'sqli'), false);
});

test('the configured paranoia level reaches the detectors', () => {
  const h = wafHarness({ paranoia: 3 });
  h.run({ url: '/x?q=a;b' });
  assert.ok(h.calls.length > 0);
  assert.ok(h.calls.every((c) => c.paranoia === 3));
});

test('one plain word skips the detectors', () => {
  const h = wafHarness();
  h.run({ url: '/x?due=2026-12-31&v=1.2.3', json: { owner: 'ann@example.com', n: 'en-GB' } });
  assert.deepEqual(h.calls, []);
});

test('prose with spaces reaches every detector', () => {
  const h = wafHarness();
  h.run({ json: { t: 'Write the report' } });
  assert.equal(h.calls.length, 8);
});

test('a doubled joiner such as -- reaches the detectors', () => {
  const h = wafHarness();
  h.run({ json: { t: '1--' } });
  assert.equal(h.calls.length, 8);
});

test('a header value found clean is not inspected again', () => {
  const h = wafHarness();
  const ua = 'Mozilla/5.0 (X11; Linux x86_64)';
  h.run({ headers: { 'user-agent': ua } });
  h.run({ headers: { 'user-agent': ua } });
  assert.equal(h.calls.length, 8);
});

test('a header value that scored is inspected again', () => {
  const h = wafHarness({}, { sqli: 2 });
  h.run({ headers: { 'user-agent': `${SQLI} x` } });
  h.run({ headers: { 'user-agent': `${SQLI} x` } });
  assert.equal(h.audits.length, 2);
});

test('a cookie value found clean is not inspected again', () => {
  const h = wafHarness();
  h.run({ headers: { cookie: 'session=a/b+c' } });
  h.run({ headers: { cookie: 'session=a/b+c' } });
  assert.equal(h.calls.length, 8);
});

test('detectors see query values percent-decoded with + as a space', () => {
  const h = wafHarness();
  h.run({ url: '/x?q=%3Cb%3E+x' });
  assert.equal(h.calls[0]?.value, '<b> x');
});

test('a + in a JSON string stays a +', () => {
  const h = wafHarness();
  h.run({ json: { q: 'a+b;' } });
  assert.deepEqual(new Set(h.calls.filter((c) => c.location === 'json-value').map((c) => c.value)), new Set(['a+b;']));
});

test('block mode stops at the first value over the threshold', () => {
  const h = wafHarness();
  h.run({ url: `/x?a=${SQLI}&b=later;` });
  assert.equal(h.calls.some((c) => c.value === 'later;'), false);
});

test('the detail names the class that matched', () => {
  assert.equal(problem(wafHarness().run({ url: `/x?q=${SQLI}` })).detail, 'The request matched the sqli rules.');
});

test('the detail names every class that scored', () => {
  const d = wafHarness({}, { sqli: 3, xss: 3 }).run({ url: `/x?a=${SQLI}&b=${XSS}` });
  assert.equal(problem(d).detail, 'The request matched the sqli and xss rules.');
});

test('the refusal never echoes the payload or the field name', () => {
  const d = wafHarness().run({ url: `/x?secretfield=${SQLI}zzz` });
  assert.ok(d);
  const body = problemBody(d, 'r1');
  assert.equal(body.includes('zzz'), false);
  assert.equal(body.includes('secretfield'), false);
});

test('detect mode lets an attack through', () => {
  assert.equal(wafHarness({ mode: 'detect' }).run({ url: `/x?q=${SQLI}` }), undefined);
});

test('detect mode audits the detection and says so', () => {
  const h = wafHarness({ mode: 'detect' });
  h.run({ url: `/x?q=${SQLI}` });
  assert.deepEqual(h.audits, [{ type: 'waf', outcome: 'failure', rule: 'sqli.fake', reason: 'query:q score 5 (detect mode, over the threshold)' }]);
});

test('a detection in block mode is one audit event: rule, location, field and score', () => {
  const h = wafHarness();
  h.run({ url: `/x?q=${SQLI}zzz` });
  assert.deepEqual(h.audits, [{ type: 'waf', outcome: 'failure', rule: 'sqli.fake', reason: 'query:q score 5' }]);
});

test('a detection below the threshold is audited too', () => {
  const h = wafHarness({}, { sqli: 2 });
  h.run({ url: `/x?q=${SQLI}` });
  assert.equal(h.audits.length, 1);
});

test('a field name unsafe to log is replaced by its position', () => {
  const h = wafHarness();
  h.run({ url: `/x?a=1&%3Cname%3E=${SQLI}` });
  assert.equal(h.audits[0]?.reason, 'query:#2 score 5');
});

test('a hit on a query name is audited as the name', () => {
  const h = wafHarness();
  h.run({ url: `/x?${SQLI}=1` });
  assert.equal(h.audits[0]?.reason, 'query:#1 (name) score 5');
});

test('a query name reaches the detectors as query-name', () => {
  const h = wafHarness();
  h.run({ url: '/x?a;b=1' });
  assert.ok(h.calls.length > 0);
  assert.ok(h.calls.every((c) => c.location === 'query-name'));
});

test('a path segment is inspected and audited by position', () => {
  const h = wafHarness();
  assert.equal(h.run({ url: `/api/${SQLI}` })?.code, 'waf.blocked');
  assert.equal(h.audits[0]?.reason, 'path:#2 score 5');
});

test('inspect.path false leaves the path alone', () => {
  assert.equal(wafHarness({ inspect: { path: false } }).run({ url: `/api/${SQLI}` }), undefined);
});

test('inspect.query false leaves the query alone', () => {
  assert.equal(wafHarness({ inspect: { query: false } }).run({ url: `/x?q=${SQLI}` }), undefined);
});

test('audit events per request are capped in detect mode', () => {
  const h = wafHarness({ mode: 'detect' }, { sqli: 2 });
  const query = Array.from({ length: 50 }, (_, i) => `p${i}=${SQLI}`).join('&');
  h.run({ url: `/x?${query}` });
  assert.equal(h.audits.length, MAX_AUDITS_PER_REQUEST);
});

test('a config with every class disabled is refused at compile', () => {
  const classes = Object.fromEntries(['sqli', 'xss', 'path-traversal', 'cmdi', 'ssti', 'nosqli', 'crlf', 'ldapi'].map((c) => [c, { enabled: false }]));
  assert.throws(() => wafHarness({ classes }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'classes');
});

test('a config that inspects nothing is refused at compile', () => {
  const inspect = { path: false, query: false, headers: [], cookies: false, body: false };
  assert.throws(() => wafHarness({ inspect }), (e: unknown) => e instanceof ConfigError && e.issues[0]?.path.join('.') === 'inspect');
});

test('the policy asks for the body parsed, its JSON depth bounded', () => {
  const { compiled } = wafHarness({ inspect: { maxDepth: 10 } });
  assert.equal(compiled.requestBody, 'json');
  assert.deepEqual(compiled.jsonLimits, { maxDepth: 10 });
});

test('with inspect.body false the policy does not ask for the body', () => {
  assert.equal(wafHarness({ inspect: { body: false } }).compiled.requestBody, undefined);
});
