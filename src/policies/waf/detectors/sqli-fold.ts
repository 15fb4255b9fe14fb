/**
 * Folding: turns the token stream into at most {@link MAX_TOKENS} tokens, the fingerprint. Token
 * sequences that a SQL parser would read as one value or one operator collapse (`1+1` → number,
 * `'a' 'b'` → string, `a.b` → word, unary operators vanish), multi-word keywords merge (`UNION
 * ALL`, `ORDER BY`), words take the type their neighbours give them (a function name is a function
 * only before `(`, `IN` is an operator only before `(`), and comments are dropped except one at
 * the very end. Works as a stack: each new token is pushed, then the top is reduced while a rule
 * applies. Leading comments, `(`, type names and unary operators are skipped: an attacker may
 * start anywhere inside an expression.
 */
import { FOLD_ANY, FOLD_CMP, FOLD_LIST, FOLD_WORD, T, Token, isArithmetic, isOperand, isUnary } from './sqli-tokens.js';
import { hasFlag, keywordType, kw, mergePhrase, F } from './sqli-keywords.js';
import type { Tokenizer } from './sqli-tokenizer.js';

/** Tokens in a fingerprint (libinjection uses 5; two more settle many ambiguous shapes). */
export const MAX_TOKENS = 7;
/** Tokens read past the fingerprint so that folds straddling its end (`(1,1)`) still happen. */
const LOOKAHEAD = 2;

const NOT = kw('NOT');
const IN = kw('IN');
const NOT_IN = kw('NOT IN');
const LIKE = kw('LIKE');
const NOT_LIKE = kw('NOT LIKE');
const IF = kw('IF');
const USER = kw('USER');
const WORD_COMPARISONS = new Set(['LIKE', 'NOT LIKE', 'RLIKE', 'NOT RLIKE', 'ILIKE', 'NOT ILIKE', 'REGEXP', 'NOT REGEXP', 'IS',
  'IS NOT', 'BETWEEN', 'NOT BETWEEN', 'SOUNDS LIKE', 'GLOB', 'SIMILAR TO', 'IN', 'NOT IN'].map(kw));

/**
 * Whether an operator token compares (`=`, `<>`, `LIKE`, `IS` …) rather than computes.
 *
 * @example
 * ```ts
 * const t = new Token().set(T.operator, 0, 2);
 * isComparison(t, '<>'); // true
 * isComparison(t, '<<'); // false
 * ```
 */
export function isComparison(t: Token, s: string): boolean {
  if (t.type !== T.operator) return false;
  if (t.kw !== -1) return WORD_COMPARISONS.has(t.kw);
  const c = s.charCodeAt(t.pos), d = t.len > 1 ? s.charCodeAt(t.pos + 1) : 0;
  if (c === 0x3d) return true; // = ==
  if (c === 0x3c || c === 0x3e) return d !== c; // < > <= >= <> <=>, not << >>
  if (c === 0x21) return d === 0x3d || d === 0x3c || d === 0x3e || d === 0x7e; // != !< !> !~
  return c === 0x7e && d === 0x2a; // ~*
}

/**
 * A reusable folder: owns the token pool the fingerprint is built in.
 *
 * @example
 * ```ts
 * const folder = new Folder();
 * tokenizer.reset('1 UNION ALL SELECT 1', 0, false);
 * const n = folder.fold(tokenizer); // 4: number, union, expression, number
 * ```
 */
export class Folder {
  /** The fingerprint tokens (the first `n` after {@link fold}). */
  readonly tokens: Token[] = Array.from({ length: MAX_TOKENS + LOOKAHEAD + 1 }, () => new Token());
  private readonly lastComment = new Token();
  private s = '';
  private n = 0;
  /** Whether tokens were left after the fingerprint (the window was full). */
  more = false;
  /** Comments dropped while folding (obfuscation: `1/**\/UNION`). */
  comments = 0;

  /** Tokens in the pool after {@link fold}: the fingerprint, then folded lookahead. */
  get count(): number {
    return this.n;
  }

