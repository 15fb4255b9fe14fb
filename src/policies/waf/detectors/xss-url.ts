/**
 * Script URLs and dangerous CSS, read the way a browser reads them: an attribute value's character
 * references are decoded, the URL parser drops leading spaces and control characters and any tab or
 * newline inside the URL, the scheme is case-insensitive (`jAvA\tsCrIpT&colon;`). data: URLs count
 * when their media type renders as a document or runs as script.
 */
import { isIdentChar, isUrlIgnorable, readChar, readEnd } from './xss-chars.js';
import { ACTIVE_DATA_TYPES } from './xss-tables.js';

const SCHEMES = ['javascript', 'vbscript', 'livescript', 'data', 'mocha'] as const;

/** What {@link schemeAt} found. */
export const Scheme = {
  none: 0,
  script: 1,
  /** A data: URL that renders as a document or runs as script. */
  activeData: 2,
  /** A data: URL of an image, text or anything else inert. */
  inertData: 3,
  /** data:image/svg+xml: inert where an image is loaded (`<img src>`), a document where navigated to. */
  svgData: 4,
} as const;

/** One of {@link Scheme}'s values. */
export type SchemeValue = (typeof Scheme)[keyof typeof Scheme];

/** Index just after the colon of the last scheme schemeAt() matched. */
export let schemeEnd = 0;

/**
 * Whether a script scheme (or a data: URL) starts exactly at i. Sets {@link schemeEnd}.
 *
 * @example
 * ```ts
 * schemeAt('java\tscript:x', 0, 13) // Scheme.script
 * ```
 */
export function schemeAt(s: string, i: number, limit: number): SchemeValue {
  const first = readChar(s, i, limit) | 0x20;
  const name = first === 0x6a ? SCHEMES[0] : first === 0x76 ? SCHEMES[1] : first === 0x6c ? SCHEMES[2]
    : first === 0x64 ? SCHEMES[3] : first === 0x6d ? SCHEMES[4] : undefined;
  if (name === undefined) return Scheme.none;
  let k = 1;
  let pos = readEnd;
  // Ignorables are bounded so that a scan trying every position stays linear.
  for (let skipped = 0; pos < limit && skipped < 64;) {
    const c = readChar(s, pos, limit);
    if (isUrlIgnorable(c)) { pos = readEnd; skipped++; continue; }
    if (k === name.length) {
      if (c !== 0x3a) return Scheme.none;
      schemeEnd = readEnd;
      return name === 'data' ? dataType(s, readEnd, limit) : Scheme.script;
    }
    if ((c | 0x20) !== name.charCodeAt(k)) return Scheme.none;
    k++;
    pos = readEnd;
  }
  return Scheme.none;
}

/** After `data:`: whether the media type is one that renders or runs. */
function dataType(s: string, i: number, limit: number): SchemeValue {
  let pos = i;
  while (pos < limit && s.charCodeAt(pos) <= 0x20) pos++;
  let end = pos;
  for (; end < limit && end - pos < 64; end++) {
    const c = s.charCodeAt(end);
    if (c === 0x3b || c === 0x2c || c <= 0x20) break;
  }
  const type = s.slice(pos, end).toLowerCase();
  if (type === 'image/svg+xml') return Scheme.svgData;
  return ACTIVE_DATA_TYPES.has(type) ? Scheme.activeData : Scheme.inertData;
}

/**
 * Whether s[a, b), an attribute value that takes a URL, is a script URL once the browser has
 * trimmed it. An SVG data: URL counts unless the attribute only loads an image (loadsImage).
 *
 * @example
 * ```ts
 * isScriptUrl(' &#14; JaVaScRiPt:alert(1)', 0, 26) // true
 * ```
 */
export function isScriptUrl(s: string, a: number, b: number, loadsImage = false): boolean {
  let pos = a;
  while (pos < b) {
    const c = readChar(s, pos, b);
    if (c > 0x20) break;
    pos = readEnd;
  }
  if (pos >= b) return false;
  const found = schemeAt(s, pos, b);
  return found === Scheme.script || found === Scheme.activeData || (found === Scheme.svgData && !loadsImage);
}

/** How strongly a value's text shows a script URL. */
export const SchemeText = {
  none: 0,
  /** `javascript:` as a word, nothing code-like after it (paranoia 2). */
  mention: 1,
  /** The value is a script URL, or code follows the scheme, or a data: URL with an active type. */
  url: 2,
} as const;

