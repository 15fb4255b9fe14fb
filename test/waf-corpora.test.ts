/**
 * The waf policy against the vendored corpora at paranoia level 1, scored as `npm run waf:score`
 * scores them (test/helpers/waf-score.ts): at least ModSecurity + CRS 3.3.4's block rate on the
 * main attack classes in a query and a JSON body, at least 95 % of libinjection's SQLi and XSS
 * samples, and no more false positives than CRS on libinjection's false_positives.txt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRS_BASELINE, loadCorpora, scoreCorpora, type CorpusScore, type Placement } from './helpers/waf-score.js';

const ATTACKS = ['attacks/sqli', 'attacks/xss', 'attacks/path-traversal', 'attacks/cmdi'];
const LIBINJECTION = ['libinjection sqli-*', 'libinjection xss-*'];
const BENIGN = 'libinjection false_positives';
const PLACED: readonly Placement[] = ['query', 'json'];

const wanted = new Set([...ATTACKS, ...LIBINJECTION, BENIGN]);
const scores = new Map<string, CorpusScore>(scoreCorpora({ paranoia: 1, placements: PLACED, corpora: loadCorpora().filter((c) => wanted.has(c.name)) }).map((s) => [s.corpus, s]));

function rate(corpus: string, placement: Placement): number {
  const score = scores.get(corpus);
  assert.ok(score !== undefined && score.lines > 0, `${corpus} has no lines`);
  return score.rates[placement];
}

for (const corpus of ATTACKS) {
  for (const placement of PLACED) {
    const crs = CRS_BASELINE[corpus]![placement]!;
    test(`${corpus} in a ${placement}: blocks at least CRS's ${crs}`, () => {
      assert.ok(rate(corpus, placement) >= crs, `${rate(corpus, placement).toFixed(3)} < ${crs}`);
    });
  }
}

for (const corpus of LIBINJECTION) {
  for (const placement of PLACED) {
    test(`${corpus} in a ${placement}: blocks at least 0.95`, () => {
      assert.ok(rate(corpus, placement) >= 0.95, `${rate(corpus, placement).toFixed(3)} < 0.95`);
    });
  }
}

for (const placement of PLACED) {
  test(`libinjection false positives in a ${placement}: blocks at most CRS's 0.095`, () => {
    assert.ok(rate(BENIGN, placement) <= 0.095, `${rate(BENIGN, placement).toFixed(3)} > 0.095`);
  });
}
