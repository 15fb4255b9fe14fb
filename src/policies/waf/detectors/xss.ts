/**
 * The WAF's cross-site scripting detector. A value is read the way a browser would read it if the
 * application reflected it into a page: tokenised as HTML from each context it could land in
 * (element content, an attribute list, a double-, single- or backtick-quoted attribute value, so
 * `"><svg onload=…>` and `" onmouseover=…` are seen), with tags, attributes, URLs and CSS
 * classified (xss-markup.ts); its text is searched for script URLs (xss-url.ts) and for code that
 * would run in a JavaScript context (xss-js.ts). A table of the characters each check needs lets a
 * value without them through after one pass over it.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';
import { Start } from './xss-html.js';
import type { StartValue } from './xss-html.js';
import { scanJs } from './xss-js.js';
import { scanMarkup } from './xss-markup.js';
import { R, stronger } from './xss-rules.js';
import type { XssRule } from './xss-rules.js';
import { EVENT_HANDLERS } from './xss-tables.js';
import { SchemeText, scanSchemeText } from './xss-url.js';

const LT = 1, EQ = 2, DQ = 4, SQ = 8, BT = 16, PAREN = 32, COLON = 64, AMP = 128, PLUS = 256, BRACKET = 512;

/** Character → the checks it may start (0: none). Non-ASCII characters start nothing. */
const CHAR_FLAGS = new Uint16Array(128);
for (const [c, f] of [['<', LT], ['=', EQ], ['"', DQ], ["'", SQ], ['`', BT], ['(', PAREN], [':', COLON], ['&', AMP], ['+', PLUS], ['[', BRACKET]] as const) {
  CHAR_FLAGS[c.charCodeAt(0)] = f;
}

/** Any character some check needs: one native scan rejects the common value. */
const ANY_TRIGGER = /[<="'`(:&+[]/;
const TRIGGERS = '<="\'`(:&+[';

/** The flags of the characters in s: a loop for short values, native searches for long ones. */
function charFlags(s: string): number {
  let flags = 0;
  if (s.length <= 48) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) flags |= CHAR_FLAGS[c] ?? 0;
    }
    return flags;
  }
  for (let k = 0; k < TRIGGERS.length; k++) {
    const c = TRIGGERS.charAt(k);
    if (s.includes(c)) flags |= CHAR_FLAGS[c.charCodeAt(0)] ?? 0;
  }
  return flags;
}

/** The contexts a value is tokenised from, each with the character that makes the pass worth running. */
const PASSES: readonly (readonly [StartValue, number])[] = [
  [Start.data, LT], [Start.attrList, EQ], [Start.doubleQuoted, DQ], [Start.singleQuoted, SQ], [Start.backQuoted, BT],
];

function isBareHandlerName(s: string): boolean {
  const name = s.trim().toLowerCase();
  return name.startsWith('on') && EVENT_HANDLERS.has(name);
}

/** Indexed by JsFinding. */
const JS_RULES: readonly XssRule[] = [R.none, R.jsWeak, R.jsSink, R.jsBreakout, R.jsCall];

/** The strongest rule s triggers at this paranoia level (R.none if none). */
function examine(s: string, paranoia: ParanoiaLevel): XssRule {
  // A bare handler name (`onerror`) is what fuzzers send to learn which names a filter lets by.
  if (paranoia > 1 && s.length <= 48 && isBareHandlerName(s)) return R.eventName;
  if (!ANY_TRIGGER.test(s)) return R.none;
  const flags = charFlags(s);
  let best: XssRule = R.none;
  // A pass from an attribute context finds something only through an attribute value or a tag.
  const tagOrValue = (flags & (EQ | LT)) !== 0;
  for (const [start, needs] of PASSES) {
    if (!(flags & needs) || !tagOrValue) continue;
    const found = scanMarkup(s, start, paranoia, 0);
    if (found.level === 1) return found;
    best = stronger(best, found, paranoia);
  }
  // UTF-7 markup (`+ADw-script+AD4-`): old IE sniffed pages into UTF-7.
  if (flags & PLUS && (s.includes('+ADw-') || s.includes('+AD4-'))) return R.hiddenMarkup;
  if (flags & (COLON | AMP)) {
    const found = scanSchemeText(s);
    if (found === SchemeText.url) return R.javascriptUrl;
    if (found === SchemeText.mention) best = stronger(best, R.javascriptText, paranoia);
  }
  if (flags & (PAREN | BT | PLUS | EQ | BRACKET)) {
    const found = JS_RULES[scanJs(s)] ?? R.none;
    if (found.level === 1) return found;
    best = stronger(best, found, paranoia);
  }
  return best;
}

/**
 * The XSS detector (rule class `xss`). Level 1 reports executable shapes only (critical, 5 points):
 * `xss.script-tag`, `xss.dangerous-tag`, `xss.event-handler`, `xss.javascript-url`,
 * `xss.style-script`, `xss.style-injection`, `xss.dangerous-attr`, `xss.hidden-markup`,
 * `xss.js-call`, `xss.js-breakout`, `xss.js-sink`. Levels 2–4 add weaker signals (bare dangerous
 * tags, unknown tags with attributes, `javascript:` as a word, handler names, comments, any tag) at
 * 2–4 points; xss-rules.ts lists them all.
 *
 * @example
 * ```ts
 * xss.detect('"><svg/onload=alert(1)>', 1, 'query') // { rule: 'xss.dangerous-tag', score: 5 }
 * xss.detect('Tom & Jerry <3', 1, 'json-value')    // undefined
 * ```
 */
export const xss: Detector = {
  ruleClass: 'xss',
  detect(value: string, paranoia: ParanoiaLevel, _location: InputLocation): DetectorHit | undefined {
    const found = examine(value, paranoia);
    return found === R.none ? undefined : found.hit;
  },
};