  /** Folds the tokenizer's value; returns the fingerprint length (0 … MAX_TOKENS). */
  fold(tk: Tokenizer): number {
    const tokens = this.tokens;
    this.s = tk.s;
    const first = tokens[0] as Token;
    for (;;) {
      if (!tk.next(first)) { this.more = false; this.n = 0; this.comments = 0; return 0; }
      const ty = first.type;
      if (!(ty === T.comment || ty === T.lparen || ty === T.sqltype || isUnary(first, this.s, NOT))) break;
    }
    this.n = 1;
    this.comments = 0;
    const last = this.lastComment;
    last.type = T.none;
    let ended = false;
    while (this.n < MAX_TOKENS + LOOKAHEAD) {
      const t = tokens[this.n] as Token; // this.n may be 0 after `{ x` vanished
      if (!tk.next(t)) { ended = true; break; }
      if (t.type === T.comment) { last.copy(t); this.comments++; continue; }
      last.type = T.none;
      if (this.n > 0) this.retype(tokens[this.n - 1] as Token, t);
      this.n++;
      this.reduce();
    }
    if (ended && this.n > 0) this.retype(tokens[this.n - 1] as Token, undefined);
    this.more = !ended;
    let n = Math.min(this.n, MAX_TOKENS);
    if (n < MAX_TOKENS && last.type === T.comment) (tokens[n++] as Token).copy(last);
    // PHP strips a trailing unclosed backtick to nothing: `1 or 1` is `1 or 1 --`.
    const end = tokens[Math.max(n - 1, 0)] as Token;
    if (n > 2 && end.type === T.bareword && end.open === 0x60 && end.close === 0 && end.len === 0) end.type = T.comment;
    return n;
  }

  /** Gives a token the type its follower implies (undefined: it ends the value). */
  private retype(a: Token, b: Token | undefined): void {
    const paren = b !== undefined && b.type === T.lparen;
    // A function name is a function only before `(`; CURRENT_USER and the like are values anyway.
    if (a.type === T.function && !paren) a.type = hasFlag(a.kw, F.niladic) ? T.variable : T.bareword;
    else if (a.kw === IN || a.kw === NOT_IN) a.type = paren ? T.operator : T.bareword;
    // LIKE( is the function only where no value precedes: after a value it compares.
    else if ((a.kw === LIKE || a.kw === NOT_LIKE) && paren && !(this.n >= 2 && isOperand((this.tokens[this.n - 2] as Token).type))) a.type = T.function;
  }

  private drop(at: number): void {
    const tokens = this.tokens;
    for (let i = at; i < this.n - 1; i++) (tokens[i] as Token).copy(tokens[i + 1] as Token);
    this.n--;
  }

  private reduce(): void {
    while (this.n >= 2 && (this.reduce2() || (this.n >= 3 && this.reduce3())));
  }

  /** Rules over the top two tokens; true when one applied. */
  private reduce2(): boolean {
    const s = this.s, n = this.n;
    const a = this.tokens[n - 2] as Token, b = this.tokens[n - 1] as Token;
    const ta = a.type, tb = b.type;
    if ((ta === T.string && tb === T.string) || (ta === T.semicolon && tb === T.semicolon) ||
      (ta === T.lparen && tb === T.lparen) || (ta === T.rparen && tb === T.rparen)) {
      if (ta === T.string) { a.close = b.close; a.folds |= FOLD_ANY | FOLD_WORD; }
      this.drop(n - 1);
      return true;
    }
    if ((ta === T.operator || ta === T.logic || ta === T.lparen || ta === T.union) && (isUnary(b, s, NOT) || (ta !== T.lparen && tb === T.sqltype))) {
      this.drop(n - 1);
      return true;
    }
    const phrase = mergePhrase(a.kw, b.kw);
    if (phrase !== -1) {
      a.type = keywordType(phrase);
      a.kw = phrase;
      a.len = b.pos + b.len - a.pos;
      this.drop(n - 1);
      return true;
    }
    if (ta === T.semicolon && b.kw === IF && tb !== T.tsql) { b.type = T.tsql; return true; }
    if (ta === T.sqltype && (isOperand(tb) || tb === T.sqltype || tb === T.lparen || tb === T.function)) { this.drop(n - 2); return true; }
    if (ta === T.collate && tb === T.bareword && hasUnderscore(s, b)) { b.type = T.sqltype; return false; }
    if (ta === T.backslash) {
      if (isArithmetic(b, s)) a.type = T.number;
      else this.drop(n - 2);
      return true;
    }
    if (ta === T.lbrace && tb === T.bareword) { this.n -= 2; return true; }
    if (tb === T.rbrace) { this.drop(n - 1); return true; }
    return false;
  }

