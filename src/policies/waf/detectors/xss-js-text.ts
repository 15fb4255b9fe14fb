/**
 * Text structure the JavaScript checks ask about: identifiers, spaces, and for the value being
 * scanned, which bracket matches which and whether a quote closes a string the value opened. The
 * structure is computed once per value in one pass (so matching stays linear however many
 * brackets an attacker sends) and kept in module buffers that grow to the longest value seen.
 */

const PAREN = 0x28, CLOSE_PAREN = 0x29, TICK = 0x60, BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, DQ = 0x22, SQ = 0x27;

/**
 * A character of a JavaScript identifier (ASCII).
 *
 * @example
 * ```ts
 * isIdent(0x5f) // true: `_`
 * ```
 */
export function isIdent(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f || c === 0x24;
}

/**
 * A JavaScript string or template quote.
 *
 * @example
 * ```ts
 * isQuote(0x60) // true: a backtick
 * ```
 */
export function isQuote(c: number): boolean {
  return c === DQ || c === SQ || c === TICK;
}

/**
 * The last non-space index at or before j, skipping at most bound spaces.
 *
 * @example
 * ```ts
 * skipBack('a  (', 2, 8) // 0
 * ```
 */
export function skipBack(s: string, j: number, bound: number): number {
  const stop = j - bound;
  while (j >= 0 && j > stop && s.charCodeAt(j) <= 0x20) j--;
  return j;
}

/**
 * The first non-space index at or after i, skipping at most bound spaces.
 *
 * @example
 * ```ts
 * skipFwd('(  1', 1, 8) // 3
 * ```
 */
export function skipFwd(s: string, i: number, bound: number): number {
  const stop = Math.min(s.length, i + bound);
  while (i < stop && s.charCodeAt(i) <= 0x20) i++;
  return i;
}

/**
 * Start of the identifier ending at j (inclusive), or -1 when it is longer than 32.
 *
 * @example
 * ```ts
 * identStart('x.alert(', 6) // 2
 * ```
 */
export function identStart(s: string, j: number): number {
  let k = j;
  while (k >= 0 && j - k < 32 && isIdent(s.charCodeAt(k))) k--;
  return k >= 0 && isIdent(s.charCodeAt(k)) ? -1 : k + 1;
}

/** Index of the matching `(`/`)` or `[`/`]` of each bracket of the value `partnersOf`, -1 if none. */
let partners = new Int32Array(256);
/** Per quote character: 1 if an odd number of the same quote precedes it (it closes one opened in the value). */
let parity = new Uint8Array(256);
let partnersOf: string | undefined;
const parenStack: number[] = [];
const bracketStack: number[] = [];

function analyse(s: string): void {
  if (partnersOf === s) return;
  if (partners.length < s.length) {
    partners = new Int32Array(Math.max(s.length, partners.length * 2));
    parity = new Uint8Array(partners.length);
  }
  partners.fill(-1, 0, s.length);
  parenStack.length = 0;
  bracketStack.length = 0;
  let dq = 0, sq = 0, bt = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === DQ) parity[k] = dq++ & 1;
    else if (c === SQ) parity[k] = sq++ & 1;
    else if (c === TICK) parity[k] = bt++ & 1;
    else if (c === PAREN) parenStack.push(k);
    else if (c === BRACKET) bracketStack.push(k);
    else if (c === CLOSE_PAREN || c === CLOSE_BRACKET) {
      // Parentheses and brackets pair separately; a closer without an opener stays unmatched.
      const o = (c === CLOSE_PAREN ? parenStack : bracketStack).pop();
      if (o === undefined) continue;
      partners[o] = k;
      partners[k] = o;
    }
  }
  partnersOf = s;
}

function partner(s: string, i: number): number {
  analyse(s);
  return partners[i] ?? -1;
}

/**
 * Whether the quote at q closes a string the value did not open: an even number of the same quote
 * comes before it. Code that concatenates its own strings (`'<b>' + esc(x) + '</b>'`) fails this;
 * an injection that ends the page's string (`";f(1)//`) passes.
 *
 * @example
 * ```ts
 * closesOuterString('";f(1)//', 0) // true
 * ```
 */
export function closesOuterString(s: string, q: number): boolean {
  analyse(s);
  return parity[q] === 0;
}

/**
 * The matching `)` of the `(` at open, within 256 characters, or -1.
 *
 * @example
 * ```ts
 * closeParen('f(g(1))', 1) // 6
 * ```
 */
export function closeParen(s: string, open: number): number {
  const close = partner(s, open);
  return close > open && close - open <= 256 ? close : -1;
}

/**
 * The matching opener of the `)` or `]` at j, at most bound characters back, or -1.
 *
 * @example
 * ```ts
 * openBack('top[x](1)', 5, 128) // 3
 * ```
 */
export function openBack(s: string, j: number, bound: number): number {
  const open = partner(s, j);
  return open >= 0 && open < j && j - open <= bound ? open : -1;
}
