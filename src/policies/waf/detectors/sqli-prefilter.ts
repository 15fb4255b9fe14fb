/**
 * The pre-filter of the SQL-injection detector: one pass over the value that proves most benign
 * values cannot match, so the tokenizer never runs on them. Without SQL punctuation (quotes,
 * comment starters, operators, parentheses, `;`, `@` …) a value tokenizes into words, numbers,
 * dots and commas only, and every rule needs more than that unless a word is a SQL keyword; so
 * the filter passes a value on as soon as it sees such a character or such a word. Its test
 * checks, over every corpus line, that nothing the detector flags is filtered out.
 */
import { T } from './sqli-tokens.js';
import { F, hasFlag, keywordType, lookupWord } from './sqli-keywords.js';

// ASCII characters that are neither letters, digits, white space, `_`, `.` nor `,`.
const PUNCT = new Uint8Array(128);
for (const ch of '!"#$%&\'()*+-/:;<=>?@[\\]^`{|}~') PUNCT[ch.charCodeAt(0)] = 1;
for (let c = 0; c < 0x20; c++) PUNCT[c] = 0;

// Letters and `_` start a word; digits, `.` and `$` continue one (as the tokenizer reads them).
const WORD_START = new Uint8Array(128);
const WORD_PART = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  WORD_START[c] = letter ? 1 : 0;
  WORD_PART[c] = letter || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x24 ? 1 : 0;
}

/** Longest keyword-table word (`SYS.DBMS_PIPE.RECEIVE_MESSAGE`): longer words are never looked up. */
const MAX_WORD = 40;

/**
 * Whether a value might be SQL injection and has to be tokenized: false only when it has no SQL
 * punctuation and no word that the keyword table knows as more than a plain word (a keyword, a
 * name only attacks use, or the first word of a phrase such as ORDER BY).
 *
 * @example
 * ```ts
 * mightBeSql('Hello world'); // false
 * mightBeSql("O'Brien");     // true (a quote: the tokenizer decides)
 * mightBeSql('1 union select 2'); // true
 * ```
 */
export function mightBeSql(s: string): boolean {
  const n = s.length, punct = PUNCT;
  let word = -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && punct[c] === 1) return true;
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    if (word === -1) {
      if (letter) word = i;
    } else if (!(letter || (c >= 0x30 && c <= 0x39) || c === 0x2e)) {
      if (hasKeyword(s, word, i)) return true;
      word = -1;
    }
  }
  return word !== -1 && hasKeyword(s, word, n);
}

/** The word s[start, end) or one of its dot-separated parts (`information_schema.tables`) is a keyword. */
function hasKeyword(s: string, start: number, end: number): boolean {
  if (isKeyword(s, start, end)) return true;
  let from = start;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== 0x2e) continue;
    if (isKeyword(s, from, i)) return true;
    from = i + 1;
  }
  return from !== start && isKeyword(s, from, end);
}

/**
 * Whether a value has a word the scan past the fingerprint window looks for (a time function,
 * UNION, a statement head, a name only attacks use) or a `/*` comment: without one, that scan
 * cannot find anything and is skipped.
 *
 * @example
 * ```ts
 * hasPrimitive("x'), NULL) WAITFOR DELAY '0:0:5'"); // true
 * hasPrimitive("it's a lovely day, isn't it?");      // false
 * ```
 */
export function hasPrimitive(s: string): boolean {
  if (s.indexOf('/*') !== -1) return true;
  const n = s.length, start = WORD_START, part = WORD_PART; // locals: no module-binding checks in the loop
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || start[c] === 0) continue;
    let end = i + 1, dot = -1;
    for (; end < n; end++) {
      const d = s.charCodeAt(end);
      if (d >= 128 || part[d] === 0) break;
      if (d === 0x2e && dot === -1) dot = end;
    }
    if (end - i <= MAX_WORD && end - i > 2 && isPrimitive(lookupWord(s, i, end))) return true;
    i = dot === -1 ? end : dot; // UNION.SELECT: the tokenizer splits it, so do the parts
  }
  return false;
}

function isPrimitive(id: number): boolean {
  if (id === -1) return false;
  const type = keywordType(id);
  return type === T.expression || type === T.union || type === T.tsql || hasFlag(id, F.time | F.strong);
}

function isKeyword(s: string, start: number, end: number): boolean {
  if (end - start > MAX_WORD || end - start < 2) return false;
  const id = lookupWord(s, start, end);
  return id !== -1 && (keywordType(id) !== T.bareword || hasFlag(id, F.strong | F.lead));
}
