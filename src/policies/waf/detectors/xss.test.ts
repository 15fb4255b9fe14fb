import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEVERITY_SCORE } from '../detector.js';
import type { ParanoiaLevel } from '../detector.js';
import { xss } from './xss.js';

/** The rule that fires at a paranoia level, or undefined. */
function rule(value: string, paranoia: ParanoiaLevel = 1): string | undefined {
  return xss.detect(value, paranoia, 'json-value')?.rule;
}

test('the detector is of class xss', () => {
  assert.equal(xss.ruleClass, 'xss');
});

test('a value without any trigger character passes', () => {
  assert.equal(xss.detect('performance review 2024', 4, 'query'), undefined);
});

test('a script tag is xss.script-tag, critical', () => {
  assert.deepEqual(xss.detect('<script>x</script>', 1, 'query'), { rule: 'xss.script-tag', score: SEVERITY_SCORE.critical });
});

test('a script tag is found with odd case, a namespace prefix or a NUL in its name', () => {
  for (const v of ['<ScRiPt>', '<html:script>', '<scr\0ipt>']) assert.equal(rule(v), 'xss.script-tag', v);
});

test('a script tag revealed by stripping a nested one is found', () => {
  assert.equal(rule('<scr<script>ipt>x'), 'xss.script-tag');
});

test('a closing script tag followed by a new one is a script tag', () => {
  assert.equal(rule('</script><script>x'), 'xss.script-tag');
});

test('dangerous tags with attributes are xss.dangerous-tag', () => {
  for (const v of ['<iframe src=x>', '<object data=x>', '<embed src=x>', '<base href=//x>', '<meta http-equiv=refresh>', '<link rel=import>', '<svg/x=1>']) {
    assert.equal(rule(v), 'xss.dangerous-tag', v);
  }
});

test('a bare dangerous tag among other markup is xss.dangerous-tag', () => {
  assert.equal(rule('<math><mi>x</mi></math>'), 'xss.dangerous-tag');
});

test('a bare dangerous tag alone, a placeholder in prose, is only a paranoia-2 signal', () => {
  assert.equal(rule('Put it in the <link> element'), undefined);
  assert.equal(rule('Put it in the <link> element', 2), 'xss.bare-dangerous-tag');
});

test('a namespace-prefixed SVG element is a dangerous tag', () => {
  assert.equal(rule('<svg:mask id=a>'), 'xss.dangerous-tag');
});

test('any tag with an on* attribute is xss.event-handler', () => {
  for (const v of ['<img src=x onerror=f()>', '<x onclick=y>', '<details open ontoggle=go>', '<body/onload=x>']) {
    assert.equal(rule(v), 'xss.event-handler', v);
  }
});

test('an event handler without a value is only a paranoia-2 signal', () => {
  assert.equal(rule('<input autofocus onfocus>'), undefined);
  assert.equal(rule('<input autofocus onfocus>', 2), 'xss.event-handler-name');
});

test('an attribute injected after a double quote is seen', () => {
  assert.equal(rule('x" onmouseover="go()'), 'xss.event-handler');
});

test('an attribute injected after a single quote is seen', () => {
  assert.equal(rule("x' autofocus onfocus='go()"), 'xss.event-handler');
});

test('an attribute injected into an unquoted value is seen', () => {
  assert.equal(rule('x onmouseover=go()'), 'xss.event-handler');
});

test('markup after breaking out of a quoted attribute is seen', () => {
  assert.equal(rule('"><img src=x onerror=go()>'), 'xss.event-handler');
});

test('an unlisted on-word in an injected list is not an event handler', () => {
  assert.equal(rule('onion=3&online=yes x onFinished=require(y)'), undefined);
});

test('an unlisted on-word in a real tag is an event handler (events get added)', () => {
  assert.equal(rule('<x onfutureevent=go()>'), 'xss.event-handler');
});

test('URL attributes with script URLs are xss.javascript-url', () => {
  for (const v of ['<a href="javascript:go()">', '<img src=" jav&#x09;ascript:go()">', '<form><button formaction=JAVASCRIPT:x>', '<x xlink:href=vbscript:x>']) {
    assert.equal(rule(v), 'xss.javascript-url', v);
  }
});

test('a data: URL with an HTML type in a URL attribute is xss.javascript-url', () => {
  assert.equal(rule('<a href="data:text/html;base64,PHA+">'), 'xss.javascript-url');
});

test('an SVG data: URL is a script URL in href, not in an image source', () => {
  assert.equal(rule('<a href="data:image/svg+xml;base64,PHN2Zz4=">x</a>'), 'xss.javascript-url');
  assert.equal(rule('<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="logo">'), undefined);
});

test('ordinary links and images pass', () => {
  assert.equal(rule('<a href="https://example.com/?q=1&x=2" title="Go">Go</a> <img src="cat.png" alt="A cat">'), undefined);
});

test('a value that is itself a script URL is xss.javascript-url', () => {
  assert.equal(rule('javascript:go()'), 'xss.javascript-url');
});

test('javascript: as a word in prose is only a paranoia-2 signal', () => {
  assert.equal(rule('JavaScript: The Good Parts'), undefined);
  assert.equal(rule('JavaScript: The Good Parts', 2), 'xss.javascript-text');
});

test('style with expression() or a script URL is xss.style-script', () => {
  for (const v of ['<div style="width:expr/**/ession(go())">', '<p style="background:url(javascript:x)">', '<x style="\\65 xpression(x)">']) {
    assert.equal(rule(v), 'xss.style-script', v);
  }
});

