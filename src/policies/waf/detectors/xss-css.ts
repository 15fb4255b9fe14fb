/**
 * CSS as a browser reads a style attribute: character references, CSS escapes (`\65 xpression`)
 * and comments (`exp/**\/ression`) undone, then checked for script (`expression(`, script URLs,
 * bindings) and for anything beyond plain declarations (what CSS-injection payloads need).
 */
import { hexValue, readChar, readEnd } from './xss-chars.js';

const CSS_LIMIT = 4096;

/**
 * s[a, b) as CSS reads it: character references, CSS escapes and comments undone, NULs dropped.
 * Bounded to the first 4096 characters.
 *
 * @example
 * ```ts
 * decodeCss('x:\\65 xpr/**\/ession(1)', 0, 23) // 'x:expression(1)'
 * ```
 */
export function decodeCss(s: string, a: number, b: number): string {
  const end = Math.min(b, a + CSS_LIMIT);
  let out = '';
  let pos = a;
  while (pos < end) {
    const c = readChar(s, pos, end);
    let next = readEnd;
    if (c === 0x2f && s.charCodeAt(next) === 0x2a) {
      const close = s.indexOf('*/', next + 1);
      pos = close < 0 || close >= end ? end : close + 2;
      continue;
    }
    if (c === 0x5c && next < end) {
      let v = 0, digits = 0;
      while (digits < 6 && next < end && hexValue(s.charCodeAt(next)) >= 0) { v = v * 16 + hexValue(s.charCodeAt(next)); next++; digits++; }
      if (digits > 0) {
        if (next < end && s.charCodeAt(next) <= 0x20) next++;
        if (v > 0 && v <= 0x10ffff) out += String.fromCodePoint(v);
      } else {
        const e = s.charCodeAt(next++);
        if (e !== 0x0a) out += String.fromCharCode(e);
      }
      pos = next;
      continue;
    }
    if (c !== 0) out += String.fromCodePoint(c);
    pos = next;
  }
  return out;
}

const CSS_NEEDLES = ['expression(', 'javascript:', 'vbscript:', 'livescript:', '-moz-binding', 'behavior:', 'behaviour:', '@import', '-o-link:'];

/**
 * Whether decoded CSS runs script or loads a binding: `expression(`, a script URL, `-moz-binding`,
 * `behavior:`, `@import`. Case and whitespace are ignored.
 *
 * @example
 * ```ts
 * isDangerousCss('width: Expression ( alert(1) )') // true
 * ```
 */
export function isDangerousCss(css: string): boolean {
  let compact = '';
  for (let i = 0; i < css.length; i++) {
    const c = css.charCodeAt(i);
    if (c > 0x20) compact += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c | 0x20) : css.charAt(i);
  }
  for (const n of CSS_NEEDLES) if (compact.includes(n)) return true;
  return false;
}

/** Characters plain inline declarations (`color: red; margin: 0 auto`) never need. */
const UNUSUAL_CSS = new Set(['{', '}', '[', ']', '\\', '<', '>', '@', '`'].map((c) => c.charCodeAt(0)));

/**
 * Whether a style attribute's decoded CSS goes beyond plain declarations: blocks, brackets,
 * escapes, markup characters, control characters or a line break inside a string, a resource load
 * (`url(`), or unbalanced quotes or parentheses. Such CSS loads remote content or confuses CSS parsers
 * (old IE read `{`, `[` and unclosed strings differently), which CSS-injection payloads rely on.
 *
 * @example
 * ```ts
 * isUnusualCss('color: red; font-family: "Helvetica Neue", Arial') // false
 * isUnusualCss("font-family:'foo[a];color:red;'") // true
 * ```
 */
export function isUnusualCss(css: string): boolean {
  let parens = 0;
  let quote = 0;
  for (let i = 0; i < css.length; i++) {
    const c = css.charCodeAt(i);
    if (UNUSUAL_CSS.has(c) || (c < 0x20 && c !== 0x09 && (quote !== 0 || (c !== 0x0a && c !== 0x0d))) || c === 0x7f) return true;
    if (quote !== 0) { if (c === quote) quote = 0; continue; }
    if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x28) parens++;
    else if (c === 0x29 && --parens < 0) return true;
  }
  if (parens !== 0 || quote !== 0) return true;
  const lower = css.toLowerCase();
  return lower.includes('url(') || lower.includes('image(') || lower.includes('image-set(');
}
