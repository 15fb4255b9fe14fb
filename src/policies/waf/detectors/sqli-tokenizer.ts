/**
 * The SQL tokenizer of the SQL-injection detector. It reads a value the way a lenient SQL parser
 * would (MySQL, PostgreSQL, MSSQL, Oracle and SQLite syntax together), one token per call, in
 * linear time, and never allocates: tokens are spans of the value. It can start as if a `'` or a
 * `"` had been opened before the value (the value is then the tail of a string literal the
 * attacker closes), and reads `#` and `--x` either the ANSI way or the MySQL way.
 */
import { T } from './sqli-tokens.js';
import type { Token } from './sqli-tokens.js';
import { keywordType, lookupWord } from './sqli-keywords.js';
import { C_BACKSLASH, C_BRACKET, C_CHAR, C_DASH, C_DIGIT, C_DOT, C_HASH, C_MONEY, C_OP1, C_OP2, C_QUOTE, C_SLASH, C_TICK, C_VAR, C_WHITE, C_WORD, CLASS, WORD, isWhite, isWhiteHigh, isWordEnd } from './sqli-chars.js';

export { isWhite } from './sqli-chars.js';

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isBit = (c: number): boolean => c === 0x30 || c === 0x31;
const upper = (c: number): number => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c);

/**
 * A reusable tokenizer over one value at a time.
 *
 * @example
 * ```ts
 * const tk = new Tokenizer();
 * const t = new Token();
 * tk.reset("1' OR 1=1", QUOTE_SINGLE, false);
 * tk.next(t); // t is the string "1", closed by the quote
 * ```
 */
export class Tokenizer {
  s = '';
  private len = 0;
  private pos = 0;
  private quote = 0;
  private started = false;
  /** MySQL reading: `#` starts a comment and `--x` is two minus signs. */
  mysql = false;
  /** Raw tokens produced so far. */
  tokens = 0;
  /** `#` characters seen (in ANSI reading they are operators: the caller may retry as MySQL). */
  hashes = 0;
  /** `--x` comments seen (in MySQL reading they are not comments: the caller may retry). */
  dashDash = 0;

  /** Starts over on a value, in a quote context (0, `'` or `"` code) and reading. */
  reset(s: string, quote: number, mysql: boolean): void {
    this.s = s;
    this.len = s.length;
    this.pos = 0;
    this.quote = quote;
    this.started = false;
    this.mysql = mysql;
    this.tokens = 0;
    this.hashes = 0;
    this.dashDash = 0;
  }

  /** Reads the next token into t; false at the end of the value. */
  next(t: Token): boolean {
    if (!this.started && this.quote !== 0) {
      this.started = true;
      this.pos = this.string(t, 0, this.quote, 0);
      this.tokens++;
      return true;
    }
    const s = this.s, classes = CLASS;
    while (this.pos < this.len) {
      let c = s.charCodeAt(this.pos);
      while (c <= 0x20 && classes[c] === C_WHITE && ++this.pos < this.len) c = s.charCodeAt(this.pos); // spaces, fast
      if (this.pos >= this.len) break;
      t.type = T.none;
      this.pos = this.dispatch(t, c);
      if (t.type !== T.none) {
        this.tokens++;
        return true;
      }
    }
    return false;
  }

