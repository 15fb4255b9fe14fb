/**
 * Server-side template injection (class `ssti`).
 *
 * Finds template openers — `{{ }}` (Jinja, Twig, Handlebars), `${ }` (Freemarker, Mako, Spring
 * EL), `#{ }` (Ruby, JSF), `*{ }` / `@{ }` / `~{ }` (Thymeleaf), `@( )` (Razor), `<% %>` (ERB,
 * JSP), `{% %}` (Jinja statements), `[[ ]]` — and judges the expression inside:
 * - `ssti.expression` (level 1): a dunder (`__class__`), a call (`config.items()`), or
 *   arithmetic (`7*7`, `7*'7'`): what a probe or an exploit needs and a template variable does
 *   not.
 * - `ssti.engine` (level 1): engine-specific escapes (`<#assign`, `?new()`, `{php}`, `{$smarty`).
 * - `ssti.object` (level 2): a bare dangerous object (`{{self}}`, `{{config}}`), a `{% for %}`
 *   statement, a filter pipe.
 * - `ssti.variable` (level 3 with attribute access, level 4 bare): `{{user.name}}`, `${price}`.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';

const EXPRESSION: DetectorHit = Object.freeze({ rule: 'ssti.expression', score: 5 });
const ENGINE: DetectorHit = Object.freeze({ rule: 'ssti.engine', score: 5 });
const OBJECT: DetectorHit = Object.freeze({ rule: 'ssti.object', score: 3 });
const VARIABLE: DetectorHit = Object.freeze({ rule: 'ssti.variable', score: 2 });

/** Longest expression body examined after an opener. */
const MAX_BODY = 512;
/** Most openers examined per value. */
const MAX_OPENERS = 32;

/** Objects whose mere mention inside a template is a probe. */
const OBJECTS: ReadonlySet<string> = new Set(['self', '_self', 'config', 'request', 'settings', 'app', 'application', 'session', 'env', 'environ', 'cycler', 'joiner', 'namespace', 'lipsum', 'range', 'dump', 'class', 'getclass', 't', 'runtime', 'process', 'global', 'globals', 'os', 'smarty', 'this']);

/** Jinja/Twig statements. */
const STATEMENTS: ReadonlySet<string> = new Set(['for', 'if', 'set', 'import', 'include', 'extends', 'macro', 'raw', 'block', 'debug', 'from', 'with', 'call', 'filter', 'print', 'do']);

/** Body strength levels. */
const NOTHING = 0;
const BARE = 1;
const ATTRIBUTE = 2;
const SUSPECT = 3;
const STRONG = 4;

function isIdent(c: number): boolean {
  const l = c | 0x20;
  return (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Kind of the token ending before an operator: 0 none, 1 identifier, 2 number or literal. */
function operandBefore(s: string, i: number, from: number): number {
  let j = i - 1;
  while (j >= from && s.charCodeAt(j) === 32) j--;
  if (j < from) return 0;
  const c = s.charCodeAt(j);
  if (isDigit(c) || c === 39 || c === 34 || c === 41 || c === 93) return 2;
  return isIdent(c) ? 1 : 0;
}

/** Kind of the token starting after an operator (as {@link operandBefore}). */
function operandAfter(s: string, i: number, to: number): number {
  let j = i + 1;
  while (j < to && s.charCodeAt(j) === 32) j++;
  if (j >= to) return 0;
  const c = s.charCodeAt(j);
  if (isDigit(c) || c === 39 || c === 34 || c === 40 || c === 91) return 2;
  return isIdent(c) ? 1 : 0;
}

/** Judges the expression in s[from, to). */
function judgeBody(s: string, from: number, to: number): number {
  let level = NOTHING;
  let words = 0;
  let firstWord = '';
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 95 && s.charCodeAt(i + 1) === 95) return STRONG;
    if (c === 39 || c === 34) {
      // A string literal: operators inside it (`'%B %D'`) are text. A dunder is still a dunder.
      let j = i + 1;
      while (j < to && s.charCodeAt(j) !== c) {
        if (s.charCodeAt(j) === 95 && s.charCodeAt(j + 1) === 95) return STRONG;
        j++;
      }
      i = j;
    } else if (c === 40) {
      // A call: `name(`, `)(`, `](`, `'…'(`.
      const before = operandBefore(s, i, from);
      if (before !== 0) return STRONG;
    } else if (c === 42 || c === 43 || c === 47 || c === 37 || c === 45) {
      const a = operandBefore(s, i, from);
      const b = operandAfter(s, i, to);
      // `-` joins names (`first-name`): it counts only between numbers or literals.
      if (a !== 0 && b !== 0 && (c !== 45 || (a === 2 && b === 2))) return STRONG;
    } else if (c === 124) {
      level = Math.max(level, SUSPECT);
    } else if (c === 46 && isIdent(s.charCodeAt(i + 1))) {
      level = Math.max(level, ATTRIBUTE);
    } else if (isIdent(c) && !isIdent(s.charCodeAt(i - 1))) {
      let j = i;
      while (j < to && isIdent(s.charCodeAt(j))) j++;
      if (words++ === 0) firstWord = s.slice(i, Math.min(j, i + 16)).toLowerCase();
      i = j - 1;
    }
  }
  if (OBJECTS.has(firstWord) || STATEMENTS.has(firstWord)) return Math.max(level, SUSPECT);
  if (words > 0) level = Math.max(level, BARE);
  return level;
}

