/**
 * The WAF's input normaliser: undoes the encodings attackers stack to slip a payload past
 * pattern matching, so every detector sees one canonical form.
 *
 * {@link normalize} decodes, in bounded passes, percent-encoding (also `%uXXXX` and lenient
 * overlong UTF-8 such as `%c0%af`), HTML character references, and `\uXXXX` / `\u{…}` / `\xHH`
 * escapes; then folds full-width and other compatibility forms (NFKC, only for non-ASCII values)
 * and drops NUL, control (except tab, CR, LF) and zero-width characters. Case, comments and
 * whitespace are kept: tokenisers need them. {@link compact} is the further, lossy form for
 * pattern-style detectors.
 *
 * Cost is linear: each pass is one left-to-right scan whose output is not rescanned in that pass.
 * Values longer than `maxLength` are inspected on their first `maxLength` characters only; the
 * caller learns that by comparing the raw value's length with `maxLength` (the WAF policy refuses
 * or flags such values itself).
 */

/**
 * Options of {@link normalize}.
 *
 * @example `normalize(value, { maxDecodePasses: 2, maxLength: 8192 })`
 */
export interface NormalizeOptions {
  /** Most decoding passes (each undoes one layer of nested encoding); default 3, at most 8. */
  readonly maxDecodePasses?: number;
  /** Longest value inspected; longer input is cut to this many characters; default 65,536. */
  readonly maxLength?: number;
}

/**
 * What normalisation saw besides the text (the caller resets it before each value): evasion that
 * is a signal in itself.
 */
export interface NormalizeSignals {
  /**
   * `<` or `>` spelled as a numeric character reference or a backslash escape (`&#x3c`, `&#060`,
   * `\x3c`, `\u003c`): ordinary escaping uses `&lt;`, so this spelling is markup in disguise.
   */
  encodedMarkup: boolean;
}

/**
 * Default bound on decoding passes (`%25252e` needs three).
 *
 * @example `normalize(v, { maxDecodePasses: DEFAULT_DECODE_PASSES })`
 */
export const DEFAULT_DECODE_PASSES = 3;
/**
 * Default bound on the inspected length, in UTF-16 code units.
 *
 * @example `const truncated = raw.length > DEFAULT_MAX_LENGTH`
 */
export const DEFAULT_MAX_LENGTH = 65_536;
const MAX_PASSES = 8;

/** Hex digit value of a char code, or -1. */
function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** The byte of a `%HH` at i, or -1. */
function pctByte(s: string, i: number): number {
  if (s.charCodeAt(i) !== 37) return -1;
  const h = hex(s.charCodeAt(i + 1));
  if (h < 0) return -1;
  const l = hex(s.charCodeAt(i + 2));
  return l < 0 ? -1 : (h << 4) | l;
}

/** Value of `n` hex digits at i, or -1. */
function hexRun(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const h = hex(s.charCodeAt(i + k));
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

/** Result of decoding one escape: the text and how many input characters it used. */
interface Step { text: string; used: number }
const NONE: Step = { text: '', used: 0 };

/**
 * Decodes the percent escape at i (s[i] is '%'): `%uXXXX`, or a run of `%HH` bytes forming one
 * UTF-8 sequence. Overlong forms decode to what they spell (as IIS did); a C0/C1 lead byte takes
 * the low six bits of whatever byte follows (`%c0%2e`, `%c0%ae` → `.`); other invalid bytes drop.
 * Five- and six-byte leads are read too, and dropped unless they spell a valid code point.
 */
function decodePercent(s: string, i: number): Step {
  const c1 = s.charCodeAt(i + 1);
  if (c1 === 117 || c1 === 85) {
    const v = hexRun(s, i + 2, 4);
    return v < 0 ? NONE : { text: String.fromCharCode(v), used: 6 };
  }
  const b0 = pctByte(s, i);
  if (b0 < 0) return NONE;
  if (b0 < 0x80) return { text: String.fromCharCode(b0), used: 3 };
  let need: number;
  let cp: number;
  if (b0 === 0xc0 || b0 === 0xc1) {
    const b1 = pctByte(s, i + 3);
    if (b1 < 0) return { text: '', used: 3 };
    const masked = ((b0 & 1) << 6) | (b1 & 0x3f);
    // `%c0%5c` masks to a control character; a decoder that drops the bad lead byte sees `\`.
    return { text: String.fromCharCode(masked < 0x20 && b1 < 0x80 ? b1 : masked), used: 6 };
  }
  if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { need = 2; cp = b0 & 0x0f; }
  else if (b0 >= 0xf0 && b0 <= 0xf7) { need = 3; cp = b0 & 0x07; }
  // Five- and six-byte forms (RFC 2279) survive only as overlongs of ASCII (`%f8%80%80%80%af`).
  else if (b0 >= 0xf8 && b0 <= 0xfb) { need = 4; cp = b0 & 0x03; }
  else if (b0 === 0xfc || b0 === 0xfd) { need = 5; cp = b0 & 0x01; }
  else return { text: '', used: 3 };
  for (let k = 1; k <= need; k++) {
    const b = pctByte(s, i + 3 * k);
    if (b < 0x80 || b > 0xbf) return { text: '', used: 3 };
    cp = cp * 64 + (b & 0x3f);
  }
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { text: '', used: 3 * (need + 1) };
  return { text: String.fromCodePoint(cp), used: 3 * (need + 1) };
}

/**
 * Named character references worth decoding: those that spell markup, separators or code
 * (`&lpar;` `&colon;` in `javascript&colon;alert&lpar;1&rpar;`). Looked up case-sensitively,
 * then lower-cased.
 */
const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"], ['nbsp', '\u00a0'], ['colon', ':'],
  ['semi', ';'], ['comma', ','], ['period', '.'], ['excl', '!'], ['quest', '?'], ['num', '#'], ['dollar', '$'],
  ['percnt', '%'], ['ast', '*'], ['midast', '*'], ['plus', '+'], ['equals', '='], ['grave', '`'], ['hat', '^'],
  ['verbar', '|'], ['vert', '|'], ['lowbar', '_'], ['commat', '@'], ['sol', '/'], ['bsol', '\\'], ['lpar', '('],
  ['rpar', ')'], ['lsqb', '['], ['rsqb', ']'], ['lbrack', '['], ['rbrack', ']'], ['lcub', '{'], ['rcub', '}'],
  ['lbrace', '{'], ['rbrace', '}'], ['tab', '\t'], ['newline', '\n'], ['hyphen', '-'], ['dash', '-'], ['minus', '-'],
]);
/** References a browser decodes even without the closing `;`. */
const LEGACY = new Set(['lt', 'gt', 'amp', 'quot']);
const MAX_ENTITY_NAME = 8;

