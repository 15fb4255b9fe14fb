/**
 * NoSQL (MongoDB) injection (class `nosqli`).
 *
 * - `nosqli.operator-key` (level 1): a JSON key that is a query operator (`$where`, `$ne`,
 *   `$regex`, …); any other `$` key from level 3.
 * - `nosqli.operator` (level 1): an operator in a value or query name as a key (`{$gt: ''}`,
 *   `"$ne":`) or in brackets (`user[$ne]=`, how qs-style parsers build objects).
 * - `nosqli.js-injection` (level 1): `$where`-style JavaScript: a closed string or number
 *   followed by `;return`, `;sleep(`…, `&& this.field`, `db.coll.insert(`.
 * - `nosqli.tautology` (level 1): `|| 1==1`-style comparisons after a logical operator.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';

const OPERATOR_KEY: DetectorHit = Object.freeze({ rule: 'nosqli.operator-key', score: 5 });
const DOLLAR_KEY: DetectorHit = Object.freeze({ rule: 'nosqli.operator-key', score: 2 });
const OPERATOR: DetectorHit = Object.freeze({ rule: 'nosqli.operator', score: 5 });
const JS: DetectorHit = Object.freeze({ rule: 'nosqli.js-injection', score: 5 });
const TAUTOLOGY: DetectorHit = Object.freeze({ rule: 'nosqli.tautology', score: 5 });
const THIS_WEAK: DetectorHit = Object.freeze({ rule: 'nosqli.js-injection', score: 2 });

/** MongoDB query, update and aggregation operators an attacker can use to widen a query or run code. */
const OPERATORS: ReadonlySet<string> = new Set(
  ('where ne eq gt gte lt lte in nin regex exists expr function accumulator lookup or and nor not elemmatch all size type ' +
    'mod text search jsonschema comment options where graphlookup unionwith merge out set unset push pull rename inc ' +
    'currentop listlocalsessions geowithin near nearsphere slice meta elemmatch').split(' '),
);

/** JavaScript that follows a broken-out string in a `$where` clause. */
const JS_WORDS: ReadonlySet<string> = new Set(['return', 'sleep', 'var', 'let', 'const', 'while', 'do', 'for', 'function', 'throw', 'if', 'it', 'emit', 'db', 'this']);

/** Collection methods after `db.<name>.`. */
const DB_METHODS: ReadonlySet<string> = new Set(['insert', 'insertone', 'insertmany', 'find', 'findone', 'update', 'updateone', 'updatemany', 'remove', 'deleteone', 'deletemany', 'drop', 'mapreduce', 'aggregate', 'count', 'save', 'getcollection', 'stores']);

function isIdent(c: number): boolean {
  const l = c | 0x20;
  return (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 95;
}

/** The lower-cased identifier at i (at most 24 characters) and its end. */
function identAt(s: string, i: number): [string, number] {
  let j = i;
  while (j < s.length && j - i < 24 && isIdent(s.charCodeAt(j))) j++;
  return [s.slice(i, j).toLowerCase(), j];
}

/** Index after at most 64 blanks from i (bounded, so each look stays constant work). */
function skipSpaces(s: string, i: number): number {
  let j = i;
  while ((s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) && j < i + 64) j++;
  return j;
}

/** `$op` at i (s[i] is `$`) used as a key (`$op:`, `"$op":`) or in brackets (`[$op]`). */
function operatorAt(s: string, i: number): boolean {
  const before = i > 0 ? s.charCodeAt(i - 1) : 32;
  const keyStart = before === 123 || before === 44 || before === 91 || before === 34 || before === 39 || before === 32;
  if (!keyStart) return false;
  const [name, end] = identAt(s, i + 1);
  if (!OPERATORS.has(name)) return false;
  let j = end;
  if (s.charCodeAt(j) === 34 || s.charCodeAt(j) === 39) j++;
  j = skipSpaces(s, j);
  const next = s.charCodeAt(j);
  return next === 58 || (before === 91 && next === 93);
}

/** `;` at i closing a string or number and starting JavaScript (`';return true`, `0;sleep(5)`). */
function jsAfterSemicolon(s: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && k > i - 64 && s.charCodeAt(k) === 32) k--;
  const p = k >= 0 ? s.charCodeAt(k) : -1;
  if (p !== 39 && p !== 34 && p !== 41 && !(p >= 48 && p <= 57)) return false;
  const [word] = identAt(s, skipSpaces(s, i + 1));
  return JS_WORDS.has(word);
}