/** Index of the closer of an opener whose body starts at i, or the end of the window. */
function closerOf(s: string, i: number, open: number, close: number, pair: boolean): number {
  const limit = Math.min(s.length, i + MAX_BODY);
  let depth = 0;
  for (let j = i; j < limit; j++) {
    const c = s.charCodeAt(j);
    if (c === open) depth++;
    else if (c === close) {
      if (depth === 0 && (!pair || s.charCodeAt(j + 1) === close)) return j;
      if (depth > 0) depth--;
    }
  }
  return limit;
}

/** True when an engine-specific escape starts at i (`<#assign`, `[#assign`, `?new(`, `{php}`, `{$smarty`). */
function engineAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if ((c === 60 || c === 91) && s.charCodeAt(i + 1) === 35) return s.slice(i + 2, i + 8).toLowerCase() === 'assign';
  if (c === 63) return s.slice(i + 1, i + 5).toLowerCase() === 'new(' || s.slice(i + 1, i + 5).toLowerCase() === 'api.';
  if (c === 123) {
    const t = s.slice(i + 1, i + 8).toLowerCase();
    return t.startsWith('php}') || t === '$smarty';
  }
  return false;
}

/**
 * The body range of an opener at i: [start, end), or undefined when no opener starts there.
 * Closers: `}}`, `}`, `)`, `%>`, `%}`, `]]`.
 */
function openerAt(s: string, i: number): [number, number] | undefined {
  const c = s.charCodeAt(i);
  const d = s.charCodeAt(i + 1);
  if (c === 123 && d === 123) return [i + 2, closerOf(s, i + 2, 123, 125, true)];
  if (d === 123 && (c === 36 || c === 35 || c === 42 || c === 64 || c === 126)) return [i + 2, closerOf(s, i + 2, 123, 125, false)];
  if (c === 64 && d === 40) return [i + 2, closerOf(s, i + 2, 40, 41, false)];
  if (c === 91 && d === 91) return [i + 2, closerOf(s, i + 2, 91, 93, true)];
  if ((c === 60 || c === 123) && d === 37) {
    const limit = Math.min(s.length, i + 2 + MAX_BODY);
    const end = s.indexOf(c === 60 ? '%>' : '%}', i + 2);
    let start = i + 2;
    if (s.charCodeAt(start) === 61 || s.charCodeAt(start) === 45) start++;
    return [start, end < 0 || end > limit ? limit : end];
  }
  return undefined;
}

function detect(s: string, paranoia: ParanoiaLevel): DetectorHit | undefined {
  let best = NOTHING;
  let openers = 0;
  for (let i = 0; i < s.length - 1 && openers < MAX_OPENERS; i++) {
    const c = s.charCodeAt(i);
    if (c !== 123 && c !== 36 && c !== 35 && c !== 42 && c !== 64 && c !== 126 && c !== 91 && c !== 60 && c !== 63) continue;
    if (engineAt(s, i)) return ENGINE;
    const range = openerAt(s, i);
    if (range === undefined) continue;
    openers++;
    const level = judgeBody(s, range[0], range[1]);
    if (level === STRONG) return EXPRESSION;
    if (level > best) best = level;
  }
  if (best === SUSPECT && paranoia >= 2) return OBJECT;
  if (best === ATTRIBUTE && paranoia >= 3) return VARIABLE;
  if (best === BARE && paranoia >= 4) return VARIABLE;
  return undefined;
}

/** True when the value has a character every opener needs. */
function mayMatch(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 123 || c === 40 || c === 37 || c === 91 || c === 35 || c === 63) return true;
  }
  return false;
}

/**
 * The template-injection detector.
 *
 * @example
 * ```ts
 * ssti.detect('{{7*7}}', 1, 'query');        // { rule: 'ssti.expression', score: 5 }
 * ssti.detect('${price} USD', 1, 'query');   // undefined
 * ```
 */
export const ssti: Detector = {
  ruleClass: 'ssti',
  detect(value: string, paranoia: ParanoiaLevel, _location: InputLocation): DetectorHit | undefined {
    return mayMatch(value) ? detect(value, paranoia) : undefined;
  },
};
