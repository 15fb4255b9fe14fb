/**
 * Classification of a folded fingerprint: is this token sequence the shape of an injection? The
 * rules read the fingerprint as "a value the application quoted or expected, then what the
 * attacker appended": after the value (in a quote context: the string the attacker closed) come
 * optional closing parentheses, then a connector (logic operator, operator, UNION, `;`, comment,
 * ORDER BY, comma, keyword) and what follows it must be SQL, not prose: a comparison, a function
 * call, a subquery, a statement head with what it needs, a system variable. Fingerprints with
 * nothing after the value, or with only words after it, are never injections: that excludes names
 * like O'Brien, `1-2`, `rock and roll`, e-mail-like forms and ordinary sentences.
 */
import { FOLD_ANY, FOLD_CMP, FOLD_LIST, FOLD_WORD, T } from './sqli-tokens.js';
import type { Token } from './sqli-tokens.js';
import { F, hasFlag, kw } from './sqli-keywords.js';
import { R, SELECTS, hasWhite, isBalancingOperator, isValue } from './sqli-window.js';
import { Statements } from './sqli-statements.js';

export { R } from './sqli-window.js';

const UNIONS = new Set([kw('UNION'), kw('UNION ALL'), kw('UNION DISTINCT')]);
const ALL = kw('ALL'), DISTINCT = kw('DISTINCT'), AS = kw('AS'), FROM = kw('FROM'), WHERE = kw('WHERE'), BEGIN = kw('BEGIN');
const INTO_OUTFILE = kw('INTO OUTFILE'), INTO_DUMPFILE = kw('INTO DUMPFILE');

/**
 * A reusable classifier. {@link classify} looks at the fingerprint the folder left in `tokens`.
 *
 * @example
 * ```ts
 * const rules = new Rules();
 * rules.classify(folder.tokens, n, value, QUOTE_SINGLE, folder.more); // R.fingerprint for "1' OR 1=1"
 * ```
 */
export class Rules extends Statements {
  /** Classifies the first n tokens of a fingerprint of s read in a quote context; `more`: the window was full. */
  classify(tokens: Token[], n: number, s: string, quote: number, more: boolean, comments = 0): number {
    this.load(tokens, n, s, more, comments);
    if (n === 0) return R.none;
    for (let i = 0; i < n; i++) {
      const ty = this.ty(i), id = this.kwAt(i);
      if (ty === T.evil) return R.evasion;
      if ((ty === T.function || ty === T.tsql) && this.isTime(i) && (i === 0 || ty === T.tsql || this.ty(i - 1) !== T.bareword)) return R.time; // not `await sleep(10)`
      if (ty === T.union && this.isUnion(i)) return R.union;
      if (ty === T.semicolon && this.isHead(i + 1)) return R.stacked;
      if (id === INTO_OUTFILE || id === INTO_DUMPFILE || hasFlag(id, F.strong)) return R.fingerprint;
    }
    const t0 = this.ty(0);
    if (quote !== 0) return this.tail(1, true);
    if (isValue(t0)) return this.tail(1, false);
    if (t0 === T.expression) return this.statement();
    if (t0 === T.function) return this.leadingCall();
    return this.tail(0, false);
  }
  /**
   * What follows the value that ends before p: closers, then a connector and its evidence. An
   * operand after an operator or a logic operator extends the value, and the tail goes on.
   */
  private tail(p: number, quoted: boolean): number {
    const start = p;
    while (this.ty(p) === T.rparen || this.ty(p) === T.semicolon) p++;
    const closers = p - start;
    const a = this.ty(p + 1);
    switch (this.ty(p)) {
      case T.logic:
        if ((this.tok(p).folds & FOLD_CMP) !== 0 || this.condition(p + 1) || this.reopenedQuote(p + 1, false)) return R.fingerprint;
        return this.operand(p + 1, quoted);
      case T.operator:
        if (this.subquery(p + 1)) return R.fingerprint;
        if (p === 0) return R.none; // `### max()`, `* Date (x)`: Markdown, not an expression
        if ((this.call(p + 1) || (a === T.lparen && this.call(p + 2))) && !(p === 1 && this.ty(0) === T.bareword && !quoted)) return R.fingerprint;
        if (this.reopenedQuote(p + 1, true) && this.balancing(this.tok(p))) return R.fingerprint;
        return this.operand(p + 1, quoted);
      case T.comment: return this.truncation(p, quoted, closers) ? R.comment : R.none;
      case T.group: return this.group(p) ? R.fingerprint : R.none;
      case T.comma: return this.call(p + 1) || this.subquery(p + 1) || (a === T.lparen && this.call(p + 2)) ? R.fingerprint : R.none;
      case T.keyword: return this.clause(p, quoted, closers);
      case T.lparen: return p > 0 && this.subquery(p) ? R.fingerprint : R.none;
      case T.expression: return p > 0 && this.isBatchHead(p) ? R.stacked : R.none;
      case T.union: return p > 0 && this.cut(p + 1) ? R.union : R.none;
      // after a closed quote, T-SQL control flow: GOTO label, BEGIN TRY / BEGIN <statement>
      case T.tsql: return quoted && a === T.bareword ? R.stacked : R.none;
      case T.bareword: return quoted && this.kwAt(p) === BEGIN && p > 0 ? this.tail(p + 1, quoted) : R.none;
      default: return R.none;
    }
  }