  private dispatch(t: Token, c: number): number {
    const p = this.pos;
    const cls = c < 128 ? (CLASS[c] ?? C_WHITE) : isWhiteHigh(c) ? C_WHITE : C_WORD;
    switch (cls) {
      case C_WHITE: return p + 1;
      case C_WORD: {
        const d = this.s.charCodeAt(p + 1);
        return (d === 0x27 || d === 0x26 || (d | 0x20) === 0x71 ? this.prefixedString(t, c) : undefined) ?? this.word(t, p);
      }
      case C_DIGIT: return this.number(t, p);
      case C_QUOTE: return this.string(t, p + 1, c, c);
      case C_TICK: return this.tick(t, p);
      case C_DASH: return this.dash(t, p);
      case C_SLASH: return this.slash(t, p);
      case C_HASH:
        this.hashes++;
        if (this.mysql) return this.lineComment(t, p);
        t.set(T.operator, p, 1);
        return p + 1;
      case C_OP1: t.set(T.operator, p, 1); return p + 1;
      case C_OP2: return this.operator2(t, p, c);
      case C_CHAR: t.set(c, p, 1); return p + 1;
      case C_DOT: return isDigit(this.s.charCodeAt(p + 1)) ? this.number(t, p) : (t.set(T.dot, p, 1), p + 1);
      case C_VAR: return this.variable(t, p);
      case C_MONEY: return this.money(t, p);
      case C_BACKSLASH:
        if (this.s.charCodeAt(p + 1) === 0x4e) { t.set(T.number, p, 2); return p + 2; } // \N is MySQL's NULL
        t.set(T.backslash, p, 1);
        return p + 1;
      case C_BRACKET: {
        const end = this.s.indexOf(']', p + 1);
        const stop = end === -1 ? this.len : end + 1;
        t.set(T.bareword, p, stop - p);
        return stop;
      }
      default: t.set(T.unknown, p, 1); return p + 1;
    }
  }

  /**
   * A string whose content starts at `from`, closed by `delim` (backslash-escaped and doubled
   * delimiters do not close it). `open` is the opening quote, or 0 for the simulated one.
   */
  private string(t: Token, from: number, delim: number, open: number): number {
    const s = this.s, n = this.len;
    let q = from;
    for (; q < n; q++) {
      if (s.charCodeAt(q) !== delim) continue;
      let back = 0;
      while (q - back - 1 >= from && s.charCodeAt(q - back - 1) === 0x5c) back++;
      if ((back & 1) === 1) continue; // \' is escaped
      if (s.charCodeAt(q + 1) === delim) { q++; continue; } // '' is escaped
      break;
    }
    t.set(T.string, from, q - from);
    t.open = open;
    t.close = q < n ? delim : 0;
    return q < n ? q + 1 : n;
  }

  /** N'…', E'…', X'…', B'…', Q'[…]' and U&'…' literals; undefined when c does not start one. */
  private prefixedString(t: Token, c: number): number | undefined {
    const s = this.s, p = this.pos, u = upper(c);
    const next = s.charCodeAt(p + 1);
    if (next === 0x27 && p + 2 < this.len) {
      if (u === 0x4e || u === 0x45) return this.string(t, p + 2, 0x27, 0x27);
      if (u === 0x58 || u === 0x42) {
        let i = p + 2;
        while (i < this.len && (u === 0x58 ? isHex(s.charCodeAt(i)) : isBit(s.charCodeAt(i)))) i++;
        if (s.charCodeAt(i) !== 0x27) return undefined;
        t.set(T.number, p, i + 1 - p);
        return i + 1;
      }
      if (u === 0x51) return this.qString(t, p + 2);
    }
    if (u === 0x4e && upper(next) === 0x51 && s.charCodeAt(p + 2) === 0x27) return this.qString(t, p + 3);
    if (u === 0x55 && next === 0x26 && s.charCodeAt(p + 2) === 0x27) return this.string(t, p + 3, 0x27, 0x27);
    return undefined;
  }

  /** Oracle's q'<delim>…<delim>' with the quote at `q - 1`. */
  private qString(t: Token, q: number): number | undefined {
    const s = this.s;
    let d = s.charCodeAt(q);
    if (!(d > 0x20) || q >= this.len) return undefined;
    d = d === 0x28 ? 0x29 : d === 0x5b ? 0x5d : d === 0x7b ? 0x7d : d === 0x3c ? 0x3e : d;
    let i = q + 1;
    while (i + 1 < this.len && !(s.charCodeAt(i) === d && s.charCodeAt(i + 1) === 0x27)) i++;
    const closed = i + 1 < this.len;
    t.set(T.string, q + 1, (closed ? i : this.len) - q - 1);
    t.open = 0x27;
    t.close = closed ? 0x27 : 0;
    return closed ? i + 2 : this.len;
  }