/** Decodes the character reference at i (s[i] is '&'): named, `&#DDD`, `&#xHH`, `;` optional for numbers. */
function decodeEntity(s: string, i: number, signals: NormalizeSignals | undefined): Step {
  let j = i + 1;
  if (s.charCodeAt(j) === 35) {
    j++;
    const isHex = (s.charCodeAt(j) | 0x20) === 120;
    if (isHex) j++;
    const base = isHex ? 16 : 10;
    while (s.charCodeAt(j) === 48) j++;
    let v = 0;
    const start = j;
    for (; j < start + 8; j++) {
      const c = s.charCodeAt(j);
      const d = isHex ? hex(c) : c >= 48 && c <= 57 ? c - 48 : -1;
      if (d < 0) break;
      v = v * base + d;
    }
    if (j === i + (isHex ? 3 : 2) || v > 0x10ffff) return NONE;
    if (s.charCodeAt(j) === 59) j++;
    if ((v === 60 || v === 62) && signals !== undefined) signals.encodedMarkup = true;
    return { text: v === 0 ? '' : String.fromCodePoint(v), used: j - i };
  }
  for (; j < i + 1 + MAX_ENTITY_NAME; j++) {
    const l = s.charCodeAt(j) | 0x20;
    if (l < 97 || l > 122) break;
  }
  if (j === i + 1) return NONE;
  const name = s.slice(i + 1, j);
  const text = ENTITIES.get(name) ?? ENTITIES.get(name.toLowerCase());
  if (text === undefined) return NONE;
  if (s.charCodeAt(j) === 59) return { text, used: j + 1 - i };
  return LEGACY.has(name.toLowerCase()) ? { text, used: j - i } : NONE;
}

/** Decodes `\uXXXX`, `\u{…}` or `\xHH` at i (s[i] is a backslash), noting an escaped `<` or `>`. */
function decodeBackslash(s: string, i: number, signals: NormalizeSignals | undefined): Step {
  const step = decodeEscape(s, i);
  if (signals !== undefined && step.used > 0 && (step.text === '<' || step.text === '>')) signals.encodedMarkup = true;
  return step;
}

function decodeEscape(s: string, i: number): Step {
  const c1 = s.charCodeAt(i + 1);
  if (c1 === 120 || c1 === 88) {
    const v = hexRun(s, i + 2, 2);
    return v < 0 ? NONE : { text: String.fromCharCode(v), used: 4 };
  }
  if (c1 !== 117 && c1 !== 85) return NONE;
  if (s.charCodeAt(i + 2) === 123) {
    let v = 0;
    let j = i + 3;
    // Six hex digits reach U+10FFFF; leading zeros are skipped so `\u{0000002e}` still decodes.
    while (s.charCodeAt(j) === 48) j++;
    const start = j;
    for (; j < start + 7; j++) {
      const h = hex(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
    }
    if (s.charCodeAt(j) !== 125 || v > 0x10ffff || j === i + 3) return NONE;
    return { text: String.fromCodePoint(v), used: j + 1 - i };
  }
  const v = hexRun(s, i + 2, 4);
  return v < 0 ? NONE : { text: String.fromCharCode(v), used: 6 };
}

/** One decoding pass; returns the input itself when nothing was decoded. */
function decodePass(s: string, signals: NormalizeSignals | undefined): string {
  let out = '';
  let last = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let step: Step;
    if (c === 37) step = decodePercent(s, i);
    else if (c === 38) step = decodeEntity(s, i, signals);
    else if (c === 92) step = decodeBackslash(s, i, signals);
    else continue;
    if (step.used === 0) continue;
    out += s.slice(last, i) + step.text;
    i += step.used - 1;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** True when the value holds nothing normalisation would change. */
function isPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 || c === 38 || c === 92 || c >= 0x7f || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) return false;
  }
  return true;
}

