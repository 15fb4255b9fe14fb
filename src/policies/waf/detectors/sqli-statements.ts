/**
 * The statement rules of the SQL-injection detector: which statement heads, after a `;` or a
 * value, carry what that statement needs (DROP TABLE, EXEC xp_…, UPDATE x SET, SELECT with a
 * column list …), whole SELECT statements, and ORDER BY / GROUP BY / HAVING / LIMIT clauses.
 * Prose uses the same words (`select your size`, `drop table`, `call mom`): each head needs the
 * SQL that follows it, not just the word.
 */
import { FOLD_LIST, T } from './sqli-tokens.js';
import { F, hasFlag, kw } from './sqli-keywords.js';
import { R, SELECTS, Window, isValue } from './sqli-window.js';

const SELECT = kw('SELECT'), SELECT_TOP = kw('SELECT TOP'), SET = kw('SET'), DECLARE = kw('DECLARE');
const CASE = kw('CASE'), VALUES = kw('VALUES'), BEGIN = kw('BEGIN');
const INSERT = kw('INSERT'), DELETE = kw('DELETE'), REPLACE = kw('REPLACE');
const EXEC = kw('EXEC'), EXECUTE = kw('EXECUTE'), UPDATE = kw('UPDATE'), SHUTDOWN = kw('SHUTDOWN'), CALL = kw('CALL');
const MERGE = kw('MERGE'), USE = kw('USE'), INTO = kw('INTO'), FROM = kw('FROM'), AS = kw('AS');
const LIMIT = kw('LIMIT'), HAVING = kw('HAVING');
const OBJECT_HEADS = new Set(['DROP', 'CREATE', 'ALTER', 'TRUNCATE', 'RENAME'].map(kw));
const MODIFIERS = new Set(['INTO', 'FROM', 'LOW_PRIORITY', 'HIGH_PRIORITY', 'DELAYED', 'IGNORE'].map(kw));

/**
 * Statement and clause rules over a {@link Window}.
 *
 * @example
 * ```ts
 * class Rules extends Statements { … this.isHead(i + 1) … }
 * ```
 */
export class Statements extends Window {
  /** T-SQL runs a statement after a value without `;` (`1 UPDATE t SET …`): only unambiguous heads count. */
  protected isBatchHead(i: number): boolean {
    const id = this.kwAt(i);
    if (id === SELECT) {
      const a = this.ty(i + 1);
      if (a === T.operator) return this.kwAt(i + 2) === FROM; // 1 SELECT * FROM
      return (isValue(a) && a !== T.bareword) || this.call(i + 1) || (a === T.bareword && this.selectList(i + 1));
    }
    return id !== USE && id !== SET && id !== CALL && this.isHead(i);
  }

  /** A statement head after `;` followed by what that statement needs. */
  protected isHead(i: number): boolean {
    if (this.kwAt(i) === BEGIN) i++; // T-SQL: ; BEGIN DECLARE …
    const ty = this.ty(i), id = this.kwAt(i);
    const a = this.ty(i + 1), b = this.ty(i + 2), idA = this.kwAt(i + 1);
    if (ty === T.tsql) return a === T.lparen || a === T.variable || a === T.function || this.condition(i + 1); // ; IF (…)
    if (ty !== T.expression) return false;
    if (!hasFlag(id, F.head)) return (a === T.bareword || a === T.keyword) && b !== T.bareword && id !== -1 && !isPlainExpression(id); // INSERT INTO x
    if (OBJECT_HEADS.has(id)) return hasFlag(idA, F.object);
    if (id === SET || id === DECLARE) return a === T.variable || (a === T.bareword && b === T.operator);
    if (id === EXEC || id === EXECUTE) {
      return a === T.lparen || a === T.variable || a === T.function || hasFlag(idA, F.strong) || this.isProcedureName(i + 1) ||
        (a === T.bareword && (b === T.string || b === T.number || b === T.variable || b === T.semicolon || b === T.comment));
    }
    if (id === UPDATE) return a === T.bareword && this.kwAt(i + 2) === SET;
    if (id === SHUTDOWN) return a === T.none || a === T.comment || a === T.semicolon;
    if (id === INSERT || id === DELETE || id === REPLACE) return MODIFIERS.has(idA);
    if (id === CALL) return a === T.bareword && b === T.lparen;
    if (id === MERGE) return this.kwAt(i + 1) === INTO;
    if (id === USE) return a === T.bareword && (b === T.semicolon || b === T.comment);
    if (id === SELECT) return this.selectList(i + 1);
    return false;
  }

