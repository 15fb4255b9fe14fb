import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HtmlTokenizer, Start, Tok } from './xss-html.js';
import type { StartValue } from './xss-html.js';

const NAMES: Record<number, string> = {
  [Tok.tagName]: 'tag', [Tok.attrName]: 'name', [Tok.attrValue]: 'value', [Tok.tagEnd]: 'end',
  [Tok.comment]: 'comment', [Tok.bogusComment]: 'bogus', [Tok.doctype]: 'doctype', [Tok.cdata]: 'cdata',
};

/** Every token of s as "kind:text" (end tags' names as "/tag:…"). */
function tokens(s: string, start: StartValue = Start.data): string[] {
  const t = new HtmlTokenizer();
  t.reset(s, 0, s.length, start);
  const out: string[] = [];
  for (let n = 0; t.next() && n < 100; n++) {
    const kind = t.type === Tok.tagName && t.isEndTag ? '/tag' : NAMES[t.type] ?? '?';
    out.push(`${kind}:${s.slice(t.start, t.end)}`);
  }
  return out;
}

test('text without < yields no tokens', () => {
  assert.deepEqual(tokens('a > b & c'), []);
});

test('< not followed by a letter is text', () => {
  assert.deepEqual(tokens('a < b, I <3 you, 1<2'), []);
});

test('a start tag yields its name and the closing >', () => {
  assert.deepEqual(tokens('x<b>y'), ['tag:b', 'end:>']);
});

test('an end tag yields its name marked as an end tag', () => {
  assert.deepEqual(tokens('</script>'), ['/tag:script', 'end:>']);
});

test('attributes: unquoted, double-, single- and backtick-quoted values', () => {
  assert.deepEqual(tokens('<a b=1 c="2 3" d=\'4\' e=`5`>'),
    ['tag:a', 'name:b', 'value:1', 'name:c', 'value:2 3', 'name:d', 'value:4', 'name:e', 'value:5', 'end:>']);
});

test('an attribute without a value is a name only', () => {
  assert.deepEqual(tokens('<input autofocus>'), ['tag:input', 'name:autofocus', 'end:>']);
});

test('spaces around = are skipped', () => {
  assert.deepEqual(tokens('<a href = x>'), ['tag:a', 'name:href', 'value:x', 'end:>']);
});

test('a slash separates the tag name from attributes', () => {
  assert.deepEqual(tokens('<svg/onload=x>'), ['tag:svg', 'name:onload', 'value:x', 'end:>']);
});

test('a self-closing tag ends with />', () => {
  assert.deepEqual(tokens('<br/>'), ['tag:br', 'end:/>']);
});

test('vertical tab and form feed separate attributes', () => {
  assert.deepEqual(tokens('<img\u000bsrc=x\u000conerror=y>'), ['tag:img', 'name:src', 'value:x', 'name:onerror', 'value:y', 'end:>']);
});

test('a missing space after a quoted value still starts the next attribute', () => {
  assert.deepEqual(tokens('<a b="1"c=2>'), ['tag:a', 'name:b', 'value:1', 'name:c', 'value:2', 'end:>']);
});

test('a leading = belongs to the attribute name, as in the standard', () => {
  assert.deepEqual(tokens('<a =b=1>'), ['tag:a', 'name:=b', 'value:1', 'end:>']);
});

test('NUL in a tag name is kept for the classifier to skip', () => {
  assert.deepEqual(tokens('<scr\0ipt>'), ['tag:scr\0ipt', 'end:>']);
});

test('< followed by a letter inside a tag name starts a new tag', () => {
  assert.deepEqual(tokens('<scr<script>ipt>'), ['tag:scr', 'tag:script', 'end:>']);
});

test('a tag cut off by the end of input still yields its parts', () => {
  assert.deepEqual(tokens('<img src=x onerror=alert(1)'), ['tag:img', 'name:src', 'value:x', 'name:onerror', 'value:alert(1)']);
});

