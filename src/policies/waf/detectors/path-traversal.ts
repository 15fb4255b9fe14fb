/**
 * Path traversal and local file inclusion (class `path-traversal`).
 *
 * One left-to-right pass splits the normalised value into name tokens (`[A-Za-z0-9._~$-]` runs)
 * and the characters between them, and looks for:
 * - `path-traversal.dot-dot`: a dots-only token (`..`, `....`) next to a path separator (`/`, `\`,
 *   and the private-use code points some decoders map to one), also `..;/`; the `0x2e0x2e`
 *   spelling. Two or more, or one at the start of the value, are an attack shape (level 1); one
 *   inside text (a relative link in prose) is a warning from level 2.
 * - `path-traversal.sensitive-file`: a file or directory chain that only an attacker asks for
 *   (`etc/passwd`, `proc/…`, `win.ini`, `WEB-INF/…`, `.git/…`, `.env`, `id_rsa`, …); the tables
 *   are in path-traversal-files.ts.
 * - `path-traversal.lfi-wrapper`: a PHP stream wrapper or file scheme (`php://`, `file://`,
 *   `phar://`, `expect://`, …).
 * - `path-traversal.absolute-path`: a Windows drive path (`c:\`), level 2.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';
import { DIRECTORIES, DRIVE_ROOT, FILES, ROOTED, SERVER_EXTENSIONS, WRAPPERS, type Children } from './path-traversal-files.js';

const DOT_DOT: DetectorHit = Object.freeze({ rule: 'path-traversal.dot-dot', score: 5 });
const DOT_DOT_WEAK: DetectorHit = Object.freeze({ rule: 'path-traversal.dot-dot', score: 3 });
const SENSITIVE: DetectorHit = Object.freeze({ rule: 'path-traversal.sensitive-file', score: 5 });
const WRAPPER: DetectorHit = Object.freeze({ rule: 'path-traversal.lfi-wrapper', score: 5 });
const DRIVE: DetectorHit = Object.freeze({ rule: 'path-traversal.absolute-path', score: 3 });
const BASE64: DetectorHit = Object.freeze({ rule: 'path-traversal.base64-path', score: 5 });
const SERVER_FILE: DetectorHit = Object.freeze({ rule: 'path-traversal.server-file', score: 3 });

/** Longest token looked up in the tables (longer ones cannot match). */
const MAX_TOKEN = 28;

/** 1 for token characters, 2 for path separators, 0 otherwise (ASCII only). */
const CLASS = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const l = c | 0x20;
    if ((l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 126 || c === 36 || c === 45) t[c] = 1;
  }
  t[47] = 2;
  t[92] = 2;
  return t;
})();

function kind(c: number): number {
  if (c < 128) return CLASS[c] ?? 0;
  // Private-use code points: dotdotpwn-style "best fit" separators (%uEFC8, %uF025).
  return c >= 0xe000 && c <= 0xf8ff ? 2 : 0;
}

/**
 * Index of the first character that is not a separator, dot, blank or quote: a token before it
 * starts the path. Computed once per value (-1 until then), so the scan stays linear.
 */
function pathStart(s: string, st: Scan): number {
  if (st.pathStart < 0) {
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (kind(c) !== 2 && c !== 46 && c !== 32 && c !== 9 && c !== 34 && c !== 39) break;
    }
    st.pathStart = i;
  }
  return st.pathStart;
}

/** True when a run of separators around i mixes `/` and `\` (`./\/./`). */
function mixedRun(s: string, i: number): boolean {
  let slash = false;
  let back = false;
  for (let j = i; j < i + 8 && kind(s.charCodeAt(j)) === 2; j++) {
    if (s.charCodeAt(j) === 47) slash = true;
    else back = true;
  }
  return slash && back;
}

/**
 * The value with separators and dots spelled as hex (`0x2e0x2e0x2f`, or `..2f` where a `%` was
 * lost) turned back into characters, or undefined when it has none.
 */
