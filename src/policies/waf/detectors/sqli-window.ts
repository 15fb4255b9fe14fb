/**
 * The fingerprint window the SQL-injection rules read, and the questions every rule asks of it:
 * is there a condition here, a function call, a subquery, a CASE expression, a system variable,
 * a quote the attacker reopened, an empty comment? Shared state, set per classification; the
 * rules themselves are in sqli-statements.ts and sqli-rules.ts.
 */
import { FOLD_CMP, T } from './sqli-tokens.js';
import type { Token } from './sqli-tokens.js';
import { F, hasFlag, kw } from './sqli-keywords.js';
import { isComparison } from './sqli-fold.js';
import { isWhite } from './sqli-tokenizer.js';

/**
 * What a fingerprint was classified as (0: not an injection); indexes the detector's hit table.
 *
 * @example
 * ```ts
 * classifyValue('1 UNION SELECT 2') === R.union; // true
 * ```
 */
export const R = { none: 0, fingerprint: 1, union: 2, stacked: 3, comment: 4, time: 5, evasion: 6 } as const;

const SELECT = kw('SELECT');
/** Keyword ids of SELECT and its merged forms (SELECT TOP, SELECT ALL, SELECT DISTINCT). */
export const SELECTS = new Set([SELECT, kw('SELECT TOP'), kw('SELECT ALL'), kw('SELECT DISTINCT')]);
const CASE = kw('CASE'), WHEN = kw('WHEN'), THEN = kw('THEN');

/**
 * The window: the folded tokens of one reading of a value.
 *
 * @example
 * ```ts
 * class MyRules extends Window { hasCall(): boolean { return this.call(0); } }
 * ```
 */
export class Window {
  protected t: Token[] = [];
  protected n = 0;
  protected s = '';
  protected more = false;
  protected comments = 0;

  /**
   * Points the window at a fingerprint: n tokens of s; `more`: the value went on past them;
   * `comments`: how many comments folding dropped.
   */
  protected load(tokens: Token[], n: number, s: string, more: boolean, comments: number): void {
    this.t = tokens;
    this.n = n;
    this.s = s;
    this.more = more;
    this.comments = comments;
  }

  protected ty(i: number): number {
    return i < this.n ? (this.t[i] as Token).type : T.none;
  }

  protected tok(i: number): Token {
    return this.t[i] as Token;
  }

  protected kwAt(i: number): number {
    return i < this.n ? this.tok(i).kw : -1;
  }

  /** Whether position i is past the end of a window that was cut (what is there is unknown). */
  protected cut(i: number): boolean {
    return i >= this.n && this.more;
  }

  /** A condition starts at i: a folded comparison, `x = y`, a call, a subquery, a system variable. */
  protected condition(i: number): boolean {
    const ty = this.ty(i);
    if (isValue(ty)) {
      if ((this.tok(i).folds & FOLD_CMP) !== 0) return true;
      // ERROR(CONCAT(…)): an unknown name wrapping a known call
      if (ty === T.bareword && this.ty(i + 1) === T.lparen && this.call(i + 2)) return true;
      const op = this.tok(i + 1);
      if (this.ty(i + 1) === T.operator && isComparison(op, this.s)) {
        const b = this.ty(i + 2);
        if (b === T.bareword && op.kw !== -1) return false; // `'x' is omitted`: prose
        return isValue(b) || b === T.function || b === T.lparen || this.cut(i + 2);
      }
      return ty === T.variable && (this.isSystemVariable(i) || hasFlag(this.kwAt(i), F.niladic));
    }
    if (ty === T.function) return this.call(i);
    if (ty === T.lparen) return this.subquery(i) || this.condition(i + 1);
    return ty === T.expression && this.kwAt(i) === CASE && this.caseWhen(i + 1);
  }

  /**
   * `x' OR '1`, `A '=' B`: a last string the attacker opened and left for the application's own
   * closing quote (the quotes balance, the query stays valid), after a one-word first value and
   * before a one-word rest: `"a b" and "c` and `the 'x' is y` are prose. `spaced`: the first value
   * may end with white space (`A '=' B`); not before a word operator (`select 'and'`).
   */
  protected reopenedQuote(i: number, spaced: boolean): boolean {
    if (i !== this.n - 1 || this.ty(i) !== T.string || this.ty(0) !== T.string) return false;
    const first = this.tok(0), last = this.tok(i);
    if (first.open !== 0 || first.close === 0 || last.close !== 0 || last.open !== first.close) return false;
    if (hasWhite(this.s, first.pos, first.len, spaced) || hasWhite(this.s, last.pos, last.len)) return false;
    // `A '=' B` is spaced on both sides; `return '<>'` only before the quote
    const before = first.len > 0 && isWhite(this.s.charCodeAt(first.pos + first.len - 1));
    return !before || (last.len > 0 && isWhite(this.s.charCodeAt(last.pos)));
  }