  /** Rules over the top three tokens; true when one applied. */
  private reduce3(): boolean {
    const s = this.s, n = this.n;
    const z = this.tokens[n - 3] as Token, a = this.tokens[n - 2] as Token, b = this.tokens[n - 1] as Token;
    const tz = z.type, ta = a.type, tb = b.type;
    const valueZ = tz === T.number || tz === T.bareword;
    const valueB = tb === T.number || tb === T.bareword;
    if (ta === T.operator && ((valueZ && valueB) || (tz === T.variable && (valueB || tb === T.variable)) ||
      (isOperand(tz) && tb === T.sqltype && a.len === 2 && s.charCodeAt(a.pos) === 0x3a))) {
      // `there IS no`, `looks LIKE rain`: a word comparison between two plain words is prose.
      const cmp = isComparison(a, s) && (a.kw === -1 || tz !== T.bareword || tb !== T.bareword);
      z.folds |= FOLD_ANY | b.folds | (cmp ? FOLD_CMP : 0) | (tz === T.bareword || tb === T.bareword ? FOLD_WORD : 0);
      this.n -= 2;
      return true;
    }
    if (isOperand(tz) && ta === T.comma && isOperand(tb)) {
      z.folds |= FOLD_ANY | FOLD_LIST | b.folds;
      this.n -= 2;
      return true;
    }
    if ((tz === T.operator && ta !== T.lparen && tb === T.operator) || (tz === T.logic && tb === T.logic) ||
      (tz === T.bareword && ta === T.dot && tb === T.bareword)) {
      if (tz === T.logic) z.folds |= a.folds & FOLD_CMP; // `or 1=1 or`: the condition is remembered
      // `&0+1=` is a numeric chain; `< head >` and `/ 'text' /` are not
      if (tz === T.operator) z.folds |= ta === T.number || ta === T.variable ? FOLD_ANY : FOLD_WORD;
      this.n -= 2;
      return true;
    }
    if (isUnary(a, s, NOT) && (
      ((tz === T.expression || tz === T.group || tz === T.comma) && tb === T.lparen) ||
      ((tz === T.keyword || tz === T.expression || tz === T.group) && (isOperand(tb) || tb === T.function)) ||
      (tz === T.comma && (isOperand(tb) || tb === T.function)))) {
      this.drop(n - 2);
      return true;
    }
    if (tz === T.expression && ta === T.dot && tb === T.bareword) { this.drop(n - 2); return true; }
    // (1) is 1, unless the parentheses hold the arguments of a call: f(1) or name(1).
    if (tz === T.lparen && isOperand(ta) && tb === T.rparen) {
      const before = n >= 4 ? (this.tokens[n - 4] as Token).type : T.none;
      if (before !== T.function && before !== T.bareword) {
        z.copy(a);
        this.n -= 2;
        return true;
      }
    }
    if (tz === T.function && z.kw === USER && ta === T.lparen && tb !== T.rparen) z.type = T.bareword;
    return false;
  }
}

function hasUnderscore(s: string, t: Token): boolean {
  for (let i = t.pos; i < t.pos + t.len; i++) if (s.charCodeAt(i) === 0x5f) return true;
  return false;
}
