import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCss, isDangerousCss, isUnusualCss } from './xss-css.js';

test('decodeCss undoes hex escapes with their optional space', () => {
  const v = '\\65 xpression';
  assert.equal(decodeCss(v, 0, v.length), 'expression');
});

test('decodeCss undoes escapes of non-hex characters and drops escaped newlines', () => {
  assert.equal(decodeCss('e\\x\\\npr', 0, 7), 'expr');
});

test('decodeCss removes comments and NULs', () => {
  const v = 'exp/* x */res\0sion';
  assert.equal(decodeCss(v, 0, v.length), 'expression');
});

test('decodeCss decodes character references first', () => {
  const v = '&#x65;xpression';
  assert.equal(decodeCss(v, 0, v.length), 'expression');
});

test('isDangerousCss finds expression() with any case and spacing', () => {
  assert.equal(isDangerousCss('width: EXPRESSION ( alert(1) )'), true);
});

test('isDangerousCss finds script URLs, bindings, behaviours and imports', () => {
  for (const v of ['background:url(javascript:alert(1))', '-moz-binding:url(x.xml#x)', 'behavior: url(x.htc)', '@import "x.css"']) {
    assert.equal(isDangerousCss(v), true, v);
  }
});

test('isDangerousCss passes plain declarations', () => {
  assert.equal(isDangerousCss('color: red; font-family: "Helvetica Neue", Arial; margin: 0 auto'), false);
});

test('isUnusualCss passes plain declarations with quoted font names', () => {
  assert.equal(isUnusualCss('color: red; font-family: "Helvetica Neue", \'Arial\'; width: calc(100% - 2px)'), false);
});

test('isUnusualCss flags blocks, brackets, escapes and markup characters', () => {
  for (const v of ['a{color:red}', 'font-family:foo[bar', 'x:\\63', 'x:<b>']) assert.equal(isUnusualCss(v), true, v);
});

test('isUnusualCss flags unbalanced quotes and parentheses', () => {
  for (const v of ["font-family:'foo", 'width:calc((1px)', 'x:a)b(']) assert.equal(isUnusualCss(v), true, v);
});

test('isUnusualCss flags a line break inside a string', () => {
  assert.equal(isUnusualCss("font-family:'foo\n;color:red;'"), true);
});

test('isUnusualCss flags resource loads', () => {
  assert.equal(isUnusualCss('background: URL(https://example.com/x.png)'), true);
});
