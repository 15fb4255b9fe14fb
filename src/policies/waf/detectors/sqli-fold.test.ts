import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from './sqli-tokenizer.js';
import { Folder, MAX_TOKENS } from './sqli-fold.js';
import { FOLD_CMP, FOLD_LIST, FOLD_WORD, QUOTE_NONE, QUOTE_SINGLE, T } from './sqli-tokens.js';

const tokenizer = new Tokenizer();
const folder = new Folder();

/** The folded fingerprint of s as a string of type letters. */
function fp(s: string, quote = QUOTE_NONE): string {
  tokenizer.reset(s, quote, false);
  const n = folder.fold(tokenizer);
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode((folder.tokens[i] as { type: number }).type);
  return out;
}

test('number operator number folds into one number', () => {
  assert.equal(fp('1+2*3'), '1');
});

test('a folded comparison marks the number as a condition', () => {
  fp('1=1');
  assert.ok(((folder.tokens[0]?.folds ?? 0) & FOLD_CMP) !== 0);
});

test('arithmetic folds do not mark a condition', () => {
  fp('8-3');
  assert.equal((folder.tokens[0]?.folds ?? 0) & FOLD_CMP, 0);
});

test('a word folded into a number is remembered (1234-ABCD is not a number expression)', () => {
  fp('1234-abcd');
  assert.ok(((folder.tokens[0]?.folds ?? 0) & FOLD_WORD) !== 0);
});

test('IS between two plain words is prose, not a comparison', () => {
  fp('there is nothing');
  assert.equal((folder.tokens[0]?.folds ?? 0) & FOLD_CMP, 0);
});

test('a comma list folds into its first item and is marked as a list', () => {
  assert.equal(fp('1,2,3'), '1');
  assert.ok(((folder.tokens[0]?.folds ?? 0) & FOLD_LIST) !== 0);
});

test('adjacent strings fold into one (SQL concatenates them)', () => {
  assert.equal(fp("'a' 'b' 'c'"), 's');
});

test('repeated semicolons fold into one', () => {
  assert.equal(fp('1;;;drop'), '1;E');
});

test('unary operators after an operator or a logic operator vanish', () => {
  assert.equal(fp('1 or -+!1'), '1&1');
});

test('leading comments, parentheses and unary operators are skipped', () => {
  assert.equal(fp('/* x */ ((-1'), '1');
});

test('two-word phrases merge: UNION ALL, ORDER BY, WAITFOR DELAY', () => {
  assert.equal(fp('1 union all select 2'), '1UE1');
  assert.equal(fp('1 order by 2'), '1B1');
  assert.equal(fp("waitfor delay '0:0:5'"), 'Ts');
});

test('a function name is a function only before a parenthesis', () => {
  assert.equal(fp('sleep(5)'), 'f(1)');
  assert.equal(fp('sleep well'), 'nn');
});

test('a parameterless function name such as CURRENT_USER is a value', () => {
  assert.equal(fp('1 or current_user'), '1&v');
});

test('IN is an operator before a parenthesis and a word otherwise', () => {
  assert.equal(fp('1 in (2'), '1o(1');
  assert.equal(fp('log in now'), 'nnn');
});

test('LIKE( after a value compares; at the start it is a function', () => {
  assert.equal(fp("'a' like('b')"), 'sos');
  assert.equal(fp("like('b')"), 'f(s)');
});

test('a parenthesised operand is the operand, unless the parentheses hold call arguments', () => {
  assert.equal(fp('1 or (2)=(3)'), '1&1');
  assert.equal(fp('ascii(5)'), 'f(1)');
});

test('a qualified name db.table folds into one word', () => {
  assert.equal(fp('users . name'), 'n');
});

test('a type name before a value vanishes (binary x, int 1)', () => {
  assert.equal(fp("1 = binary 'a'"), '1os');
});

test('IF after a semicolon is a T-SQL statement', () => {
  assert.equal(fp('1; if (1=1) select 1')[2], 'T');
});

test('a trailing comment is kept as the last token', () => {
  assert.equal(fp("abc' --", QUOTE_SINGLE), 'sc');
});

test('comments in the middle are dropped', () => {
  assert.equal(fp('1/**/union/**/select'), '1UE');
});

test('a logic operator chain keeps the comparison it folded away', () => {
  tokenizer.reset('1 or 2=2 or 3', QUOTE_NONE, false);
  const n = folder.fold(tokenizer);
  assert.equal(n, 3);
  assert.equal(folder.tokens[1]?.type, T.logic);
  assert.ok(((folder.tokens[1]?.folds ?? 0) & FOLD_CMP) !== 0);
});

test('the fingerprint holds at most MAX_TOKENS tokens and says when the value went on', () => {
  tokenizer.reset('a b c d e f g h i j k l', QUOTE_NONE, false);
  assert.equal(folder.fold(tokenizer), MAX_TOKENS);
  assert.equal(folder.more, true);
});

test('a value made only of comments and parentheses folds to nothing', () => {
  assert.equal(fp('(( /* x */'), '');
});
