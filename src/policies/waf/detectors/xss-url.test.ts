import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isScriptUrl, Scheme, schemeAt, SchemeText, scanSchemeText } from './xss-url.js';

const url = (v: string): boolean => isScriptUrl(v, 0, v.length);

test('schemeAt recognises javascript:, vbscript: and livescript:', () => {
  for (const v of ['javascript:x', 'vbscript:x', 'livescript:x']) assert.equal(schemeAt(v, 0, v.length), Scheme.script, v);
});

test('schemeAt is case-insensitive', () => {
  assert.equal(schemeAt('JaVaScRiPt:x', 0, 12), Scheme.script);
});

test('schemeAt skips tab, newline, carriage return and NUL inside the scheme', () => {
  const v = 'jav\tas\ncr\ri\0pt:x';
  assert.equal(schemeAt(v, 0, v.length), Scheme.script);
});

test('schemeAt decodes character references in the scheme and the colon', () => {
  const v = '&#106;ava&#x09;script&colon;x';
  assert.equal(schemeAt(v, 0, v.length), Scheme.script);
});

test('schemeAt needs the colon right after the scheme', () => {
  assert.equal(schemeAt('javascripts:x', 0, 13), Scheme.none);
  assert.equal(schemeAt('java script:x', 0, 13), Scheme.none);
});

test('a data: URL with an active media type is active', () => {
  for (const v of ['data:text/html,<b>', 'data: TEXT/HTML;base64,xx', 'data:application/xhtml+xml,x']) {
    assert.equal(schemeAt(v, 0, v.length), Scheme.activeData, v);
  }
});

test('an SVG data: URL is told apart', () => {
  assert.equal(schemeAt('data:image/svg+xml,<svg>', 0, 24), Scheme.svgData);
});

test('isScriptUrl counts an SVG data: URL except where only an image is loaded', () => {
  const v = 'data:image/svg+xml;base64,PHN2Zz4=';
  assert.equal(isScriptUrl(v, 0, v.length), true);
  assert.equal(isScriptUrl(v, 0, v.length, true), false);
});

test('a data: URL of an image or plain text is inert', () => {
  for (const v of ['data:image/png;base64,iVBOR', 'data:,hello', 'data:text/plain,x']) {
    assert.equal(schemeAt(v, 0, v.length), Scheme.inertData, v);
  }
});

test('isScriptUrl trims leading spaces and control characters, also encoded ones', () => {
  assert.equal(url(' \u0001 &#14; javascript:alert(1)'), true);
});

test('isScriptUrl is false for http(s) and relative URLs', () => {
  for (const v of ['https://example.com/?javascript:x', '/path', 'cat.png', '']) assert.equal(url(v), false, v);
});

test('isScriptUrl is true for an active data: URL', () => {
  assert.equal(url('data:text/html;base64,PHNjcmlwdD4='), true);
});

test('scanSchemeText: a value that is a script URL', () => {
  assert.equal(scanSchemeText('  javascript:foo'), SchemeText.url);
});

test('scanSchemeText: a script URL followed by code anywhere', () => {
  for (const v of ['x=javascript:alert(1)', 'go javascript://%0a1', 'a javascript:location.href=1']) {
    assert.equal(scanSchemeText(v), SchemeText.url, v);
  }
});

test('scanSchemeText: the word followed by prose is only a mention', () => {
  for (const v of ['JavaScript: The Good Parts', 'I like javascript: it is fun', 'see Node.js, javascript: node.js']) {
    assert.equal(scanSchemeText(v), SchemeText.mention, v);
  }
});

test('scanSchemeText: a scheme must start a word', () => {
  assert.equal(scanSchemeText('xjavascript:alert(1)'), SchemeText.none);
});

test('scanSchemeText: an active data: URL anywhere', () => {
  assert.equal(scanSchemeText('img=data:text/html;base64,xx'), SchemeText.url);
});

test('scanSchemeText: encoded schemes are found when the value has character references', () => {
  assert.equal(scanSchemeText('&#106;avascript&#58;alert(1)'), SchemeText.url);
});

test('scanSchemeText: ordinary URLs, times and labels are nothing', () => {
  for (const v of ['https://example.com/a?b=c:d', '10:30', 'Note: fine', 'mailto:a@b.c', 'Data: 1, 2']) {
    assert.equal(scanSchemeText(v), SchemeText.none, v);
  }
});

test('scanSchemeText is linear on a million colons and letters', () => {
  const started = process.hrtime.bigint();
  scanSchemeText('javascript'.repeat(50_000) + ':'.repeat(500_000));
  scanSchemeText('j\t'.repeat(300_000) + ':');
  scanSchemeText('&#106;'.repeat(150_000));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 2000, `took ${ms} ms`);
});
