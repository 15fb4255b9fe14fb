import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyValue } from './sqli.js';
import { R } from './sqli-rules.js';

// Tautologies and boolean conditions appended to a value
test('a tautology after a closed single quote is a fingerprint hit', () => {
  assert.equal(classifyValue("7' oR 'q'='q"), R.fingerprint);
});

test('a numeric tautology is a fingerprint hit', () => {
  assert.equal(classifyValue('7 or 2>1'), R.fingerprint);
});

test('a tautology after a closed double quote is a fingerprint hit', () => {
  assert.equal(classifyValue('zed" || 3=3 -- '), R.fingerprint);
});

test('closing parentheses before the logic operator are allowed', () => {
  assert.equal(classifyValue("x')) or (('k'='k"), R.fingerprint);
});

test('a parenthesised comparison after AND is a condition', () => {
  assert.equal(classifyValue('12 and (4)=(4)'), R.fingerprint);
});

test('a quote reopened after OR for the application to close balances the query', () => {
  assert.equal(classifyValue("qq' or 'z"), R.fingerprint);
});

test('a function call after a logic operator is a condition', () => {
  assert.equal(classifyValue("x' and ascii(lower(user()))>100 -- "), R.fingerprint);
});

test('a subquery after a logic operator is a condition', () => {
  assert.equal(classifyValue('4 and (select count(*) from t)>0'), R.fingerprint);
});

test('a CASE expression after a logic operator is a condition', () => {
  assert.equal(classifyValue('3 and case when 5>4 then 1 else 0 end'), R.fingerprint);
});

test('a system variable after a logic operator is a condition', () => {
  assert.equal(classifyValue('9 or @@version'), R.fingerprint);
});

test('a WHERE clause with a condition is a fingerprint hit', () => {
  assert.equal(classifyValue("zz' where 8=8 -- "), R.fingerprint);
});

test('ORDER BY a column number is a fingerprint hit', () => {
  assert.equal(classifyValue("mm' order by 4 -- "), R.fingerprint);
});

test('INTO OUTFILE is a fingerprint hit', () => {
  assert.equal(classifyValue("5 into outfile '/var/www/x.php'"), R.fingerprint);
});

test('a name only attacks use (xp_cmdshell, utl_http.request) is a fingerprint hit', () => {
  assert.equal(classifyValue("k' || utl_http.request('http://x')"), R.fingerprint);
});

test('a whole SELECT with a call, a system variable or * FROM is a fingerprint hit', () => {
  assert.equal(classifyValue('select version()'), R.fingerprint);
  assert.equal(classifyValue('SELECT @@datadir'), R.fingerprint);
  assert.equal(classifyValue('select * from accounts'), R.fingerprint);
});

// UNION
test('UNION SELECT after a value is a union hit', () => {
  assert.equal(classifyValue('-5 union all select 1,2,3'), R.union);
});

test('UNION (SELECT after a closed quote is a union hit', () => {
  assert.equal(classifyValue("b') union (select pwd from t"), R.union);
});

test('UNION followed by a word that is not SELECT is prose', () => {
  assert.equal(classifyValue('1950 union made'), R.none);
});

// Stacked queries
test('a destructive statement after a semicolon is a stacked-query hit', () => {
  assert.equal(classifyValue('9; drop table accounts'), R.stacked);
});

test('EXEC of a system procedure after a semicolon is a stacked-query hit', () => {
  assert.equal(classifyValue("q'; exec master..xp_cmdshell 'dir'"), R.stacked);
});

test('DECLARE of a variable after a semicolon is a stacked-query hit', () => {
  assert.equal(classifyValue('2; declare @v varchar(99)'), R.stacked);
});

test('a T-SQL statement right after a value (no semicolon) is a stacked-query hit', () => {
  assert.equal(classifyValue('3 update items set price=0'), R.stacked);
});

test('a statement word after a semicolon without what the statement needs is prose', () => {
  assert.equal(classifyValue('Base; set of four'), R.none);
  assert.equal(classifyValue('We are open; call when you arrive'), R.none);
});

// Comment truncation
test('a comment right after a closed quote truncates the query', () => {
  assert.equal(classifyValue("admin'--"), R.comment);
});

test('a # comment after a closed quote truncates the query (MySQL reading)', () => {
  assert.equal(classifyValue("bob' #"), R.comment);
});

test('a comment right after a number truncates the query', () => {
  assert.equal(classifyValue('77 --'), R.comment);
  assert.equal(classifyValue('77/*'), R.comment);
});

test('a comment that mentions sp_password is a truncation (it hides the statement from the audit log)', () => {
  assert.equal(classifyValue("x'-- sp_password"), R.comment);
});

test('a comment holding words after prose with a quote is not a truncation', () => {
  assert.equal(classifyValue("foo bar'# more words"), R.none);
});

test('a comment after an identifier-like token is not a truncation', () => {
  assert.equal(classifyValue('1611-IxQ2bb--'), R.none);
  assert.equal(classifyValue('zz7Wkrs4j--'), R.none);
});

// Time-based
test('SLEEP(n) after a logic operator is a time-based hit', () => {
  assert.equal(classifyValue('1 and sleep(5)'), R.time);
});

test('BENCHMARK and PG_SLEEP are time-based hits', () => {
  assert.equal(classifyValue("'||pg_sleep(4)--"), R.time);
  assert.equal(classifyValue('1 or benchmark(9000000,md5(1))#'), R.time);
});

test('WAITFOR DELAY with a string is a time-based hit', () => {
  assert.equal(classifyValue("1'; waitfor delay '0:0:6'--"), R.time);
});

test('a time delay past the fingerprint window is still found', () => {
  assert.equal(classifyValue("a'),(NULL),(NULL),(NULL),(NULL) waitfor delay '0:0:7'--"), R.time);
});

test('a sleep call in code or prose is not a time-based hit', () => {
  assert.equal(classifyValue('await sleep(10)'), R.none);
  assert.equal(classifyValue('Sleep (8 hours)'), R.none);
});

// Evasion
test('a MySQL conditional comment is an evasive-comment hit', () => {
  assert.equal(classifyValue('1 /*!50000union*/ select 1'), R.evasion);
});

// Benign shapes
test('a name with an apostrophe is benign', () => {
  assert.equal(classifyValue("O'Brien"), R.none);
  assert.equal(classifyValue("d'Artagnan and the musketeers"), R.none);
});

test('prose with AND/OR and quotes is benign', () => {
  assert.equal(classifyValue('rock and roll'), R.none);
  assert.equal(classifyValue("It's 5 o'clock and we're late"), R.none);
  assert.equal(classifyValue('"Wood" and "Sign" or "Paint"'), R.none);
});

test('number ranges, dates and e-mail-like values are benign', () => {
  assert.equal(classifyValue('1-2'), R.none);
  assert.equal(classifyValue('2024-01-31'), R.none);
  assert.equal(classifyValue('jane.doe+news@example.com'), R.none);
});

test('a number AND a fraction is not a tautology (the fold is arithmetic)', () => {
  assert.equal(classifyValue('1 AND 1/2 INCH'), R.none);
});

test('a lone SQL word or a query-like sentence is benign', () => {
  assert.equal(classifyValue('select'), R.none);
  assert.equal(classifyValue('Select your size'), R.none);
  assert.equal(classifyValue('select x from y where'), R.none);
});

test('a lone comment sequence is benign at the fingerprint level', () => {
  assert.equal(classifyValue('--'), R.none);
});
