/**
 * `npm run waf:score [-- --paranoia N]`: the waf policy's block rates on the vendored corpora
 * (test/corpora), each line placed in a query, a JSON body and a header as test/corpora/BASELINE.md
 * describes, beside nginx + ModSecurity + OWASP CRS 3.3.4 at paranoia level 1 (the numbers of
 * BASELINE.md, copied into test/helpers/waf-score.ts) and the difference. In process: the policy's
 * onRequest is called directly, no sockets.
 *
 * For attack corpora the rate is detection (higher is better); for false_positives it is the
 * false-positive rate (lower is better). The last lines say which rates change when the fast
 * path (one plain word skips the detectors) is switched off: what it costs in detection.
 */
import { parseArgs } from 'node:util';
import { createWafPolicy, DETECTORS } from '../src/policies/waf/index.js';
import { formatScoreTable, loadCorpora, PLACEMENTS, scoreCorpora } from '../test/helpers/waf-score.js';

const { values } = parseArgs({ options: { paranoia: { type: 'string', default: '1' } } });
const paranoia = Number(values.paranoia);
if (![1, 2, 3, 4].includes(paranoia)) {
  process.stderr.write('--paranoia must be 1, 2, 3 or 4\n');
  process.exit(2);
}

const started = performance.now();
const cpu = process.cpuUsage();
const corpora = loadCorpora();
const rows = scoreCorpora({ paranoia, corpora });
const used = process.cpuUsage(cpu);
const requests = rows.reduce((n, r) => n + r.lines * PLACEMENTS.length, 0);

process.stdout.write(`waf block rates at paranoia level ${paranoia} (threshold 5), ours vs nginx + ModSecurity + CRS 3.3.4 PL1 (test/corpora/BASELINE.md)\n`);
process.stdout.write('attack corpora: detection, higher is better; false_positives: false-positive rate, lower is better\n\n');
process.stdout.write(`${formatScoreTable(rows)}\n\n`);

// What the fast path (one plain word skips the detectors) costs in detection: the same run with
// it switched off, and every rate that differs.
const slow = scoreCorpora({ paranoia, corpora, policy: createWafPolicy(DETECTORS, { fastPath: false }) });
const differences: string[] = [];
rows.forEach((row, i) => {
  for (const p of PLACEMENTS) {
    const without = slow[i]!.rates[p];
    if (without !== row.rates[p]) differences.push(`  ${row.corpus} (${p}): ${row.rates[p].toFixed(4)} with the fast path, ${without.toFixed(4)} without (${Math.round((without - row.rates[p]) * row.lines)} lines)`);
  }
});
process.stdout.write(differences.length === 0 ? 'fast path: no rate changes when it is switched off\n' : `fast path: rates that change when it is switched off\n${differences.join('\n')}\n`);
process.stdout.write(`${requests} requests in ${((performance.now() - started) / 1000).toFixed(1)} s (${((used.user + used.system) / requests).toFixed(1)} µs CPU per request)\n`);