  /** MSSQL's system procedures: sp_… and xp_… (`EXEC sp_addlogin`). */
  protected isProcedureName(i: number): boolean {
    if (this.ty(i) !== T.bareword) return false;
    const t = this.tok(i), s = this.s;
    const c = s.charCodeAt(t.pos) | 0x20;
    return t.len > 3 && (c === 0x73 || c === 0x78) && (s.charCodeAt(t.pos + 1) | 0x20) === 0x70 && s.charCodeAt(t.pos + 2) === 0x5f;
  }

  /** What SELECT needs after it: not a bare word followed by more prose. */
  protected selectList(i: number): boolean {
    const a = this.ty(i), b = this.ty(i + 1), idB = this.kwAt(i + 1);
    if (a === T.none || a === T.comment) return false;
    if (a !== T.bareword) return true;
    return b === T.comma || b === T.operator || idB === FROM || idB === AS;
  }

  /** ORDER BY 1, GROUP BY x--, HAVING 1=1, LIMIT 1: what follows must be a column reference. */
  protected group(p: number): boolean {
    const a = this.ty(p + 1), b = this.ty(p + 2), id = this.kwAt(p);
    const end = b === T.none || b === T.comment || b === T.union || b === T.semicolon;
    if (id === LIMIT) return a === T.number && end;
    if (a === T.none) return this.cut(p + 1) && p >= 2 && id !== HAVING;
    if (a === T.number) return end || b === T.comma || b === T.logic || b === T.operator || b === T.group || b === T.rparen;
    if (a === T.variable || this.call(p + 1) || a === T.lparen) return true;
    return a === T.bareword && ((end && b !== T.none) || b === T.group);
  }

  /** A whole statement: SELECT with a call, a variable, a column list, an expression, a subquery. */
  protected statement(): number {
    const id = this.kwAt(0);
    const a = this.ty(1), b = this.ty(2), c = this.ty(3);
    if (id === CASE) return this.caseWhen(1) ? R.fingerprint : R.none;
    if (id === SET) return a === T.variable ? R.stacked : R.none;
    if (id === EXEC || id === EXECUTE) return a === T.variable || this.isHead(0) ? R.stacked : R.none;
    if (!SELECTS.has(id)) return this.isHead(0) && this.n > 2 ? R.stacked : R.none;
    if (this.call(1) || a === T.variable) return R.fingerprint;
    if (id === SELECT_TOP && a === T.number) return R.fingerprint;
    if (a === T.operator && b === T.keyword) return R.fingerprint; // SELECT * FROM
    if (isValue(a) && (b === T.comma || b === T.rparen)) return R.fingerprint;
    if (isValue(a) && (a !== T.bareword || (this.tok(1).folds & FOLD_LIST) !== 0) && this.kwAt(2) === FROM) return R.fingerprint;
    if (isValue(a) && this.kwAt(2) === FROM && c === T.bareword) {
      const d = this.ty(4);
      if (d === T.group || d === T.rparen || d === T.union || d === T.semicolon) return R.fingerprint; // SELECT x FROM y LIMIT
    }
    if (isValue(a) && (b === T.logic || b === T.operator) && isValue(c) && !(a === T.bareword && c === T.bareword)) return R.fingerprint;
    if (a === T.lparen && b !== T.bareword) return R.fingerprint;
    for (let i = 1; i + 1 < this.n; i++) if (this.subquery(i)) return R.fingerprint;
    return R.none;
  }
}

/** CASE and VALUES are expression words, not statement heads. */
function isPlainExpression(id: number): boolean {
  return id === CASE || id === VALUES;
}
