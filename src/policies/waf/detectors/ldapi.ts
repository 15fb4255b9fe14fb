/**
 * LDAP filter injection (class `ldapi`).
 *
 * LDAP filters are prefix expressions in parentheses (`(&(uid=x)(pwd=y))`); an injection closes
 * the caller's filter and opens its own. So the rules look at runs of filter metacharacters
 * (`(`, `)`, `|`, `&`, `!`, `*`):
 * - `ldapi.filter-breakout` (level 1): a run of three or more that mixes a parenthesis with an
 *   operator or wildcard (`*)(`, `)(|`, `(|(`, `*))`), or `)(` followed by `attr=` (`)(uid=*`).
 * - `ldapi.wildcard` (level 1): a presence filter closed in the value (`objectClass=*)`); without
 *   the parenthesis, level 2.
 * - `ldapi.escape` (level 2): LDAP hex escapes of metacharacters (`\2a`, `\28`, `\29`, `\00`).
 * - `ldapi.fragment` (level 2): a two-character breakout such as `)(`, `*)`, `(|`.
 * Arithmetic like `2*(3+4)` is never a breakout: `*(` alone is not one.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';

const BREAKOUT: DetectorHit = Object.freeze({ rule: 'ldapi.filter-breakout', score: 5 });
const WILDCARD: DetectorHit = Object.freeze({ rule: 'ldapi.wildcard', score: 5 });
const WILDCARD_WEAK: DetectorHit = Object.freeze({ rule: 'ldapi.wildcard', score: 3 });
const ESCAPE: DetectorHit = Object.freeze({ rule: 'ldapi.escape', score: 3 });
const FRAGMENT: DetectorHit = Object.freeze({ rule: 'ldapi.fragment', score: 3 });

/** 1 for parentheses, 2 for operators and the wildcard, 0 otherwise. */
function meta(c: number): number {
  if (c === 40 || c === 41) return 1;
  return c === 124 || c === 38 || c === 33 || c === 42 ? 2 : 0;
}

function isAttrChar(c: number): boolean {
  const l = c | 0x20;
  return (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 59 || c === 46;
}

/** True when an attribute name and `=` start at i (`uid=`, `objectClass=`). */
function attributeAt(s: string, i: number): boolean {
  let j = i;
  while (j < s.length && j - i < 40 && isAttrChar(s.charCodeAt(j))) j++;
  const c = s.charCodeAt(j);
  return j > i && (c === 61 || ((c === 126 || c === 62 || c === 60) && s.charCodeAt(j + 1) === 61));
}

/** True when `\` at i starts an LDAP hex escape of a metacharacter. */
function escapeAt(s: string, i: number): boolean {
  const e = s.slice(i + 1, i + 3).toLowerCase();
  return e === '2a' || e === '28' || e === '29' || e === '00' || e === '5c';
}

function scan(s: string, paranoia: ParanoiaLevel): DetectorHit | undefined {
  let weak: DetectorHit | undefined;
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (meta(c) !== 0) {
      const start = i;
      let parens = 0;
      let ops = 0;
      while (i < n && meta(s.charCodeAt(i)) !== 0) {
        if (meta(s.charCodeAt(i)) === 1) parens++;
        else ops++;
        i++;
      }
      const len = i - start;
      if (len < 2) continue;
      if (parens > 0 && ops > 0 && len >= 3) return BREAKOUT;
      const a = s.charCodeAt(i - 2);
      const b = s.charCodeAt(i - 1);
      if (a === 41 && b === 40 && attributeAt(s, i)) return BREAKOUT;
      // Two-character fragments, except the arithmetic and call shapes `*(`, `(*`, `()`.
      if (paranoia >= 2 && len === 2 && (parens === 2 ? a === 41 && b === 40 : parens === 1 && !(a === 42 && b === 40) && !(a === 40 && b === 42))) weak = FRAGMENT;
      continue;
    }
    if (c === 61 && s.charCodeAt(i + 1) === 42 && i > 0 && isAttrChar(s.charCodeAt(i - 1))) {
      if (s.charCodeAt(i + 2) === 41) return WILDCARD;
      if (paranoia >= 2) weak = WILDCARD_WEAK;
    } else if (c === 92 && paranoia >= 2 && escapeAt(s, i)) {
      weak = ESCAPE;
    }
    i++;
  }
  return weak;
}

/** True when the value has a parenthesis, `=*` or a backslash. */
function mayMatch(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 40 || c === 41 || c === 92 || (c === 61 && s.charCodeAt(i + 1) === 42)) return true;
  }
  return false;
}

/**
 * The LDAP-injection detector.
 *
 * @example
 * ```ts
 * ldapi.detect('admin*)(|(uid=*', 1, 'query'); // { rule: 'ldapi.filter-breakout', score: 5 }
 * ldapi.detect('2*(3+4)', 1, 'query');         // undefined
 * ```
 */
export const ldapi: Detector = {
  ruleClass: 'ldapi',
  detect(value: string, paranoia: ParanoiaLevel, _location: InputLocation): DetectorHit | undefined {
    return mayMatch(value) ? scan(value, paranoia) : undefined;
  },
};
