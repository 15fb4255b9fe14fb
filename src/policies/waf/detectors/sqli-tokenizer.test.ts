import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from './sqli-tokenizer.js';
import { QUOTE_DOUBLE, QUOTE_NONE, QUOTE_SINGLE, T, Token } from './sqli-tokens.js';
import { kw } from './sqli-keywords.js';

/** The raw token types of s as a string of type letters (no folding). */
function types(s: string, quote = QUOTE_NONE, mysql = false): string {
  const tk = new Tokenizer();
  const t = new Token();
  tk.reset(s, quote, mysql);
  let out = '';
  while (tk.next(t)) out += String.fromCharCode(t.type);
  return out;
}

/** The first token of s. */
function first(s: string, quote = QUOTE_NONE, mysql = false): Token {
  const tk = new Tokenizer();
  const t = new Token();
  tk.reset(s, quote, mysql);
  assert.ok(tk.next(t), 'expected a token');
  return t;
}

test('a quoted string is one string token, closed by its quote', () => {
  const t = first("'abc' x");
  assert.equal(t.type, T.string);
  assert.equal(t.close, 0x27);
  assert.equal(t.len, 3);
});

test('an unterminated string runs to the end of the value', () => {
  const t = first("'abc def");
  assert.equal(t.type, T.string);
  assert.equal(t.close, 0);
});

test('a doubled quote does not close a string', () => {
  assert.equal(types("'it''s' x"), 'sn');
});

test('a backslash-escaped quote does not close a string, an escaped backslash does', () => {
  assert.equal(types("'a\\'b' x"), 'sn');
  assert.equal(types("'a\\\\' x"), 'sn');
});

test('in the single-quote context the value starts inside a string the attacker closes', () => {
  const t = first("abc' or 1", QUOTE_SINGLE);
  assert.equal(t.type, T.string);
  assert.equal(t.open, 0);
  assert.equal(t.close, 0x27);
  assert.equal(types("abc' or 1", QUOTE_SINGLE), 's&1');
});

test('in the double-quote context only a double quote closes the first string', () => {
  assert.equal(types('a\'b" or 1', QUOTE_DOUBLE), 's&1');
});

test('numbers: decimals, exponents, hex, binary and bit/hex string literals', () => {
  for (const n of ['42', '4.2', '.5', '1e10', '2.5E-3', '0x1F', '0b101', "X'4F'", "b'01'"]) {
    assert.equal(types(n), '1', n);
  }
});

test('a number with a dangling exponent is read as nothing, as MySQL does', () => {
  assert.equal(types('1.e(1)'), '(1)');
});

test('0x without hex digits is a word', () => {
  assert.equal(types('0x'), 'n');
});

test('keywords are typed by the table, case-insensitively', () => {
  assert.equal(types('SeLeCt UNION from AND'), 'EUk&');
});

test('a known function name is a function token (the folder retypes it without parentheses)', () => {
  const t = first('concat(');
  assert.equal(t.type, T.function);
  assert.equal(t.kw, kw('CONCAT'));
});

test('an unknown word is a bareword', () => {
  assert.equal(types('zebra'), 'n');
});

test('a keyword glued to a dot or a backtick ends there', () => {
  assert.equal(types('UNION.x'), 'U.n');
});

test('words may hold dots: a qualified name is one word', () => {
  assert.equal(types('information_schema.tables'), 'n');
});

test('variables: @x and @@version', () => {
  assert.equal(types('@x @@version'), 'vv');
});

test('line comments: -- followed by white space or the end', () => {
  assert.equal(types('1 -- x'), '1c');
  assert.equal(types('1--'), '1c');
});

test('--x is a comment in the ANSI reading and two minus signs in the MySQL reading', () => {
  assert.equal(types('1--x'), '1c');
  assert.equal(types('1--x', QUOTE_NONE, true), '1oon');
});

test('# is an operator in the ANSI reading and a comment in the MySQL reading', () => {
  assert.equal(types('1 # x'), '1on');
  assert.equal(types('1 # x', QUOTE_NONE, true), '1c');
});

test('a block comment is one comment token, an unterminated one runs to the end', () => {
  assert.equal(types('1 /* x */ 2'), '1c1');
  assert.equal(types('1 /* x'), '1c');
});

test('a MySQL conditional comment with a version or SQL inside is unparsable (evil)', () => {
  assert.equal(types('1 /*!50000UNION*/'), '1X');
  assert.equal(types('1 /*!UNION*/'), '1X');
});

test('a /*! licence banner is an ordinary comment', () => {
  assert.equal(types('/*! normalize.css v8 | MIT */'), 'c');
});

test('a nested block comment is unparsable (evil)', () => {
  assert.equal(types('/* a /* b */'), 'X');
});

test('two-character operators: <=, <>, !=, ::, := and the three-character <=>', () => {
  assert.equal(types('a<=b'), 'non');
  assert.equal(types('a<>b'), 'non');
  assert.equal(types('a::b'), 'non');
  assert.equal(types('a<=>b'), 'non');
  assert.equal(first('<=>').len, 3);
});

test('&& and || are logic operators', () => {
  assert.equal(types('1&&2||3'), '1&1&1');
});

test('a lone colon is a colon, not an operator', () => {
  assert.equal(types('a:b'), 'n:n');
});

test('punctuation tokens: parentheses, comma, semicolon, braces', () => {
  assert.equal(types('(,);{}'), '(,);{}');
});

test('a backslash followed by N is MySQL NULL (a number); otherwise a backslash', () => {
  assert.equal(types('\\N'), '1');
  assert.equal(types('\\x'), '\\n');
});

test('MSSQL [bracket] identifiers are barewords', () => {
  assert.equal(types('[my col] x'), 'nn');
});

test('backtick identifiers are barewords, or functions when they name one', () => {
  assert.equal(types('`users`'), 'n');
  assert.equal(types('`sleep`(1)'), 'f(1)');
});

test('PostgreSQL dollar-quoted strings and money amounts', () => {
  assert.equal(types('$$abc$$ $tag$x$tag$'), 'ss');
  assert.equal(types('$1,000.50'), '1');
});

test('prefixed string literals: N\'…\', E\'…\', q\'[…]\'', () => {
  assert.equal(types("N'abc'"), 's');
  assert.equal(types("E'abc'"), 's');
  assert.equal(types("q'[it's]'"), 's');
});

test('white space includes no-break and other Unicode spaces', () => {
  assert.equal(types('1\u00a0or\u20031'), '1&1');
});

test('a question mark is an unknown token', () => {
  assert.equal(types('?'), '?');
});

test('the tokenizer counts # and --x for the MySQL re-read', () => {
  const tk = new Tokenizer();
  const t = new Token();
  tk.reset('1 # x --y', QUOTE_NONE, false);
  while (tk.next(t));
  assert.equal(tk.hashes, 1);
  assert.equal(tk.dashDash, 1);
});

test('an empty value yields one empty string in a quote context, then ends', () => {
  assert.equal(types('', QUOTE_SINGLE), 's');
});