/** Characters NFKC leaves alone that read as separators, dots or quotes to a lenient decoder (primes and curly quotes pasted into payloads). */
const CONFUSABLES: Readonly<Record<number, string>> = {
  0x2215: '/', 0x2044: '/', 0x29f8: '/', 0x2216: '\\', 0x29f9: '\\', 0x2024: '.', 0x2028: '\n', 0x2029: '\n', 0x02bc: "'", 0x2018: "'", 0x2019: "'", 0x2032: "'", 0x2033: '"', 0x201c: '"', 0x201d: '"',
};

/** Folds non-ASCII forms and drops characters that carry nothing but evasion. */
function fold(s: string): string {
  let nonAscii = false;
  let drop = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x7f) nonAscii = true;
    else if (c < 0x20 && c !== 9 && c !== 10 && c !== 13) drop = true;
  }
  if (!nonAscii && !drop) return s;
  const t = nonAscii ? s.normalize('NFKC') : s;
  let out = '';
  let last = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    let rep: string | undefined;
    // Form feed and vertical tab separate attributes in HTML (`<svg\fonload=…>`): a space, not nothing.
    if (c < 0x20) { if (c === 9 || c === 10 || c === 13) continue; rep = c === 0x0b || c === 0x0c ? ' ' : ''; }
    else if (c < 0x7f) continue;
    else if (c === 0x85) rep = '\n';
    else if (c <= 0x9f || c === 0xad || (c >= 0x200b && c <= 0x200f) || c === 0x2060 || c === 0xfeff) rep = '';
    else rep = CONFUSABLES[c];
    if (rep === undefined) continue;
    out += t.slice(last, i) + rep;
    last = i + 1;
  }
  return last === 0 ? t : out + t.slice(last);
}

/**
 * Canonical form of one input value for the detectors (see the module comment). Never throws;
 * malformed escapes are left as they are. `+` is not turned into a space: the caller does that
 * for query and form values before calling.
 *
 * @example
 * ```ts
 * normalize('%252e%252e%252f');   // '../'
 * normalize('&lt;script&#62;');   // '<script>'
 * normalize('ｃａｔ\u0000 /etc');   // 'cat /etc'
 * normalize('plain');             // 'plain' (the same string, no allocation)
 * ```
 */
export function normalize(value: string, options?: NormalizeOptions, signals?: NormalizeSignals): string {
  const maxLength = options?.maxLength ?? DEFAULT_MAX_LENGTH;
  let s = value.length > maxLength ? value.slice(0, maxLength) : value;
  if (isPlain(s)) return s;
  const passes = Math.min(options?.maxDecodePasses ?? DEFAULT_DECODE_PASSES, MAX_PASSES);
  for (let p = 0; p < passes; p++) {
    const next = decodePass(s, signals);
    if (next === s) break;
    s = next;
  }
  s = fold(s);
  return s.length > maxLength ? s.slice(0, maxLength) : s;
}

/**
 * The lossy form for pattern-style detectors: lower-cased, `/*…*\/` comments replaced by a space
 * (an unterminated one is kept), and runs of whitespace collapsed to one space. Linear time.
 *
 * @example
 * ```ts
 * compact('UNION/**\/SELECT\t\t1'); // 'union select 1'
 * ```
 */
export function compact(value: string): string {
  const s = value.toLowerCase();
  let out = '';
  let last = 0;
  let noClose = false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let end = i;
    if (c === 47 && !noClose && s.charCodeAt(i + 1) === 42) {
      const close = s.indexOf('*/', i + 2);
      // Once no terminator is left, none will be found later: stop looking (keeps this linear).
      if (close < 0) { noClose = true; continue; }
      end = close + 1;
    } else if (c === 32 || (c >= 9 && c <= 13)) {
      if (c === 32 && !isSpace(s.charCodeAt(i + 1)) && !(s.charCodeAt(i + 1) === 47 && s.charCodeAt(i + 2) === 42)) continue;
    } else continue;
    // A comment or a whitespace run (with comments inside it) becomes one space.
    let j = end + 1;
    for (;;) {
      if (isSpace(s.charCodeAt(j))) { j++; continue; }
      if (!noClose && s.charCodeAt(j) === 47 && s.charCodeAt(j + 1) === 42) {
        const close = s.indexOf('*/', j + 2);
        if (close < 0) { noClose = true; break; }
        j = close + 2;
        continue;
      }
      break;
    }
    out += s.slice(last, i) + ' ';
    last = j;
    i = j - 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
