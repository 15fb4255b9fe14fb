/**
 * Character classes of the SQL tokenizer: which ASCII characters start which kind of token, which
 * continue a word, and which code units are white space (including the Unicode ones a database
 * or a proxy may treat as a space).
 */

/** Character classes of the ASCII range (`CLASS[c]`); code units >= 128 are word characters unless white. */
export const C_WHITE = 1, C_WORD = 2, C_DIGIT = 3, C_QUOTE = 4, C_TICK = 5, C_DASH = 6, C_SLASH = 7, C_HASH = 8;
export const C_OP1 = 9, C_OP2 = 10, C_CHAR = 11, C_DOT = 12, C_VAR = 13, C_MONEY = 14, C_BACKSLASH = 15, C_BRACKET = 16, C_OTHER = 17;
export const CLASS = new Uint8Array(128).fill(C_WHITE);
for (let c = 0x21; c < 0x7f; c++) CLASS[c] = C_WORD;
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = C_DIGIT;
for (const [chars, cls] of [
  ['\'"', C_QUOTE], ['`', C_TICK], ['-', C_DASH], ['/', C_SLASH], ['#', C_HASH], ['%*+', C_OP1], ['!<>=|&:~^', C_OP2],
  ['(),;{}', C_CHAR], ['.', C_DOT], ['@', C_VAR], ['$', C_MONEY], ['\\', C_BACKSLASH], ['[', C_BRACKET], [']?', C_OTHER],
] as const) for (const ch of chars) CLASS[ch.charCodeAt(0)] = cls;

/** Characters that continue a word (`WORD[c] === 1`): letters, digits, `_`, `.`, `$` and `` ` ``. */
export const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const cls = CLASS[c];
  WORD[c] = cls === C_WORD || cls === C_DIGIT || cls === C_DOT || cls === C_MONEY || cls === C_TICK ? 1 : 0;
}

/**
 * Whether a code unit separates words (white space or SQL punctuation).
 *
 * @example
 * ```ts
 * isWordEnd(0x28); // true: '('
 * isWordEnd(0x2e); // false: '.' continues a qualified name
 * ```
 */
export function isWordEnd(c: number): boolean {
  return c < 128 ? WORD[c] === 0 : isWhiteHigh(c);
}

/**
 * Whether a non-ASCII code unit is white space (no-break space, the U+2000 range, U+3000 …).
 *
 * @example
 * ```ts
 * isWhiteHigh(0xa0); // true
 * ```
 */
export function isWhiteHigh(c: number): boolean {
  return c === 0xa0 || c === 0x85 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * Whether a code unit is white space to the tokenizer (control characters included).
 *
 * @example
 * ```ts
 * isWhite(0x09); // true
 * ```
 */
export function isWhite(c: number): boolean {
  return c < 128 ? CLASS[c] === C_WHITE : isWhiteHigh(c);
}