/** `db.<collection>.<method>(` starting at i. */
function dbCallAt(s: string, i: number): boolean {
  if ((s.charCodeAt(i + 1) | 0x20) !== 98 || s.charCodeAt(i + 2) !== 46) return false;
  if (i > 0 && isIdent(s.charCodeAt(i - 1))) return false;
  const [, end] = identAt(s, i + 3);
  if (s.charCodeAt(end) !== 46) return false;
  const [method, mend] = identAt(s, end + 1);
  return DB_METHODS.has(method) && s.charCodeAt(mend) === 40;
}

/** An operand then `==` / `!=` after the logical operator ending at i (`|| 1==1`, `&& 'a'=='a'`). */
function comparisonAfter(s: string, i: number): boolean {
  let j = skipSpaces(s, i);
  const c = s.charCodeAt(j);
  if (c === 39 || c === 34) {
    const close = s.indexOf(String.fromCharCode(c), j + 1);
    if (close < 0 || close - j > 32) return false;
    j = close + 1;
  } else {
    const [word, end] = identAt(s, j);
    if (word === '') return false;
    j = end;
  }
  j = skipSpaces(s, j);
  return (s.charCodeAt(j) === 61 || s.charCodeAt(j) === 33) && s.charCodeAt(j + 1) === 61;
}

function scan(s: string, paranoia: ParanoiaLevel): DetectorHit | undefined {
  let weak: DetectorHit | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 36) {
      if (operatorAt(s, i)) return OPERATOR;
    } else if (c === 59) {
      if (jsAfterSemicolon(s, i)) return JS;
    } else if (c === 100 || c === 68) {
      if (dbCallAt(s, i)) return JS;
    } else if ((c === 38 || c === 124) && s.charCodeAt(i + 1) === c) {
      const j = skipSpaces(s, i + 2);
      if ((s.charCodeAt(j) | 0x20) === 116 && s.charCodeAt(j + 4) === 46 && s.slice(j, j + 5).toLowerCase() === 'this.' && isIdent(s.charCodeAt(j + 5))) return JS;
      if (comparisonAfter(s, i + 2)) return TAUTOLOGY;
    } else if ((c === 116 || c === 84) && paranoia >= 3 && s.charCodeAt(i + 4) === 46 && s.slice(i, i + 5).toLowerCase() === 'this.' && isIdent(s.charCodeAt(i + 5))) {
      weak = THIS_WEAK;
    }
  }
  return weak;
}

/** True when the value has a character some rule needs (`$`, `;`, `&&`, `||`, `db.`, `this.`). */
function mayMatch(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 36 || c === 59 || c === 38 || c === 124) return true;
    if (c === 46 && i >= 2) {
      const p = s.charCodeAt(i - 1) | 0x20;
      if (p === 98 || p === 115) return true;
    }
  }
  return false;
}

/**
 * The NoSQL-injection detector.
 *
 * @example
 * ```ts
 * nosqli.detect('$where', 1, 'json-key');      // { rule: 'nosqli.operator-key', score: 5 }
 * nosqli.detect('user[$ne]', 1, 'query-name'); // { rule: 'nosqli.operator', score: 5 }
 * nosqli.detect('$5 off', 1, 'query');         // undefined
 * ```
 */
export const nosqli: Detector = {
  ruleClass: 'nosqli',
  detect(value: string, paranoia: ParanoiaLevel, location: InputLocation): DetectorHit | undefined {
    if (location === 'json-key' && value.charCodeAt(0) === 36) {
      const [name, end] = identAt(value, 1);
      if (OPERATORS.has(name) && end === value.length) return OPERATOR_KEY;
      if (paranoia >= 3) return DOLLAR_KEY;
    }
    return mayMatch(value) ? scan(value, paranoia) : undefined;
  },
};