  private word(t: Token, p: number): number {
    const s = this.s, n = this.len, word = WORD;
    let end = p + 1, glued = false;
    for (; end < n; end++) {
      const c = s.charCodeAt(end);
      if (c < 128 ? word[c] === 0 : isWhiteHigh(c)) break;
      if (c === 0x2e || c === 0x60) glued = true;
    }
    // SELECT`col` or UNION.x: a keyword glued to what follows by a tick or a dot ends there.
    if (glued) for (let i = p + 1; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x2e && c !== 0x60) continue;
      const id = lookupWord(s, p, i);
      if (id !== -1 && keywordType(id) !== T.bareword) {
        t.set(keywordType(id), p, i - p);
        t.kw = id;
        return i;
      }
    }
    const id = lookupWord(s, p, end);
    t.set(id === -1 ? T.bareword : keywordType(id), p, end - p);
    t.kw = id;
    return end;
  }

  private tick(t: Token, p: number): number {
    const end = this.string(t, p + 1, 0x60, 0x60);
    const id = lookupWord(this.s, t.pos, t.pos + t.len);
    const type = id !== -1 && keywordType(id) === T.function ? T.function : T.bareword;
    t.type = type;
    t.kw = type === T.function ? id : -1;
    return end;
  }

  private number(t: Token, p: number): number {
    const s = this.s, n = this.len;
    let i = p;
    const x = upper(s.charCodeAt(p + 1));
    if (s.charCodeAt(p) === 0x30 && (x === 0x58 || x === 0x42)) {
      const test = x === 0x58 ? isHex : isBit;
      i = p + 2;
      while (i < n && test(s.charCodeAt(i))) i++;
      t.set(i === p + 2 ? T.bareword : T.number, p, i - p);
      return i;
    }
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 0x2e) {
      i++;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
    }
    let danglingE = false;
    if (upper(s.charCodeAt(i)) === 0x45) {
      i++;
      if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++;
      const digits = i;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      danglingE = i === digits;
    }
    const suffix = upper(s.charCodeAt(i));
    if (suffix === 0x44 || suffix === 0x46) { // Oracle's 1.5d / 1.5f
      const after = s.charCodeAt(i + 1);
      if (i + 1 >= n || isWhite(after) || after === 0x3b || upper(after) === 0x55) i++;
    }
    // MySQL reads "1.e(" and "1e" as nothing at all: so does this tokenizer.
    if (!danglingE) t.set(T.number, p, i - p);
    return i;
  }

  private dash(t: Token, p: number): number {
    const s = this.s;
    if (s.charCodeAt(p + 1) === 0x2d) {
      if (p + 2 >= this.len || isWhite(s.charCodeAt(p + 2))) return this.lineComment(t, p);
      if (!this.mysql) { this.dashDash++; return this.lineComment(t, p); }
    }
    t.set(T.operator, p, 1);
    return p + 1;
  }

  private lineComment(t: Token, p: number): number {
    const nl = this.s.indexOf('\n', p);
    const end = nl === -1 ? this.len : nl;
    t.set(T.comment, p, end - p);
    return nl === -1 ? this.len : nl + 1;
  }

  private slash(t: Token, p: number): number {
    const s = this.s;
    if (s.charCodeAt(p + 1) !== 0x2a) { t.set(T.operator, p, 1); return p + 1; }
    const close = s.indexOf('*/', p + 2);
    const end = close === -1 ? this.len : close + 2;
    // PostgreSQL nests comments and MySQL runs SQL inside /*! */: neither can be read safely.
    const open = s.indexOf('/*', p + 2);
    const nested = close !== -1 && open !== -1 && open < close;
    t.set(nested || this.conditional(p + 2, end) ? T.evil : T.comment, p, end - p);
    return end;
  }

  /** A MySQL conditional comment (`/*!50000…`, `/*!UNION`), not a licence banner (`/*! normalize.css`). */
  private conditional(p: number, end: number): boolean {
    const s = this.s;
    if (s.charCodeAt(p) !== 0x21) return false;
    if (isDigit(s.charCodeAt(p + 1))) return true; // a server version
    let i = p + 1;
    while (i < end && (isDigit(s.charCodeAt(i)) || isWhite(s.charCodeAt(i)))) i++;
    let j = i;
    while (j < end && !isWordEnd(s.charCodeAt(j)) && s.charCodeAt(j) !== 0x2a) j++;
    const id = lookupWord(s, i, j);
    return id !== -1 && keywordType(id) !== T.bareword;
  }

  private operator2(t: Token, p: number, c: number): number {
    const d = this.s.charCodeAt(p + 1);
    if (c === 0x3c && d === 0x3d && this.s.charCodeAt(p + 2) === 0x3e) { t.set(T.operator, p, 3); return p + 3; }
    let two = false;
    switch (c) {
      case 0x21: two = d === 0x3d || d === 0x3c || d === 0x3e || d === 0x21 || d === 0x7e; break; // != !< !> !! !~
      case 0x3c: two = d === 0x3d || d === 0x3e || d === 0x3c; break; // <= <> <<
      case 0x3e: two = d === 0x3d || d === 0x3e; break; // >= >>
      case 0x3d: two = d === 0x3d; break; // ==
      case 0x7c: if (d === 0x7c) { t.set(T.logic, p, 2); return p + 2; } two = d === 0x2f || d === 0x3d; break;
      case 0x26: if (d === 0x26) { t.set(T.logic, p, 2); return p + 2; } two = d === 0x3d; break;
      case 0x3a: two = d === 0x3a || d === 0x3d; if (!two) { t.set(T.colon, p, 1); return p + 1; } break;
      case 0x7e: two = d === 0x2a; break; // ~*
      default: two = d === 0x3d; // ^=
    }
    t.set(T.operator, p, two ? 2 : 1);
    return p + (two ? 2 : 1);
  }

  private variable(t: Token, p: number): number {
    const s = this.s;
    let i = p + 1;
    if (s.charCodeAt(i) === 0x40) i++;
    const c = s.charCodeAt(i);
    if (c === 0x60 || c === 0x27 || c === 0x22) {
      const end = this.string(t, i + 1, c, c);
      t.type = T.variable;
      return end;
    }
    const start = i;
    while (i < this.len && !isWordEnd(s.charCodeAt(i)) && s.charCodeAt(i) !== 0x60) i++;
    t.set(T.variable, start, i - start);
    return i;
  }

  /** `$1.00` (a number), PostgreSQL's `$$…$$` and `$tag$…$tag$` strings, or a lone `$` word. */
  private money(t: Token, p: number): number {
    const s = this.s;
    let i = p + 1;
    while (i < this.len && (isDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 0x2e || s.charCodeAt(i) === 0x2c)) i++;
    if (i > p + 1 && !(i === p + 2 && s.charCodeAt(p + 1) === 0x2e)) { t.set(T.number, p, i - p); return i; }
    while (i < this.len && ((s.charCodeAt(i) | 0x20) >= 0x61 && (s.charCodeAt(i) | 0x20) <= 0x7a)) i++;
    if (s.charCodeAt(i) !== 0x24 || i >= this.len) return this.word(t, p);
    const tag = s.slice(p, i + 1); // only for the rare $tag$ string: bounded by the value
    const close = s.indexOf(tag, i + 1);
    t.set(T.string, i + 1, (close === -1 ? this.len : close) - i - 1);
    t.open = 0x24;
    t.close = close === -1 ? 0 : 0x24;
    return close === -1 ? this.len : close + tag.length;
  }
}