/** One of {@link SchemeText}'s values. */
export type SchemeTextValue = (typeof SchemeText)[keyof typeof SchemeText];

function isSchemeChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2b || c === 0x2d || c === 0x2e;
}

/** Punctuation that starts a JavaScript expression, a comment or a regular expression. */
const CODE_START = new Set(['/', '(', '[', '{', "'", '"', '`', '!', '~', '+', '-', '\\', '%'].map((c) => c.charCodeAt(0)));

/** Whether what follows a scheme's colon reads as code rather than prose (`alert(1)`, not `the good parts`). */
function codeFollows(s: string, pos: number, limit: number): boolean {
  while (pos < limit && (s.charCodeAt(pos) <= 0x20)) pos++;
  if (pos >= limit) return false;
  const c = s.charCodeAt(pos);
  if (CODE_START.has(c)) return true;
  if (!isIdentChar(c)) return false;
  // An identifier chain (a.b.c) followed by a call, an index, an assignment or a template.
  for (let bound = 0; pos < limit && bound < 256; bound++) {
    while (pos < limit && isIdentChar(s.charCodeAt(pos))) pos++;
    const n = pos < limit ? s.charCodeAt(pos) : -1;
    if (n === 0x2e && pos + 1 < limit && isIdentChar(s.charCodeAt(pos + 1))) { pos++; continue; }
    return n === 0x28 || n === 0x5b || n === 0x3d || n === 0x60 || (n === 0x3f && s.charCodeAt(pos + 1) === 0x2e);
  }
  return false;
}

/**
 * Scans a whole value for script URLs in its text: the value itself being one (it may be placed in
 * an href), one followed by code anywhere, or an active data: URL.
 *
 * @example
 * ```ts
 * scanSchemeText('x javascript:alert(1)') // SchemeText.url
 * scanSchemeText('I like JavaScript: the good parts') // SchemeText.mention
 * ```
 */
export function scanSchemeText(s: string): SchemeTextValue {
  const n = s.length;
  let leading = 0;
  while (leading < n && s.charCodeAt(leading) <= 0x20) leading++;
  let best: SchemeTextValue = SchemeText.none;
  // Without character references the colon is literal: try only the word before each colon.
  const literal = !(s.includes('&#') || s.includes('&colon') || s.includes('&Tab') || s.includes('&NewLine'));
  for (let i = literal ? schemeBefore(s, s.indexOf(':')) : leading; i >= 0 && i < n;) {
    const found = candidate(s, i, leading);
    if (found === SchemeText.url) return found;
    if (found === SchemeText.mention) best = found;
    if (!literal) { i++; continue; }
    const colon = s.indexOf(':', i);
    i = colon < 0 ? -1 : schemeBefore(s, s.indexOf(':', colon + 1));
  }
  return best;
}

/**
 * Start of the run of letters and URL-ignorable characters before the colon at p (at most 80),
 * or p itself (which no scheme starts at) when there is none; -1 when p is -1.
 */
function schemeBefore(s: string, p: number): number {
  if (p < 0) return -1;
  let k = p - 1;
  while (k >= 0 && p - k <= 80) {
    const c = s.charCodeAt(k);
    if (!(((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || isUrlIgnorable(c))) break;
    k--;
  }
  k++;
  while (k < p && isUrlIgnorable(s.charCodeAt(k))) k++;
  return k;
}

/** What a scheme starting at i means for the value (see scanSchemeText). */
function candidate(s: string, i: number, leading: number): SchemeTextValue {
  const c = s.charCodeAt(i);
  const l = c | 0x20;
  if (l !== 0x6a && l !== 0x76 && l !== 0x6c && l !== 0x64 && l !== 0x6d && c !== 0x26) return SchemeText.none;
  if (i > 0 && isSchemeChar(s.charCodeAt(i - 1))) return SchemeText.none;
  const n = s.length;
  const found = schemeAt(s, i, n);
  if (found === Scheme.activeData) return SchemeText.url;
  if (found !== Scheme.script) return SchemeText.none;
  const end = schemeEnd;
  // A value that is a script URL runs whatever follows the colon; prose puts a space there
  // ("JavaScript: The Good Parts"), so then code must follow as anywhere else.
  if (i === leading && end < n && s.charCodeAt(end) > 0x20) return SchemeText.url;
  return codeFollows(s, end, n) ? SchemeText.url : SchemeText.mention;
}
