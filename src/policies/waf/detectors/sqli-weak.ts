/**
 * Weaker SQL-injection signals for paranoia levels 2 to 4: shapes that are common in attack
 * fragments but also turn up in ordinary text, so they add fewer anomaly points and only where
 * the operator accepted more false positives. Level 2: a quote closed and followed by AND/OR
 * (`x' or`), an empty trailing SQL comment or a `/*` comment; level 3: a statement keyword
 * (SELECT, UNION …) with another clause keyword (FROM, WHERE, ORDER BY …); level 4: any call of a
 * known SQL function.
 */
import { SEVERITY_SCORE } from '../detector.js';
import type { DetectorHit, ParanoiaLevel } from '../detector.js';
import { QUOTE_DOUBLE, QUOTE_SINGLE, T, Token } from './sqli-tokens.js';
import { Tokenizer, isWhite } from './sqli-tokenizer.js';
import { kw } from './sqli-keywords.js';

/** Tokens looked at per value: the signals are about the start of a payload. */
const MAX_SCAN = 64;

const QUOTE_LOGIC: DetectorHit = { rule: 'sqli.quote-logic', score: SEVERITY_SCORE.warning };
const COMMENT: DetectorHit = { rule: 'sqli.comment', score: SEVERITY_SCORE.notice };
const KEYWORDS: DetectorHit = { rule: 'sqli.keyword-density', score: SEVERITY_SCORE.notice };
const CALL: DetectorHit = { rule: 'sqli.function-call', score: SEVERITY_SCORE.notice };

const CLAUSES = new Set(['FROM', 'WHERE', 'INTO', 'VALUES'].map(kw));

const tokenizer = new Tokenizer();
const a = new Token();
const b = new Token();

/**
 * The strongest weak signal in a value at a paranoia level (2 … 4), or undefined. Called only
 * for values the fingerprint rules did not flag.
 *
 * @example
 * ```ts
 * weakSignal("x' or", 2); // { rule: 'sqli.quote-logic', score: 3 }
 * weakSignal("x' or", 1); // undefined
 * ```
 */
export function weakSignal(s: string, paranoia: ParanoiaLevel): DetectorHit | undefined {
  if (paranoia < 2) return undefined;
  if (quoteLogic(s, "'", QUOTE_SINGLE) || quoteLogic(s, '"', QUOTE_DOUBLE)) return QUOTE_LOGIC;
  tokenizer.reset(s, 0, true);
  let heads = 0, clauses = 0, calls = 0, comment = false, last: number = T.none;
  for (let i = 0; i < MAX_SCAN && tokenizer.next(a); i++) {
    const ty = a.type;
    if (ty === T.comment) comment ||= emptyOrBlock(s, a, last);
    else if (ty === T.expression || ty === T.union || ty === T.tsql) { heads++; clauses++; }
    else if (ty === T.group || CLAUSES.has(a.kw)) clauses++;
    else if (ty === T.lparen && last === T.function) calls++;
    if (ty !== T.comment) last = ty;
  }
  if (comment) return COMMENT;
  if (paranoia >= 3 && heads > 0 && clauses >= 2) return KEYWORDS;
  if (paranoia >= 4 && calls > 0) return CALL;
  return undefined;
}

/** The value closes a quote it did not open, then AND/OR/&&/||. */
function quoteLogic(s: string, char: string, quote: number): boolean {
  if (s.indexOf(char) === -1) return false;
  tokenizer.reset(s, quote, false);
  return tokenizer.next(a) && a.close !== 0 && tokenizer.next(b) && b.type === T.logic;
}

/** A `/*` comment, or a line comment with nothing in it after something other than a word. */
function emptyOrBlock(s: string, c: Token, before: number): boolean {
  if (s.charCodeAt(c.pos) === 0x2f) return true;
  if (before === T.none || before === T.bareword) return false;
  for (let i = c.pos + (s.charCodeAt(c.pos) === 0x23 ? 1 : 2); i < c.pos + c.len; i++) {
    if (!isWhite(s.charCodeAt(i))) return false;
  }
  return true;
}
