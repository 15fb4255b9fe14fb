/**
 * JavaScript shapes in a value that would run once it lands in a script context: a call of a
 * sink function (`alert(1)`, ``alert`1` ``, `(alert)(1)`, `top['al'+'ert'](1)`, `[1].find(alert)`), a
 * breakout from a string literal (`";foo(1)//`, `'-foo(1)-'`), a call inside a template literal
 * (`${foo(1)}`), and code-shaped use of session-bearing objects (`'+document.cookie`).
 *
 * False positives are held down by shape, not by word lists alone: prose puts a space before a
 * parenthesis (`confirm (yes)`), JavaScript does not; a breakout needs the quote, an operator, a
 * call written as code and something that ends the rest of the original string. Every search is
 * bounded and moves forward, so the scan is linear.
 */
import { closeParen, closesOuterString, identStart, isIdent, isQuote, openBack, skipBack, skipFwd } from './xss-js-text.js';
import { JS_SINK_CALLS } from './xss-tables.js';

/** What {@link scanJs} found, strongest last. */
export const JsFinding = {
  none: 0,
  /** Sink objects or a template call outside a clear code shape (paranoia 2). */
  weak: 1,
  /** A session-bearing object used in code (`+document.cookie`). */
  sink: 2,
  /** A string-literal breakout followed by a call. */
  breakout: 3,
  /** A sink function called or passed as a value. */
  call: 4,
} as const;

/** One of {@link JsFinding}'s values. */
export type JsFindingValue = (typeof JsFinding)[keyof typeof JsFinding];

const PAREN = 0x28, CLOSE_PAREN = 0x29, TICK = 0x60, DOT = 0x2e, QMARK = 0x3f;
const BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, DQ = 0x22, SQ = 0x27;

/** Operators and closers that may sit between a closed string literal and injected code. */
const BREAK_OPS = new Set([';', '+', '-', '*', '/', '%', '|', '&', '^', ',', ')', '}', ']'].map((c) => c.charCodeAt(0)));

/** After a space-separated sink name: an argument only code starts with (`alert (1)`, not `confirm (yes)`). */
function codeArgument(s: string, i: number): boolean {
  const p = skipFwd(s, i, 8);
  const c = s.charCodeAt(p);
  return (c >= 0x30 && c <= 0x39) || isQuote(c) || c === CLOSE_PAREN || c === 0x2f;
}

/** A computed callee that spells a sink (`['al'+'ert']`) or is built by code (`[atob(…)]`, `[/x/.source]`). */
function obfuscatedCallee(s: string, a: number, b: number): boolean {
  const body = s.slice(a, b);
  if (body.includes('(') || body.includes('.source')) return true;
  let letters = '';
  for (let i = 0; i < body.length && letters.length < 32; i++) {
    const c = body.charCodeAt(i);
    if (isIdent(c)) letters += body.charAt(i);
    else if (!(isQuote(c) || c === 0x2b || c <= 0x20)) return false;
  }
  return JS_SINK_CALLS.has(letters);
}

/** Whether the call whose callee starts at calleeStart and opens at open ends a string literal first. */
function breakoutAround(s: string, calleeStart: number, open: number): boolean {
  let p = calleeStart;
  // Extend over a member chain: document.body.append(…).
  for (let n = 0; n < 8 && p >= 2 && s.charCodeAt(p - 1) === DOT && isIdent(s.charCodeAt(p - 2)); n++) {
    const k = identStart(s, p - 2);
    if (k < 0) return false;
    p = k;
  }
  let q = skipBack(s, p - 1, 8);
  let ops = 0;
  while (q >= 0 && ops < 4 && BREAK_OPS.has(s.charCodeAt(q))) { q = skipBack(s, q - 1, 8); ops++; }
  // Backticks are left to templateCall(): Markdown code spans are full of them.
  const qc = q >= 0 ? s.charCodeAt(q) : -1;
  if (ops === 0 || (qc !== DQ && qc !== SQ) || !closesOuterString(s, q)) return false;
  const close = closeParen(s, open);
  if (close < 0) return false;
  const r = skipFwd(s, close + 1, 8);
  if (r >= s.length) return true;
  if (s.startsWith('//', r) || s.startsWith('<!--', r) || s.startsWith('-->', r)) return true;
  const c = s.charCodeAt(r);
  if (c === 0x3b || c === 0x7d) return true;
  return BREAK_OPS.has(c) && isQuote(s.charCodeAt(skipFwd(s, r + 1, 8)));
}

