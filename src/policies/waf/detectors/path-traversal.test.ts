import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize } from '../normalize.js';
import { pathTraversal } from './path-traversal.js';
import { attackSplit, BENIGN, blockRate, falsePositives } from './test-helpers/corpus.js';

function rule(value: string, paranoia: 1 | 2 | 3 | 4 = 1): string | undefined {
  const hit = pathTraversal.detect(normalize(value), paranoia, 'query');
  return hit === undefined ? undefined : `${hit.rule}:${hit.score}`;
}

test('../ and ..\\ climbs are critical', () => {
  assert.equal(rule('../../x'), 'path-traversal.dot-dot:5');
  assert.equal(rule('a\\..\\..\\b'), 'path-traversal.dot-dot:5');
});

test('a climb inside a path is critical even once', () => {
  assert.equal(rule('files/../secret'), 'path-traversal.dot-dot:5');
});

test('double-encoded and overlong climbs are critical after normalisation', () => {
  assert.equal(rule('%252e%252e%252f'), 'path-traversal.dot-dot:5');
  assert.equal(rule('..%c0%af..%c0%afx'), 'path-traversal.dot-dot:5');
});

test('..;/ and ....// and mixed separators climb', () => {
  assert.equal(rule('/..;/admin'), 'path-traversal.dot-dot:5');
  assert.equal(rule('....//....//x'), 'path-traversal.dot-dot:5');
  assert.equal(rule('./\\/./x'), 'path-traversal.dot-dot:5');
});

test('dots and separators spelled as 0x hex climb', () => {
  assert.equal(rule('0x2e0x2e0x2fx'), 'path-traversal.dot-dot:5');
});

test('a base64 value hiding a climb is critical', () => {
  assert.equal(rule(Buffer.from('../../x/y').toString('base64')), 'path-traversal.base64-path:5');
});

test('sensitive Unix files are critical', () => {
  assert.equal(rule('/etc/shadow'), 'path-traversal.sensitive-file:5');
  assert.equal(rule('/proc/self/environ'), 'path-traversal.sensitive-file:5');
  assert.equal(rule('/home/u/.ssh/id_rsa'), 'path-traversal.sensitive-file:5');
});

test('a sensitive file survives a NUL-byte extension trick', () => {
  assert.equal(rule('/etc/passwd%00.png'), 'path-traversal.sensitive-file:5');
});

test('sensitive Windows files and app secrets are critical', () => {
  assert.equal(rule('c:\\windows\\win.ini'), 'path-traversal.sensitive-file:5');
  assert.equal(rule('WEB-INF/web.xml'), 'path-traversal.sensitive-file:5');
  assert.equal(rule('.git/config'), 'path-traversal.sensitive-file:5');
  assert.equal(rule('.env'), 'path-traversal.sensitive-file:5');
});

test('LFI stream wrappers are critical', () => {
  assert.equal(rule('php://filter/convert.base64-encode/resource=index'), 'path-traversal.lfi-wrapper:5');
  assert.equal(rule('file:///x'), 'path-traversal.lfi-wrapper:5');
  assert.equal(rule('expect://ls'), 'path-traversal.lfi-wrapper:5');
});

test('a single relative link in prose is only a level-2 warning', () => {
  assert.equal(rule('see ../intro.md'), undefined);
  assert.equal(rule('see ../intro.md', 2), 'path-traversal.dot-dot:3');
});

test('a drive path to a user file is only a level-2 signal', () => {
  assert.equal(rule('C:\\Users\\bob\\a.docx'), undefined);
  assert.equal(rule('C:\\Users\\bob\\a.docx', 2), 'path-traversal.absolute-path:3');
});

test('a bare server-side file name is only a level-2 signal', () => {
  assert.equal(rule('config.php'), undefined);
  assert.equal(rule('config.php', 2), 'path-traversal.server-file:3');
});

test('an https URL and an ellipsis pass', () => {
  assert.equal(rule('https://example.com/a/b.html?x=1'), undefined);
  assert.equal(rule('and then/...'), undefined);
});

test('no benign value is blocked at level 1', () => {
  assert.deepEqual(BENIGN.filter((v) => rule(v) !== undefined && rule(v)?.endsWith(':5')), []);
});

test('at most 1% of libinjection false positives are blocked', () => {
  assert.ok(blockRate(pathTraversal, falsePositives(), 'query') <= 0.01);
});

for (const [name, query, json] of [['path-traversal', 0.917, 0.825], ['lfi', 0.874, 0.849]] as const) {
  const split = attackSplit(name);
  for (const [half, lines] of [['tuning', split.tuning], ['held-out', split.heldOut]] as const) {
    test(`attacks/${name} ${half}: beats CRS in query and JSON`, (t) => {
      const q = blockRate(pathTraversal, lines, 'query');
      const j = blockRate(pathTraversal, lines, 'json-value');
      t.diagnostic(`query ${q.toFixed(3)} json ${j.toFixed(3)} (CRS ${query} / ${json}, ${lines.length} lines)`);
      assert.ok(q > query && j > json);
    });
  }
}

test('a 64 KiB value of separators and dots is scanned in linear time', () => {
  const start = process.hrtime.bigint();
  pathTraversal.detect('./'.repeat(32_768), 1, 'query');
  pathTraversal.detect('a'.repeat(65_536), 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});

test('blanks before many relative climbs stay linear', () => {
  const start = process.hrtime.bigint();
  pathTraversal.detect(`${' '.repeat(30_000)}x${' ../'.repeat(8_000)}`, 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});