  /** A function call whose first argument is not prose (`Tom (and Jerry)`). */
  protected call(i: number): boolean {
    if (this.ty(i) !== T.function) return false;
    return !(this.ty(i + 2) === T.bareword && this.ty(i + 3) === T.bareword);
  }

  /** `(SELECT …` or `(CASE WHEN … THEN`. */
  protected subquery(i: number): boolean {
    if (this.ty(i) !== T.lparen || this.ty(i + 1) !== T.expression) return false;
    const id = this.kwAt(i + 1);
    return SELECTS.has(id) || (id === CASE && this.caseWhen(i + 2));
  }

  protected isSystemVariable(i: number): boolean {
    const t = this.tok(i);
    return t.pos >= 2 && this.s.charCodeAt(t.pos - 1) === 0x40 && this.s.charCodeAt(t.pos - 2) === 0x40;
  }

  /** WHEN … THEN, in that order, from i on (after CASE); a cut window after WHEN counts. */
  protected caseWhen(from: number): boolean {
    let when = false;
    for (let i = from; i < this.n; i++) {
      const id = this.kwAt(i);
      if (id === WHEN) when = true;
      else if (id === THEN) return when;
    }
    return when && this.more;
  }

  /** A comment with nothing in it: `--`, `#`, `/*` or `/**\/` and white space. */
  protected emptyComment(c: Token): boolean {
    const s = this.s;
    const end = c.pos + c.len;
    for (let i = c.pos + 1; i < end; i++) {
      const ch = s.charCodeAt(i);
      if (!isWhite(ch) && ch !== 0x2a && ch !== 0x2f && ch !== 0x2d) return false;
    }
    return true;
  }

  /** Whether a token's text contains an upper-case ASCII word, case-insensitively. */
  protected mentions(t: Token, word: string): boolean {
    const s = this.s, end = t.pos + t.len - word.length;
    for (let i = t.pos; i <= end; i++) {
      let j = 0;
      while (j < word.length && (s.charCodeAt(i + j) & 0xdf) === word.charCodeAt(j)) j++;
      if (j === word.length) return true;
    }
    return false;
  }

  /** A comment of at most one short word (`-- -a`, `#1`), not a sentence. */
  protected shortComment(c: Token): boolean {
    const s = this.s, end = c.pos + c.len;
    let i = c.pos + (s.charCodeAt(c.pos) === 0x23 ? 1 : 2);
    while (i < end && isWhite(s.charCodeAt(i))) i++;
    const word = i;
    while (i < end && !isWhite(s.charCodeAt(i))) i++;
    if (i - word > 8) return false;
    while (i < end && isWhite(s.charCodeAt(i))) i++;
    return i >= end;
  }
}

/**
 * An operator a reopened quote may follow: comparisons, `|`, `^`, `+ - %`; not `*` and `/`
 * (wildcards, paths) nor a lone `&` (prose's "and": `small "&" sign`).
 *
 * @example
 * ```ts
 * isBalancingOperator('=', new Token().set(T.operator, 0, 1)); // true
 * isBalancingOperator('/', new Token().set(T.operator, 0, 1)); // false
 * ```
 */
export function isBalancingOperator(s: string, t: Token): boolean {
  const c = s.charCodeAt(t.pos);
  if (c === 0x26) return t.len > 1;
  return c === 0x3d || c === 0x3c || c === 0x3e || c === 0x21 || c === 0x7c || c === 0x5e || c === 0x2b || c === 0x2d || c === 0x25;
}

/**
 * A value an expression is built from: number, word, string, variable.
 *
 * @example
 * ```ts
 * isValue(T.number); // true
 * ```
 */
export function isValue(ty: number): boolean {
  return ty === T.number || ty === T.bareword || ty === T.string || ty === T.variable;
}

/**
 * Whether s[pos, pos+len) has white space, leading white space aside (and trailing white space
 * aside too when `trailing`).
 *
 * @example
 * ```ts
 * hasWhite(' O Brien', 0, 8); // true
 * hasWhite(' admin ', 0, 7);  // false
 * ```
 */
export function hasWhite(s: string, pos: number, len: number, trailing = true): boolean {
  let start = pos, end = pos + len;
  while (start < end && isWhite(s.charCodeAt(start))) start++;
  while (trailing && end > start && isWhite(s.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) if (isWhite(s.charCodeAt(i))) return true;
  return false;
}
