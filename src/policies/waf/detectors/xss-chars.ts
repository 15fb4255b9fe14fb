/**
 * Character-level helpers shared by the XSS detector's URL and CSS readers: HTML character
 * references decoded the way a browser decodes them in attribute values, hex digits, and the
 * characters the URL parser ignores.
 */

/** Where the last readChar() stopped (module scratch: detection is synchronous). */
export let readEnd = 0;

const NAMED: ReadonlyMap<string, number> = new Map([
  ['Tab;', 9], ['NewLine;', 10], ['colon;', 58], ['lpar;', 40], ['rpar;', 41], ['sol;', 47], ['lt;', 60],
  ['gt;', 62], ['quot;', 34], ['apos;', 39], ['amp;', 38], ['nbsp;', 160], ['bsol;', 92], ['grave;', 96],
]);

/**
 * The value of a hex digit, or -1.
 *
 * @example
 * ```ts
 * hexValue(0x61) // 10
 * ```
 */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/**
 * The character at i with HTML character references decoded (`&#x6A;`, `&#106`, `&Tab;`); sets
 * readEnd to the index after it. Malformed references read as a plain `&`.
 *
 * @example
 * ```ts
 * readChar('&#106;s', 0, 7) // 0x6a, and readEnd === 6
 * ```
 */
export function readChar(s: string, i: number, limit: number): number {
  const c = s.charCodeAt(i);
  readEnd = i + 1;
  if (c !== 0x26 || i + 2 >= limit) return c;
  if (s.charCodeAt(i + 1) === 0x23) {
    let j = i + 2;
    const hex = (s.charCodeAt(j) | 0x20) === 0x78;
    if (hex) j++;
    let v = 0, digits = 0;
    for (; j < limit && digits < 8; j++, digits++) {
      const d = hex ? hexValue(s.charCodeAt(j)) : s.charCodeAt(j) - 0x30;
      if (d < 0 || d > (hex ? 15 : 9)) break;
      v = v * (hex ? 16 : 10) + d;
    }
    if (digits === 0 || v > 0x10ffff) return c;
    readEnd = j < limit && s.charCodeAt(j) === 0x3b ? j + 1 : j;
    return v;
  }
  let semi = i + 1;
  const stop = Math.min(limit, i + 10);
  while (semi < stop && s.charCodeAt(semi) !== 0x3b) semi++;
  if (semi >= stop) return c;
  const v = NAMED.get(s.slice(i + 1, semi + 1));
  if (v === undefined) return c;
  readEnd = semi + 1;
  return v;
}

/**
 * Tab, LF, CR (the URL parser removes them anywhere) and NUL (old IE skipped it).
 *
 * @example
 * ```ts
 * isUrlIgnorable(0x09) // true
 * ```
 */
export function isUrlIgnorable(c: number): boolean {
  return c === 0x09 || c === 0x0a || c === 0x0d || c === 0;
}

/**
 * A character of a JavaScript identifier (ASCII).
 *
 * @example
 * ```ts
 * isIdentChar(0x24) // true: `$`
 * ```
 */
export function isIdentChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f || c === 0x24;
}

