/**
 * The token model of the SQL-injection detector: token types (as in libinjection's design, one
 * ASCII letter each so a fingerprint reads as a short string in tests and debugging) and the
 * reusable token object. Tokens never copy text: they point into the examined value.
 */

/**
 * Token types. The value is the character used for the type in a fingerprint.
 *
 * @example
 * ```ts
 * String.fromCharCode(T.union, T.expression); // 'UE', as in "1 UNION SELECT"
 * ```
 */
export const T = {
  none: 0,
  keyword: 0x6b, // k: FROM, WHERE, INTO, TABLE …
  union: 0x55, // U: UNION, EXCEPT, INTERSECT
  group: 0x42, // B: GROUP BY, ORDER BY, HAVING, LIMIT
  expression: 0x45, // E: statement heads (SELECT, INSERT, DROP …)
  sqltype: 0x74, // t: INT, VARCHAR, SIGNED …
  function: 0x66, // f: a known function followed by '('
  bareword: 0x6e, // n: any other word or identifier
  number: 0x31, // 1: numbers, NULL, TRUE, hex/bit literals
  variable: 0x76, // v: @x, @@version
  string: 0x73, // s: quoted strings
  operator: 0x6f, // o: arithmetic, comparison, LIKE, IS, NOT …
  logic: 0x26, // &: AND, OR, XOR, &&, ||
  comment: 0x63, // c: --, #, /* */
  collate: 0x41, // A: COLLATE
  lparen: 0x28, // (
  rparen: 0x29, // )
  lbrace: 0x7b, // {
  rbrace: 0x7d, // }
  dot: 0x2e, // .
  comma: 0x2c, // ,
  colon: 0x3a, // :
  semicolon: 0x3b, // ;
  tsql: 0x54, // T: Transact-SQL control words (WAITFOR, IF after ';', GOTO)
  unknown: 0x3f, // ?
  evil: 0x58, // X: input that cannot be parsed consistently (MySQL /*! */, nested comments)
  backslash: 0x5c, // \
} as const;

/** One token type (a value of {@link T}). */
export type TokenType = (typeof T)[keyof typeof T];

/** Token flag: other tokens were folded into this one (`1+1`, `'a' 'b'`). */
export const FOLD_ANY = 1;
/** Token flag: a comparison was folded into this one (`1=1`, `x LIKE y`): a condition, not a literal. */
export const FOLD_CMP = 2;
/** Token flag: a word or a string was folded into this one (`1-abc`): not a pure number expression. */
export const FOLD_WORD = 4;
/** Token flag: a list was folded into this one (`1,2,3`). */
export const FOLD_LIST = 8;

/** Quote contexts the input is examined in: as is, after a `'`, after a `"`. */
export const QUOTE_NONE = 0;
/** See {@link QUOTE_NONE}. */
export const QUOTE_SINGLE = 0x27;
/** See {@link QUOTE_NONE}. */
export const QUOTE_DOUBLE = 0x22;

/**
 * One token: a type and a span of the examined value. Mutable and reused: the tokenizer fills a
 * small fixed pool, so examining a value allocates nothing per token.
 *
 * @example
 * ```ts
 * const t = new Token();
 * t.set(T.number, 0, 1);
 * t.type === T.number; // true
 * ```
 */
export class Token {
  /** The type, one of {@link T}. */
  type: number = T.none;
  /** Start offset in the value (for strings: of the content, after the opening quote). */
  pos = 0;
  /** Length in the value (for strings: of the content). */
  len = 0;
  /** The opening quote character code, or 0 (a string whose opening quote the attacker left out). */
  open = 0;
  /** The closing quote character code, or 0 (a string that runs to the end of the value). */
  close = 0;
  /** Keyword-table entry id, or -1 when the word is not in the table. */
  kw = -1;
  /** What folding merged into this token: {@link FOLD_ANY}, {@link FOLD_CMP} bits. */
  folds = 0;

  /** Sets type and span and clears the rest. */
  set(type: number, pos: number, len: number): this {
    this.type = type;
    this.pos = pos;
    this.len = len;
    this.open = 0;
    this.close = 0;
    this.kw = -1;
    this.folds = 0;
    return this;
  }

  /** Copies another token into this one. */
  copy(from: Token): this {
    this.type = from.type;
    this.pos = from.pos;
    this.len = from.len;
    this.open = from.open;
    this.close = from.close;
    this.kw = from.kw;
    this.folds = from.folds;
    return this;
  }
}

/**
 * Whether a token is a unary operator: `+ - ! ~ !!` or NOT (`notId`: the keyword id of NOT).
 *
 * @example
 * ```ts
 * isUnary(new Token().set(T.operator, 0, 1), '-1', kw('NOT')); // true
 * ```
 */
export function isUnary(t: Token, s: string, notId: number): boolean {
  if (t.type !== T.operator) return false;
  if (t.kw !== -1) return t.kw === notId;
  const c = s.charCodeAt(t.pos);
  if (t.len === 1) return c === 0x2b || c === 0x2d || c === 0x21 || c === 0x7e;
  return t.len === 2 && c === 0x21 && s.charCodeAt(t.pos + 1) === 0x21;
}

/**
 * Whether a token is a one-character arithmetic operator `* / - + %`.
 *
 * @example
 * ```ts
 * isArithmetic(new Token().set(T.operator, 0, 1), '%'); // true
 * ```
 */
export function isArithmetic(t: Token, s: string): boolean {
  if (t.type !== T.operator || t.len !== 1 || t.kw !== -1) return false;
  const c = s.charCodeAt(t.pos);
  return c === 0x2a || c === 0x2f || c === 0x2d || c === 0x2b || c === 0x25;
}

/**
 * Whether a token type is a value an expression can be built from (number, word, string, variable).
 *
 * @example
 * ```ts
 * isOperand(T.string); // true
 * isOperand(T.comma);  // false
 * ```
 */
export function isOperand(type: number): boolean {
  return type === T.number || type === T.bareword || type === T.string || type === T.variable;
}