function hexSpelled(value: string): string | undefined {
  if (!value.includes('0x') && !value.includes('0X') && !value.includes('..2') && !value.includes('..5')) return undefined;
  const t = value.toLowerCase();
  if (t.includes('0x2') || t.includes('0x5')) {
    return t.replaceAll('0x2e', '.').replaceAll('0x2f', '/').replaceAll('0x5c', '\\');
  }
  if (t.includes('..2f') || t.includes('..5c')) return t.replaceAll('2f', '/').replaceAll('5c', '\\');
  return undefined;
}

/** True when the set holds the token, or the token up to its first inner dot (`passwd.jpg`). */
function has(table: ReadonlySet<string>, t: string): boolean {
  if (table.has(t)) return true;
  const dot = t.indexOf('.', 1);
  return dot > 0 && table.has(t.slice(0, dot));
}

/** True when the token ends with an extension of server-side code or configuration. */
function isServerFile(t: string): boolean {
  const dot = t.lastIndexOf('.');
  return dot > 0 && SERVER_EXTENSIONS.has(t.slice(dot + 1));
}

/** State carried across tokens of one value. */
interface Scan { traversals: number; drive: boolean; serverFile: boolean; pathStart: number; spelled: boolean }

function scan(value: string, st: Scan): DetectorHit | undefined {
  const n = value.length;
  let expect: Children | undefined;
  let i = 0;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (kind(c) !== 1) { i++; continue; }
    const start = i;
    let dotsOnly = true;
    let hasDot = false;
    while (i < n) {
      const d = value.charCodeAt(i);
      if (kind(d) !== 1) break;
      if (d === 46) hasDot = true;
      else {
        dotsOnly = false;
        // Spelled-out hex (`0x2e`): worth the second pass of hexSpelled.
        if ((d | 0x20) === 120 && value.charCodeAt(i - 1) === 48) st.spelled = true;
      }
      i++;
    }
    const len = i - start;
    const prev = start > 0 ? value.charCodeAt(start - 1) : -1;
    const next = i < n ? value.charCodeAt(i) : -1;
    const prevSep = kind(prev) === 2;
    // `..;/` (Tomcat path parameters) and `..%` (an undecodable overlong) count as separators.
    const nextSep = kind(next) === 2 || (next === 59 && kind(value.charCodeAt(i + 1)) === 2) || next === 37;
    if (dotsOnly) {
      // `/...` at the end of a value is an ellipsis, `/..` and `.../` climb.
      const climbs = len >= 2 && (nextSep || prev === 37 || (prevSep && (len === 2 || next !== -1)));
      if (climbs || (nextSep && mixedRun(value, i)) || (prevSep && mixedRun(value, start - 1))) {
        // A climb inside a path (`a/../b`) or at the start of the value is an attack shape; one
        // after a space or quote (`see ../intro.md`) may be a relative link in prose.
        if ((climbs && prevSep) || start <= pathStart(value, st)) return DOT_DOT;
        if (++st.traversals >= 2) return DOT_DOT;
      }
      expect = undefined;
      continue;
    }
    const children = expect;
    expect = undefined;
    const first = value.charCodeAt(start) | 0x20;
    // A lost `%` after dots (`..2f`): also worth the second pass.
    if (first === 46) st.spelled = true;
    if (len > MAX_TOKEN) continue;
    // A drive letter: `c:\`, `c:/`, `c:windows`.
    if (len === 1 && next === 58 && first >= 97 && first <= 122) {
      const after = value.charCodeAt(i + 1);
      if (kind(after) !== 0) {
        st.drive = true;
        expect = DRIVE_ROOT;
        i++;
      }
      continue;
    }
    if (children === '*') return SENSITIVE;
    const wrapperNext = next === 58 && value.charCodeAt(i + 1) === 47 && value.charCodeAt(i + 2) === 47;
    // Only tokens in path position (after a separator, before one, after a directory or a
    // drive) or with a dot (`boot.ini`, `.env`) can be a table entry. No entry starts with a
    // digit, and a word ending a sentence (`details.`) is prose.
    if (!children && !wrapperNext && !prevSep && !nextSep && (!hasDot || value.charCodeAt(i - 1) === 46)) continue;
    if (len < 3 || (first >= 48 && first <= 57)) continue;
    const t = value.slice(start, i).toLowerCase();
    if (wrapperNext && WRAPPERS.has(t)) return WRAPPER;
    if (children && has(children, t)) return SENSITIVE;
    if (FILES.has(t)) return SENSITIVE;
    if (hasDot && (prevSep || start === 0) && (next === -1 || next === 32) && isServerFile(t)) st.serverFile = true;
    if (nextSep) expect = DIRECTORIES.get(t) ?? (prevSep ? ROOTED.get(t) : undefined);
  }
  return undefined;
}