test('an unterminated quoted value runs to the end', () => {
  assert.deepEqual(tokens('<a title="x>y'), ['tag:a', 'name:title', 'value:x>y']);
});

test('a comment ends at -->', () => {
  assert.deepEqual(tokens('<!-- a -- b --><b>'), ['comment: a -- b ', 'tag:b', 'end:>']);
});

test('a comment also ends at --!>', () => {
  assert.deepEqual(tokens('<!--x--!><i>'), ['comment:x', 'tag:i', 'end:>']);
});

test('<!--> and <!---> are empty comments', () => {
  assert.deepEqual(tokens('<!--><i><!---><b>'), ['comment:', 'tag:i', 'end:>', 'comment:', 'tag:b', 'end:>']);
});

test('markup inside a quoted attribute of a comment-looking value is reached after -->', () => {
  assert.deepEqual(tokens('<!--<img src="--><img src=x>'), ['comment:<img src="', 'tag:img', 'name:src', 'value:x', 'end:>']);
});

test('an unterminated comment runs to the end', () => {
  assert.deepEqual(tokens('<!-- open <b>'), ['comment: open <b>']);
});

test('a DOCTYPE is its own token, case-insensitively', () => {
  assert.deepEqual(tokens('<!doctype html><p>'), ['doctype:doctype html', 'tag:p', 'end:>']);
});

test('CDATA content is tokenised as markup', () => {
  assert.deepEqual(tokens('<![CDATA[<b>]]>'), ['cdata:<![CDATA[', 'tag:b', 'end:>']);
});

test('<? starts a bogus comment up to >', () => {
  assert.deepEqual(tokens('<?xml-stylesheet href=x?><b>'), ['bogus:xml-stylesheet href=x?', 'tag:b', 'end:>']);
});

test('<! without -- or DOCTYPE is a bogus comment', () => {
  assert.deepEqual(tokens('<![if IE]>'), ['bogus:[if IE]']);
});

test('</ followed by a non-letter is a bogus comment', () => {
  assert.deepEqual(tokens('</ x>'), ['bogus: x']);
});

test('</> is dropped', () => {
  assert.deepEqual(tokens('</><b>'), ['tag:b', 'end:>']);
});

test('from an attribute list, the first words are attributes', () => {
  assert.deepEqual(tokens('x onclick=y>', Start.attrList), ['name:x', 'name:onclick', 'value:y', 'end:>']);
});

test('from a double-quoted value, the first " closes it', () => {
  assert.deepEqual(tokens('a"><b>', Start.doubleQuoted), ['value:a', 'end:>', 'tag:b', 'end:>']);
});

test('from a single-quoted value, a double quote does not close it', () => {
  assert.deepEqual(tokens('a"b\' c=d', Start.singleQuoted), ['value:a"b', 'name:c', 'value:d']);
});

test('from a backtick-quoted value, the first backtick closes it', () => {
  assert.deepEqual(tokens('a` c=d', Start.backQuoted), ['value:a', 'name:c', 'value:d']);
});

test('reset() limits a pass to a range', () => {
  const t = new HtmlTokenizer();
  t.reset('<a><b><c>', 3, 6, Start.data);
  const names: string[] = [];
  while (t.next()) if (t.type === Tok.tagName) names.push('<a><b><c>'.slice(t.start, t.end));
  assert.deepEqual(names, ['b']);
});

test('hostile inputs of a million characters tokenise in linear time', () => {
  const t = new HtmlTokenizer();
  const inputs: [string, StartValue][] = [
    ['<a "'.repeat(250_000), Start.attrList], ['<a b="'.repeat(170_000), Start.data],
    ['<!--'.repeat(250_000), Start.data], ['<a<'.repeat(330_000), Start.data], ['-'.repeat(1_000_000), Start.data],
  ];
  const started = process.hrtime.bigint();
  let count = 0;
  for (const [s, start] of inputs) {
    t.reset(s, 0, s.length, start);
    while (t.next()) count++;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(count > 500_000);
  assert.ok(ms < 2000, `took ${ms} ms`);
});