test('style whose escapes decode to markup is xss.style-script', () => {
  assert.equal(rule('<p style="font-family:\'\\22\\3e\\3cimg src=x onerror=go()\\3e\'">'), 'xss.style-script');
});

test('style beyond plain declarations is xss.style-injection', () => {
  assert.equal(rule('<div style="background:url(//evil.example/x)">'), 'xss.style-injection');
});

test('plain inline style passes at paranoia 1 and is a signal at 2', () => {
  assert.equal(rule('<span style="color: red; font-weight: bold">x</span>'), undefined);
  assert.equal(rule('<span style="color: red; font-weight: bold">x</span>', 2), 'xss.style-attr');
});

test('srcdoc with markup that runs is xss.dangerous-attr', () => {
  assert.equal(rule('<p srcdoc="<img src=x onerror=go()>">'), 'xss.dangerous-attr');
});

test('a form with an action is xss.dangerous-attr', () => {
  assert.equal(rule('<form action=https://evil.example/>'), 'xss.dangerous-attr');
});

test('SVG animation of a link target is xss.dangerous-attr', () => {
  assert.equal(rule('<set attributeName="xlink:href" to="//x">'), 'xss.dangerous-attr');
});

test('a namespace declaration is xss.dangerous-attr', () => {
  assert.equal(rule('<html xmlns:x="urn:schemas-microsoft-com:time">'), 'xss.dangerous-attr');
});

test('an IE conditional comment is xss.hidden-markup', () => {
  assert.equal(rule('<!--[if IE]>x<![endif]-->'), 'xss.hidden-markup');
});

test('dangerous markup inside a comment is xss.hidden-markup', () => {
  assert.equal(rule('<!-- <img src=x onerror=go()> -->'), 'xss.hidden-markup');
});

test('a comment that hides a tag boundary reveals the markup after it', () => {
  assert.equal(rule('<!--<img src="--><img src=x onerror=go()//">'), 'xss.event-handler');
});

test('processing instructions and DTD declarations that import are xss.hidden-markup', () => {
  for (const v of ['<?import namespace=t implementation=x>', '<?xml-stylesheet href=x?>', '<!DOCTYPE x [<!ENTITY y "z">]>', '<!ENTITY y SYSTEM "z">']) {
    assert.equal(rule(v), 'xss.hidden-markup', v);
  }
});

test('UTF-7 encoded markup is xss.hidden-markup', () => {
  assert.equal(rule('+ADw-script+AD4-x'), 'xss.hidden-markup');
});

test('CDATA content is read as markup', () => {
  assert.equal(rule('<![CDATA[<iframe src=x>]]>'), 'xss.dangerous-tag');
});

test('a plain comment is only a paranoia-2 signal', () => {
  assert.equal(rule('<!-- wp:paragraph --><p>Hi</p><!-- /wp:paragraph -->'), undefined);
  assert.equal(rule('<!-- wp:paragraph --><p>Hi</p><!-- /wp:paragraph -->', 2), 'xss.html-comment');
});

test('a sink call is xss.js-call', () => {
  for (const v of ["';alert(1)//", 'x=prompt`1`', '{{constructor.constructor("x")()}}']) assert.equal(rule(v), 'xss.js-call', v);
});

test('a string breakout with a call is xss.js-breakout', () => {
  for (const v of ['";go(1)//', "'-go(1)-'"]) assert.equal(rule(v), 'xss.js-breakout', v);
});

test('code-shaped use of document.cookie is xss.js-sink', () => {
  assert.equal(rule("'+document.cookie+'"), 'xss.js-sink');
});

test('prose with a quote and a semicolon passes', () => {
  for (const v of ['He said "stop"; then left (quickly).', "Y'ALL COME BACK; NOW (PLEASE)", 'Please confirm (yes/no); thanks']) {
    assert.equal(rule(v), undefined, v);
  }
});

test('an unknown tag with attributes is a paranoia-2 signal only', () => {
  assert.equal(rule('<foo bar=1>'), undefined);
  assert.equal(rule('<foo bar=1>', 2), 'xss.unknown-tag');
});

test('a common tag with attributes is a paranoia-3 signal only', () => {
  assert.equal(rule('<b class=x>', 2), undefined);
  assert.equal(rule('<b class=x>', 3), 'xss.tag-attributes');
});

test('any tag is a paranoia-4 signal only', () => {
  assert.equal(rule('<b>x</b>', 3), undefined);
  assert.equal(rule('<b>x</b>', 4), 'xss.tag');
});

test('weaker signals score less than critical', () => {
  const hit = xss.detect('<foo bar=1>', 4, 'json-value');
  assert.ok(hit !== undefined && hit.score < SEVERITY_SCORE.critical);
});

test('the strongest hit wins at higher paranoia', () => {
  assert.equal(rule('<!-- x --><img src=x onerror=go()>', 4), 'xss.event-handler');
});

test('a hit never carries the payload', () => {
  const hit = xss.detect('<img src=x onerror=stealCookies()>', 1, 'query');
  assert.ok(hit !== undefined && !JSON.stringify(hit).includes('steal'));
});

test('the same hit object is returned each time (no allocation per detection)', () => {
  assert.equal(xss.detect('<script>', 1, 'query'), xss.detect('<SCRIPT>', 1, 'header'));
});

test('a hostile megabyte value is examined in linear time', () => {
  const values = ['<a b="'.repeat(170_000), '\'"`=<x'.repeat(170_000), '<!--<a style=\\'.repeat(80_000), 'javascript'.repeat(100_000)];
  const started = process.hrtime.bigint();
  for (const v of values) xss.detect(v, 4, 'json-value');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 4000, `took ${ms} ms`);
});
