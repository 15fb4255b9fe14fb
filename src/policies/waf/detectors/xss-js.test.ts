import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsFinding, scanJs } from './xss-js.js';

test('a sink function called is a call', () => {
  for (const v of ['alert(1)', 'x;prompt(document.domain)', 'eval(atob(y))', 'setTimeout("x")']) {
    assert.equal(scanJs(v), JsFinding.call, v);
  }
});

test('a sink used as a template tag is a call', () => {
  assert.equal(scanJs('alert`1`'), JsFinding.call);
});

test('an optional call of a sink is a call', () => {
  assert.equal(scanJs('alert?.(1)'), JsFinding.call);
});

test('a sink as a member is a call', () => {
  assert.equal(scanJs('window.alert(1)'), JsFinding.call);
});

test('a parenthesised sink callee is a call', () => {
  for (const v of ['(alert)(1)', '(0,confirm)(1)']) assert.equal(scanJs(v), JsFinding.call, v);
});

test('a computed callee that spells a sink is a call', () => {
  for (const v of ["top['al'+'ert'](1)", 'self["alert"](1)']) assert.equal(scanJs(v), JsFinding.call, v);
});

test('a computed callee built by code is a call', () => {
  for (const v of ['top[/al/.source+/ert/.source](1)', "window[atob('YWxlcnQ=')](1)"]) assert.equal(scanJs(v), JsFinding.call, v);
});

test('a Markdown link or image is not a computed call', () => {
  assert.equal(scanJs('[![Build](https://ci.example/badge.svg?x=(1))](https://ci.example/run?a=b)'), JsFinding.none);
});

test('an ordinary computed call is not', () => {
  assert.equal(scanJs('handlers["click"](event)'), JsFinding.none);
});

test('a sink passed or assigned as a value, in a value that calls, is a call', () => {
  for (const v of ['[1].find(alert)', 'a=alert,a(1)']) assert.equal(scanJs(v), JsFinding.call, v);
});

test('a sink name in parentheses in prose is not', () => {
  assert.equal(scanJs('Sound (alert) level'), JsFinding.none);
});

test('a space before the parenthesis needs a code argument', () => {
  assert.equal(scanJs('alert (1)'), JsFinding.call);
  assert.equal(scanJs('Please confirm (yes/no)'), JsFinding.none);
});

test('a sink name closing a Markdown code span is not a tagged template', () => {
  assert.equal(scanJs('Avoid `alert` and `eval` in production'), JsFinding.none);
});

test('timers, Function and constructor count only with code in a string', () => {
  assert.equal(scanJs('setTimeout(work, 1000); constructor(opts) {'), JsFinding.none);
  assert.equal(scanJs("setTimeout('go()', 1)"), JsFinding.call);
  assert.equal(scanJs('x.constructor`go()`'), JsFinding.call);
});

test('sink names are case-sensitive, as JavaScript is', () => {
  assert.equal(scanJs('ALERT(S) ARE ON'), JsFinding.none);
});

test('a longer identifier containing a sink name is not a sink', () => {
  assert.equal(scanJs('myalert(1) + evaluate(x)'), JsFinding.none);
});

test('a string breakout followed by a call and a comment is a breakout', () => {
  for (const v of ['";foo(1)//', "';document.body.append(x)//", '\\";bar(2);//']) {
    assert.equal(scanJs(v), JsFinding.breakout, v);
  }
});

test('an operator breakout closed by the original quote is a breakout', () => {
  for (const v of ["'-foo(1)-'", '"+foo(1)+"']) assert.equal(scanJs(v), JsFinding.breakout, v);
});

test('code concatenating its own strings is not a breakout', () => {
  assert.equal(scanJs("res.write('<p>Hi, <b>' + escapeHtml(name) + '</b>!</p>');"), JsFinding.none);
});

test('prose with a quote, a semicolon and a parenthesis is not a breakout', () => {
  for (const v of ['He said "stop"; then left (quickly).', "It's Tom's; isn't it (really)?", 'XSERVING"; ";PLATTER";']) {
    assert.equal(scanJs(v), JsFinding.none, v);
  }
});

test('a call after a quote without an operator is not a breakout', () => {
  assert.equal(scanJs('{"fn":"max(1,2)"}'), JsFinding.none);
});

test('a call in ${} that closes the template literal around it is a breakout', () => {
  assert.equal(scanJs('${fetch(x)}`;'), JsFinding.breakout);
});

test('a call in ${} inside a template literal the value opens is weak (it is code)', () => {
  assert.equal(scanJs('return `(${fill(a, b)})`;'), JsFinding.weak);
});

test('a call in ${} without a backtick is weak', () => {
  assert.equal(scanJs('Hello ${user.getName()}'), JsFinding.weak);
});

test('a template placeholder without a call is nothing', () => {
  assert.equal(scanJs('Hello ${name}, total ${price}'), JsFinding.none);
});

test('a session-bearing object used as code is a sink', () => {
  for (const v of ["'+document.cookie+'", 'location.href=x', 'x.innerHTML=y', 'new Image().src=1+document.domain']) {
    assert.equal(scanJs(v), JsFinding.sink, v);
  }
});

test('a session-bearing object named in prose is weak', () => {
  assert.equal(scanJs('Read document.cookie, it holds the session.'), JsFinding.weak);
});

test('ordinary code and text are nothing', () => {
  for (const v of ['console.log(value)', 'f(x) = x^2 + 1', '=SUM(A1:A3)', 'Mozilla/5.0 (X11; Linux x86_64)', '(555) 123-4567']) {
    assert.equal(scanJs(v), JsFinding.none, v);
  }
});

test('scanJs is linear on a million parentheses and quotes', () => {
  const started = process.hrtime.bigint();
  scanJs("'+a(".repeat(250_000));
  scanJs(')('.repeat(500_000));
  scanJs(']('.repeat(500_000));
  scanJs('${a('.repeat(250_000));
  scanJs('document.'.repeat(100_000));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 3000, `took ${ms} ms`);
});
