/**
 * The WAF's SQL-injection detector, built the way libinjection works rather than as a list of
 * regular expressions: the value is tokenized as SQL, the tokens are folded into a short
 * fingerprint, and the fingerprint's shape decides (see sqli-rules.ts). Each value is read three
 * times, as if it started outside any quote, after a `'`, and after a `"`, because the attacker's
 * input lands inside a string literal as often as not; a reading that met `#` or `--x` is redone
 * the MySQL way.
 */
import { SEVERITY_SCORE } from '../detector.js';
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';
import { QUOTE_DOUBLE, QUOTE_NONE, QUOTE_SINGLE } from './sqli-tokens.js';
import { Tokenizer } from './sqli-tokenizer.js';
import { Folder } from './sqli-fold.js';
import { R, Rules } from './sqli-rules.js';
import { RestScanner } from './sqli-scan.js';
import { hasPrimitive, mightBeSql } from './sqli-prefilter.js';
import { weakSignal } from './sqli-weak.js';

/**
 * Values longer than this are examined on their first MAX_LENGTH characters: the fingerprint is
 * taken at the start anyway, and the cap bounds the scan past it.
 */
export const MAX_LENGTH = 8192;

const HITS: readonly DetectorHit[] = [
  { rule: 'sqli.fingerprint', score: 0 },
  { rule: 'sqli.fingerprint', score: SEVERITY_SCORE.critical },
  { rule: 'sqli.union-select', score: SEVERITY_SCORE.critical },
  { rule: 'sqli.stacked-query', score: SEVERITY_SCORE.critical },
  { rule: 'sqli.comment-truncation', score: SEVERITY_SCORE.critical },
  { rule: 'sqli.time-based', score: SEVERITY_SCORE.critical },
  { rule: 'sqli.evasive-comment', score: SEVERITY_SCORE.critical },
];

const tokenizer = new Tokenizer();
const folder = new Folder();
const rules = new Rules();
const scanner = new RestScanner();

// Whether the value has a word the scan past the window looks for: 0 unknown, 1 no, 2 yes.
let primitive = 0;

/** Reads s in one quote context and one reading: the fingerprint, then the rest of the tokens. */
function readOnce(s: string, quote: number, mysql: boolean): number {
  tokenizer.reset(s, quote, mysql);
  const n = folder.fold(tokenizer);
  const r = rules.classify(folder.tokens, n, s, quote, folder.more, folder.comments);
  if (r !== R.none || !folder.more) return r;
  if (primitive === 0) primitive = hasPrimitive(s) ? 2 : 1;
  return primitive === 2 ? scanner.run(tokenizer, folder.tokens, Math.max(0, n - 2), folder.count) : R.none;
}

/** Reads s in one quote context (ANSI, then MySQL when the ANSI reading met `#` or `--x`). */
function readIn(s: string, quote: number): number {
  const r = readOnce(s, quote, false);
  if (r === R.none && (tokenizer.hashes > 0 || tokenizer.dashDash > 0)) return readOnce(s, quote, true);
  return r;
}

/**
 * The rule class the fingerprint of a value falls in ({@link R}), 0 for none. Exported for tests.
 *
 * @example
 * ```ts
 * classifyValue("1' OR '1'='1") === R.fingerprint; // true
 * ```
 */
export function classifyValue(value: string): number {
  const s = value.length > MAX_LENGTH ? value.slice(0, MAX_LENGTH) : value;
  primitive = 0;
  if (s.length === 0) return R.none;
  let r = readIn(s, QUOTE_NONE);
  if (r === R.none && s.indexOf("'") !== -1) r = readIn(s, QUOTE_SINGLE);
  if (r === R.none && s.indexOf('"') !== -1) r = readIn(s, QUOTE_DOUBLE);
  return r;
}

/**
 * The SQL-injection detector (rule class `sqli`). Paranoia 1 reports clear injection shapes
 * (critical, 5 points); 2 and up add weaker signals with fewer points.
 *
 * @example
 * ```ts
 * sqli.detect("1' OR '1'='1", 1, 'query'); // { rule: 'sqli.fingerprint', score: 5 }
 * sqli.detect("O'Brien", 1, 'query');      // undefined
 * ```
 */
export const sqli: Detector = {
  ruleClass: 'sqli',
  detect(value: string, paranoia: ParanoiaLevel, _location: InputLocation): DetectorHit | undefined {
    const s = value.length > MAX_LENGTH ? value.slice(0, MAX_LENGTH) : value;
    if (s.length === 0 || !mightBeSql(s)) return undefined;
    const r = classifyValue(s);
    if (r !== R.none) return HITS[r];
    return paranoia > 1 ? weakSignal(s, paranoia) : undefined;
  },
};
