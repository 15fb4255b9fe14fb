/**
 * CRLF injection and HTTP response splitting (class `crlf`).
 *
 * A CR or LF (after decoding) followed by something an HTTP parser would take as a new header or
 * a new message:
 * - `crlf.header` (level 1): a header that changes the response (`Set-Cookie:`,
 *   `Content-Type:`, `Transfer-Encoding:`, `Access-Control-…:`, `X-…:`, …) or a status line
 *   (`HTTP/1.1`); for query, path, header and cookie values also any other `Name:` header shape
 *   (a newline has no business there). In JSON and form text — where newlines end lines of prose
 *   such as `Note: …` — other `Name:` shapes count from level 2.
 * - `crlf.body` (level 1 outside JSON and forms): a blank line followed by markup (`\r\n\r\n<html>`).
 * - `crlf.newline` (level 2, header and cookie values only): any decoded CR or LF.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';

const HEADER: DetectorHit = Object.freeze({ rule: 'crlf.header', score: 5 });
const HEADER_WEAK: DetectorHit = Object.freeze({ rule: 'crlf.header', score: 3 });
const BODY: DetectorHit = Object.freeze({ rule: 'crlf.body', score: 5 });
const BODY_WEAK: DetectorHit = Object.freeze({ rule: 'crlf.body', score: 3 });
const NEWLINE: DetectorHit = Object.freeze({ rule: 'crlf.newline', score: 3 });

/** Response headers whose injection is an attack in any location (lower case). */
const DANGEROUS: ReadonlySet<string> = new Set([
  'set-cookie', 'set-cookie2', 'content-type', 'content-length', 'transfer-encoding', 'content-security-policy',
  'content-disposition', 'refresh', 'access-control-allow-origin', 'access-control-allow-credentials',
  'access-control-allow-headers', 'access-control-allow-methods', 'strict-transport-security', 'www-authenticate',
  'proxy-authenticate', 'cache-control', 'content-encoding', 'x-xss-protection', 'x-frame-options',
  'x-content-type-options', 'x-forwarded-for', 'x-forwarded-host', 'x-original-url', 'x-rewrite-url',
]);

/** Longest header name looked at. */
const MAX_NAME = 40;

/** RFC 9110 token characters. */
function isTchar(c: number): boolean {
  const l = c | 0x20;
  return (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 33 || c === 35 || c === 36 || c === 37 ||
    c === 38 || c === 39 || c === 42 || c === 43 || c === 46 || c === 94 || c === 96 || c === 124 || c === 126;
}

/** What starts at i after a line break: 2 dangerous header, 1 other header shape, 0 nothing. */
function headerAt(s: string, i: number): number {
  let j = i;
  while (j < s.length && j - i <= MAX_NAME && isTchar(s.charCodeAt(j))) j++;
  if (j === i) return 0;
  const name = s.slice(i, j).toLowerCase();
  if (name === 'http' && s.charCodeAt(j) === 47) return 2;
  let k = j;
  while ((s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9) && k < j + 64) k++;
  if (s.charCodeAt(k) !== 58) return 0;
  // `Name: ` with a space before the colon is prose, not a header field (RFC 9112 forbids it).
  if (k !== j) return 0;
  if (DANGEROUS.has(name) || name.startsWith('x-') || name.startsWith('access-control-')) return 2;
  // Debris of a half-decoded break before the name (`%%0a0aSet-Cookie` leaves `0aSet-Cookie`).
  for (const d of DANGEROUS) if (name.endsWith(d) && isTchar(name.charCodeAt(name.length - d.length - 1))) return 2;
  return 1;
}

/**
 * The CRLF-injection detector.
 *
 * @example
 * ```ts
 * crlf.detect('/\r\nSet-Cookie: a=b', 1, 'query'); // { rule: 'crlf.header', score: 5 }
 * crlf.detect('line one\nline two', 1, 'json-value'); // undefined
 * ```
 */
export const crlf: Detector = {
  ruleClass: 'crlf',
  detect(value: string, paranoia: ParanoiaLevel, location: InputLocation): DetectorHit | undefined {
    let first = value.indexOf('\n');
    const cr = value.indexOf('\r');
    if (first < 0 || (cr >= 0 && cr < first)) first = cr;
    if (first < 0) return undefined;
    const text = location === 'json-value' || location === 'form';
    let weak: DetectorHit | undefined = paranoia >= 2 && (location === 'header' || location === 'cookie') ? NEWLINE : undefined;
    for (let i = first; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      let j = i + 1;
      let blank = false;
      while (value.charCodeAt(j) === 10 || value.charCodeAt(j) === 13) {
        if (value.charCodeAt(j) === c || j > i + 1) blank = true;
        j++;
      }
      // A folded line (leading space) is a continuation; skip the spaces and look at what follows.
      while (value.charCodeAt(j) === 32 || value.charCodeAt(j) === 9) j++;
      const kind = headerAt(value, j);
      if (kind === 2 || (kind === 1 && !text)) return HEADER;
      if (kind === 1 && paranoia >= 2) weak = HEADER_WEAK;
      if (blank && value.charCodeAt(j) === 60) {
        if (!text) return BODY;
        if (paranoia >= 2) weak = BODY_WEAK;
      }
      i = j - 1;
    }
    return weak;
  },
};