function weakHit(st: Scan, paranoia: ParanoiaLevel): DetectorHit | undefined {
  if (paranoia < 2) return undefined;
  if (st.traversals > 0) return DOT_DOT_WEAK;
  if (st.drive) return DRIVE;
  if (st.serverFile) return SERVER_FILE;
  return undefined;
}

/** True when the value has a character any rule needs (`.`, `/`, `\`, `:`, `0x`, private use). */
function mayMatch(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 46 || c === 47 || c === 92 || c === 58 || (c >= 0xe000 && c <= 0xf8ff)) return true;
    if ((c | 0x20) === 120 && i > 0 && value.charCodeAt(i - 1) === 48) return true;
  }
  return false;
}

/** Longest value tried as base64 (`php://filter/convert.base64-decode` targets). */
const MAX_BASE64 = 4096;

/**
 * The value decoded from base64 when it looks like base64 that hides a path: only base64
 * characters, a length that is a multiple of four, and padding or digits with both cases (so
 * plain words are not decoded). Undefined otherwise.
 */
function base64Text(value: string): string | undefined {
  const n = value.length;
  if (n < 8 || n > MAX_BASE64 || n % 4 !== 0) return undefined;
  let digit = false;
  let upper = false;
  let lower = false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else if (c === 61) { if (i < n - 2) return undefined; }
    else if (c !== 43 && c !== 47) return undefined;
  }
  if (value.charCodeAt(n - 1) !== 61 && !(digit && upper && lower)) return undefined;
  return Buffer.from(value, 'base64').toString('latin1');
}

/**
 * The path-traversal detector.
 *
 * @example
 * ```ts
 * pathTraversal.detect('../../etc/passwd', 1, 'query'); // { rule: 'path-traversal.dot-dot', score: 5 }
 * pathTraversal.detect('docs/intro.md', 1, 'query');    // undefined
 * ```
 */
export const pathTraversal: Detector = {
  ruleClass: 'path-traversal',
  detect(value: string, paranoia: ParanoiaLevel, _location: InputLocation): DetectorHit | undefined {
    const st: Scan = { traversals: 0, drive: false, serverFile: false, pathStart: -1, spelled: false };
    if (mayMatch(value)) {
      const hit = scan(value, st);
      if (hit) return hit;
      const spelled = st.spelled ? hexSpelled(value) : undefined;
      st.pathStart = -1;
      const spelledHit = spelled === undefined ? undefined : scan(spelled, st);
      if (spelledHit) return spelledHit;
    }
    const decoded = base64Text(value);
    if (decoded !== undefined && mayMatch(decoded)) {
      const hit = scan(decoded, { traversals: 0, drive: false, serverFile: false, pathStart: -1, spelled: false });
      if (hit) return hit === DOT_DOT || hit === SENSITIVE ? BASE64 : hit;
    }
    return weakHit(st, paranoia);
  },
};