/** What the `(` or backtick at i calls. */
function callAt(s: string, i: number, tick: boolean): JsFindingValue {
  let j = i - 1;
  const k0 = j;
  j = skipBack(s, j, 8);
  const spaced = j !== k0;
  if (j >= 1 && s.charCodeAt(j) === DOT && s.charCodeAt(j - 1) === QMARK) j -= 2;
  if (j < 0) return JsFinding.none;
  const c = s.charCodeAt(j);
  if (isIdent(c)) {
    const k = identStart(s, j);
    if (k < 0) return JsFinding.none;
    const name = s.slice(k, j + 1);
    const needsString = JS_SINK_CALLS.get(name);
    if (needsString !== undefined) {
      // A tagged template opens its literal here; in Markdown "`alert`" the backtick closes a code span.
      if (tick) return !spaced && closesOuterString(s, i) ? JsFinding.call : JsFinding.none;
      if (needsString) return isQuote(s.charCodeAt(skipFwd(s, i + 1, 8))) ? JsFinding.call : JsFinding.none;
      return !spaced || codeArgument(s, i + 1) ? JsFinding.call : JsFinding.none;
    }
    if (spaced || tick) return JsFinding.none;
    return breakoutAround(s, k, i) ? JsFinding.breakout : JsFinding.none;
  }
  if (spaced) return JsFinding.none;
  if (c === CLOSE_PAREN) {
    const o = openBack(s, j, 64);
    if (o < 0) return JsFinding.none;
    const e = skipBack(s, j - 1, 8);
    const k = e >= 0 && isIdent(s.charCodeAt(e)) ? identStart(s, e) : -1;
    return k > o && JS_SINK_CALLS.has(s.slice(k, e + 1)) ? JsFinding.call : JsFinding.none;
  }
  if (c === CLOSE_BRACKET) {
    // A computed member (`top[…](`), not a Markdown link (`[text](url)`) or an array literal.
    const o = openBack(s, j, 128);
    const before = o > 0 ? s.charCodeAt(o - 1) : -1;
    const member = isIdent(before) || before === CLOSE_PAREN || before === CLOSE_BRACKET;
    return member && obfuscatedCallee(s, o + 1, j) ? JsFinding.call : JsFinding.none;
  }
  return JsFinding.none;
}

const VALUE_SINKS = ['alert', 'prompt', 'confirm', 'eval'];
const BEFORE_VALUE = new Set(['(', ',', '=', '[', ':'].map((c) => c.charCodeAt(0)));
const AFTER_VALUE = new Set([')', ',', ';', ']'].map((c) => c.charCodeAt(0)));

/** A sink passed or assigned as a value (`[1].find(alert)`, `a=alert,a(1)`) in a value that calls something. */
function sinkAsValue(s: string): boolean {
  for (const name of VALUE_SINKS) {
    for (let i = s.indexOf(name); i >= 0; i = s.indexOf(name, i + 1)) {
      const end = i + name.length;
      if ((i > 0 && isIdent(s.charCodeAt(i - 1))) || (end < s.length && isIdent(s.charCodeAt(end)))) continue;
      const p = skipBack(s, i - 1, 8);
      const n = skipFwd(s, end, 8);
      if (p < 0 || !BEFORE_VALUE.has(s.charCodeAt(p)) || !AFTER_VALUE.has(s.charCodeAt(n))) continue;
      // "(alert)" in prose: a parenthesis counts only as an argument list.
      if (s.charCodeAt(p) === PAREN && (p === 0 || !isIdent(s.charCodeAt(p - 1)))) continue;
      return true;
    }
  }
  return false;
}