  /**
   * An operator before a reopened quote: `'='`, `x' | 'y`, `A '+' B`, a chain folded from numbers
   * (`'&0+1='`); not a wildcard or a path (`"*"`, `'/'`), a word (`"LIKE" x`) or prose (`'<head>'`).
   */
  private balancing(op: Token): boolean {
    if ((op.folds & FOLD_WORD) !== 0) return false;
    return (op.folds & FOLD_ANY) !== 0 || (op.kw === -1 && isBalancingOperator(this.s, op));
  }

  /** An operand (possibly after `(`) continues the value; the tail goes on after it. */
  private operand(i: number, quoted: boolean): number {
    if (this.ty(i) === T.lparen) i++;
    return isValue(this.ty(i)) ? this.tail(i + 1, quoted) : R.none;
  }

  /** WHERE <condition>, an alias (`AS x`), `) FROM x WHERE` after a closed parenthesis. */
  private clause(p: number, quoted: boolean, closers: number): number {
    const id = this.kwAt(p);
    if (id === WHERE) return this.condition(p + 1) ? R.fingerprint : R.none;
    if (id === AS && this.ty(p + 1) === T.bareword) return this.tail(p + 2, quoted);
    return id === FROM && closers > 0 && this.ty(p + 1) === T.bareword && this.kwAt(p + 2) === WHERE ? R.fingerprint : R.none;
  }

  /** SLEEP(5), BENCHMARK(…), PG_SLEEP(…), WAITFOR DELAY '…'. */
  private isTime(i: number): boolean {
    const ty = this.ty(i);
    if (ty === T.function && hasFlag(this.kwAt(i), F.time)) {
      const arg = this.ty(i + 2);
      if (arg === T.number && this.ty(i + 3) === T.bareword) return false; // `Sleep (8 hours)`
      return i + 2 >= this.n || (arg !== T.bareword && arg !== T.rparen);
    }
    if (ty === T.tsql && hasFlag(this.kwAt(i), F.time)) {
      const arg = this.ty(i + 1);
      return arg === T.string || arg === T.variable || arg === T.number;
    }
    return false;
  }

  /** UNION [ALL] SELECT, UNION (SELECT …), and UNION at the end of a cut window after a value. */
  private isUnion(i: number): boolean {
    if (this.kwAt(i + 1) === ALL || this.kwAt(i + 1) === DISTINCT) i++; // UNION ALL DISTINCT SELECT
    const a = this.ty(i + 1), before = i > 0 ? this.ty(i - 1) : T.none;
    if (a === T.expression) return SELECTS.has(this.kwAt(i + 1));
    if (a === T.comment) return i + 2 === this.n && i > 0; // 1 UNION--
    // UNION last, after a non-word value: in a cut window, or with comments folded away (`1/**/UNION`)
    if (a === T.none) {
      return (this.cut(i + 1) || (this.comments > 0 && before === T.number)) && UNIONS.has(this.kwAt(i)) &&
        (before === T.number || before === T.string || before === T.rparen);
    }
    return a === T.lparen && (this.ty(i + 2) === T.expression || this.ty(i + 2) === T.lparen || this.cut(i + 2));
  }

  /**
   * A comment that ends the input after a value: the rest of the application's query is cut
   * off. Right after the first value the comment must be empty and the value must look like a
   * value (a string without spaces, a plain number or number expression, a variable); after a
   * longer expression any non-word operand will do.
   */
  private truncation(p: number, quoted: boolean, closers: number): boolean {
    if (p !== this.n - 1) return false;
    const v = this.tok(Math.max(p - closers - 1, 0));
    if (this.mentions(this.tok(p), 'SP_PASSWORD')) return true; // hides the statement from MSSQL's audit log
    if (p - closers > 1) return v.type !== T.bareword && this.shortComment(this.tok(p));
    if (!this.emptyComment(this.tok(p))) return false;
    if (quoted) return v.type === T.string && !hasWhite(this.s, v.pos, v.len);
    if (v.type === T.variable) return true;
    if (v.type === T.string) return closers > 0 && v.open !== 0 && v.close !== 0;
    if (v.type !== T.number) return false;
    return (v.folds & FOLD_CMP) !== 0 || (v.folds & (FOLD_WORD | FOLD_LIST)) === 0;
  }

  /** A value that starts with a call: nested calls, a subquery inside, or SQL after the call. */
  private leadingCall(): number {
    if (!this.call(0)) return R.none;
    if (this.ty(2) === T.function && this.ty(3) === T.lparen) return R.fingerprint;
    if (this.ty(2) === T.variable && this.isSystemVariable(2)) return R.fingerprint;
    for (let i = 1; i + 1 < this.n; i++) if (this.subquery(i)) return R.fingerprint;
    let close = 2;
    while (close < this.n && this.ty(close) !== T.rparen) close++;
    if (close >= this.n - 1) return R.none;
    const after = this.ty(close + 1);
    if (after === T.comment || (after === T.rparen && this.ty(close + 2) === T.comment)) {
      return this.emptyComment(this.tok(this.n - 1)) ? R.comment : R.none;
    }
    return this.tail(close + 1, false);
  }
}
