import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compact, normalize } from './normalize.js';

test('a percent-encoded value is decoded', () => {
  assert.equal(normalize('%2e%2E%2f'), '../');
});

test('a double-encoded value is decoded through nested passes', () => {
  assert.equal(normalize('%252e%252e%252f'), '../');
});

test('a triple-encoded value is decoded with the default three passes', () => {
  assert.equal(normalize('%25252e'), '.');
});

test('maxDecodePasses bounds the nesting undone', () => {
  assert.equal(normalize('%25252e', { maxDecodePasses: 1 }), '%252e');
});

test('encoded hex digits after a bare % decode in the next pass', () => {
  assert.equal(normalize('%%32%65'), '.');
});

test('invalid percent sequences are left as they are', () => {
  assert.equal(normalize('100% %zz %2 %'), '100% %zz %2 %');
});

test('+ is not turned into a space', () => {
  assert.equal(normalize('a+b%20c'), 'a+b c');
});

test('multi-byte UTF-8 percent sequences decode to their character', () => {
  assert.equal(normalize('caf%C3%A9'), 'café');
});

test('IIS %uXXXX escapes are decoded', () => {
  assert.equal(normalize('%u002e%u002E%u2215'), '../');
});

test('overlong UTF-8 forms decode to the ASCII they spell', () => {
  assert.equal(normalize('%c0%ae%c0%2e%c0%af%e0%80%ae%c1%9c'), '../.\\');
});

test('stray UTF-8 lead bytes are dropped', () => {
  assert.equal(normalize('a%ffb%e2c'), 'abc');
});

test('named HTML entities are decoded', () => {
  assert.equal(normalize('&lt;a&gt;&amp;&quot;&apos;&colon;&sol;&lpar;&rpar;&NewLine;&Tab;'), '<a>&"\':/()\n\t');
});

test('legacy named entities decode without a semicolon, others need one', () => {
  assert.equal(normalize('&lt&gt &colon &copy;'), '<> &colon &copy;');
});

test('decimal and hex numeric references decode with or without ; and with leading zeros', () => {
  assert.equal(normalize('&#60;&#x3C;&#X3c&#0000060&#x00003c;'), '<<<<<');
});

test('malformed references are left as they are', () => {
  assert.equal(normalize('R&D &#; &#x; a&b; &#99999999;'), 'R&D &#; &#x; a&b; &#99999999;');
});

test('JavaScript-style escapes are decoded', () => {
  assert.equal(normalize('\\u003c\\x3e\\u{2f}\\u{0000002e}'), '<>/.');
});

test('backslashes that are not escapes are kept', () => {
  assert.equal(normalize('C:\\windows\\x'), 'C:\\windows\\x');
});

test('encodings nest across kinds (percent of an entity)', () => {
  assert.equal(normalize('%26lt%3bscript%26%23x3e%3b'), '<script>');
});

test('full-width forms fold to ASCII', () => {
  assert.equal(normalize('ｃａｔ　／ｅｔｃ／ｐａｓｓｗｄ'), 'cat /etc/passwd');
});

test('slash and dot look-alikes that NFKC keeps are folded', () => {
  assert.equal(normalize('..\u2215..\u2216\u2024'), '../..\\.');
});

test('null bytes are removed, also encoded ones', () => {
  assert.equal(normalize('pass\u0000wd%00.jpg'), 'passwd.jpg');
});

test('control characters are removed except tab, CR and LF', () => {
  assert.equal(normalize('a\u0001\u001f\u007f\u0085b\t\r\nc'), 'a\nb\t\r\nc');
});

test('zero-width characters are removed', () => {
  assert.equal(normalize('sc\u200bri\ufeffpt\u00ad'), 'script');
});

test('Unicode line separators become LF', () => {
  assert.equal(normalize('%e2%80%a8Set-Cookie'), '\nSet-Cookie');
});

test('case is kept', () => {
  assert.equal(normalize('SeLeCt%20*'), 'SeLeCt *');
});

test('a plain value comes back unchanged', () => {
  const v = 'report-2024.pdf?a=1+b;c|d\t"e"\n';
  assert.equal(normalize(v), v);
});

test('values longer than maxLength are inspected on their prefix only', () => {
  assert.equal(normalize('abcdef', { maxLength: 4 }), 'abcd');
});

test('the output never exceeds maxLength even when NFKC expands it', () => {
  assert.equal(normalize('\ufdfa'.repeat(10), { maxLength: 20 }).length, 20);
});

test('normalize never throws on lone surrogates or truncated escapes', () => {
  assert.equal(typeof normalize('\ud800%\\u12\\u{110000}&#x&#\\x'), 'string');
});

test('100k %25 are decoded in linear time', () => {
  const start = process.hrtime.bigint();
  const out = normalize('%25'.repeat(100_000), { maxLength: 1_000_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.equal(out, '%'.repeat(100_000));
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('100k unterminated escapes of every kind are scanned in linear time', () => {
  const start = process.hrtime.bigint();
  normalize('&#0000\\u{000%c0'.repeat(20_000), { maxLength: 1_000_000 });
  compact('/*'.repeat(100_000));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('compact lower-cases, drops comments and collapses whitespace', () => {
  assert.equal(compact('UNION/**/SELECT\t\t1  /* x */ /*y*/ FROM'), 'union select 1 from');
});

test('compact keeps an unterminated comment', () => {
  assert.equal(compact('a /* open'), 'a /* open');
});

test('compact leaves a lower-case single-spaced value unchanged', () => {
  assert.equal(compact('cat /etc/passwd'), 'cat /etc/passwd');
});