/** `${` + a call: a template-literal injection. Strong with a backtick in the value or a sink callee. */
function templateCall(s: string): JsFindingValue {
  let found: JsFindingValue = JsFinding.none;
  const hasTick = s.includes('`');
  let ticks = 0;
  let nextTick = s.indexOf('`');
  for (let i = s.indexOf('${'); i >= 0; i = s.indexOf('${', i + 2)) {
    while (nextTick >= 0 && nextTick < i) { ticks++; nextTick = s.indexOf('`', nextTick + 1); }
    let p = skipFwd(s, i + 2, 8);
    let last = p;
    for (let n = 0; n < 8; n++) {
      last = p;
      while (p < s.length && p - last < 32 && isIdent(s.charCodeAt(p))) p++;
      if (p === last || s.charCodeAt(p) !== DOT) break;
      p++;
    }
    const c = s.charCodeAt(p);
    if (p === last || (c !== PAREN && c !== TICK)) continue;
    // Strong when the value also closes or opens the page's template literal around it (an even
    // number of backticks before `${`, one somewhere); code with its own template literal is weak.
    if ((hasTick && ticks % 2 === 0) || JS_SINK_CALLS.has(s.slice(last, p))) return JsFinding.breakout;
    found = JsFinding.weak;
  }
  return found;
}

/** Objects a payload reads or moves the session with; [object, member] (member '' = any). */
const SINK_OBJECTS: readonly (readonly [string, readonly string[]])[] = [
  ['document', ['cookie', 'domain', 'write', 'writeln', 'location', 'body']],
  ['window', ['location', 'name']],
  ['location', ['href', 'hash', 'replace', 'assign', 'search']],
  ['localStorage', ['']],
  ['sessionStorage', ['']],
];

/** Whether s[a, b), a sink object, is used as code: assigned, concatenated, called, or passed to a call. */
function codeShaped(s: string, a: number, b: number): boolean {
  const p = skipBack(s, a - 1, 8);
  const pc = p >= 0 ? s.charCodeAt(p) : -1;
  if (pc === 0x3d || pc === 0x2b) return true;
  if (pc === PAREN && p > 0 && isIdent(s.charCodeAt(p - 1))) return true;
  const n = skipFwd(s, b, 8);
  const nc = n < s.length ? s.charCodeAt(n) : -1;
  return (nc === 0x3d && s.charCodeAt(n + 1) !== 0x3d) || nc === 0x2b || nc === PAREN || nc === BRACKET;
}

/** Session-bearing objects (`document.cookie`, `.innerHTML`): SINK when code-shaped, WEAK otherwise. */
function sinkObjects(s: string): JsFindingValue {
  let found: JsFindingValue = JsFinding.none;
  for (let d = s.indexOf('.'); d >= 0; d = s.indexOf('.', d + 1)) {
    let end = -1;
    let start = d;
    if (s.startsWith('innerHTML', d + 1) || s.startsWith('outerHTML', d + 1)) end = d + 10;
    else if (s.startsWith('fromCharCode', d + 1)) end = d + 13;
    else {
      for (const [object, members] of SINK_OBJECTS) {
        if (d < object.length || !s.startsWith(object, d - object.length)) continue;
        const k = d - object.length;
        if (k > 0 && isIdent(s.charCodeAt(k - 1))) continue;
        const member = members.find((m) => s.startsWith(m, d + 1) && !isIdent(s.charCodeAt(d + 1 + m.length)));
        if (member === undefined && members[0] !== '') continue;
        start = k;
        end = d + 1 + (member ?? '').length;
        break;
      }
    }
    if (end < 0) continue;
    if (codeShaped(s, start, end)) return JsFinding.sink;
    found = JsFinding.weak;
  }
  return found;
}

/**
 * Scans a value for script that would run in a JavaScript context; returns the strongest finding.
 *
 * @example
 * ```ts
 * scanJs("';alert(1)//") // JsFinding.call
 * scanJs('Please confirm (yes/no)') // JsFinding.none
 * ```
 */
export function scanJs(s: string): JsFindingValue {
  let best: JsFindingValue = JsFinding.none;
  let calls = false;
  for (let i = s.indexOf('('); i >= 0; i = s.indexOf('(', i + 1)) {
    calls = true;
    const f = callAt(s, i, false);
    if (f > best) best = f;
    if (best === JsFinding.call) return best;
  }
  for (let i = s.indexOf('`'); i >= 0; i = s.indexOf('`', i + 1)) {
    calls = true;
    const f = callAt(s, i, true);
    if (f > best) best = f;
    if (best === JsFinding.call) return best;
  }
  if (calls && sinkAsValue(s)) return JsFinding.call;
  if (best < JsFinding.breakout) {
    const t = templateCall(s);
    if (t > best) best = t;
  }
  if (best < JsFinding.sink) {
    const o = sinkObjects(s);
    if (o > best) best = o;
  }
  return best;
}
