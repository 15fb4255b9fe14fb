/**
 * Classifies the HTML tokens of one pass: dangerous tags, event handlers, script URLs in URL
 * attributes, script in CSS, markup nested in srcdoc, style and comments (scanned again, to a depth
 * of two), conditional comments and XML processing instructions. Returns the strongest rule the
 * paranoia level allows, as soon as it is critical.
 */
import type { ParanoiaLevel } from '../detector.js';
import { HtmlTokenizer, Start, Tok } from './xss-html.js';
import type { StartValue } from './xss-html.js';
import { R, stronger } from './xss-rules.js';
import type { XssRule } from './xss-rules.js';
import { ATTRS, AttrKind, EVENT_HANDLERS, IMAGE_ATTRS, PREFIX_TAGS, TAGS, TagKind } from './xss-tables.js';
import type { AttrKindValue, TagKindValue } from './xss-tables.js';
import { decodeCss, isDangerousCss, isUnusualCss } from './xss-css.js';
import { isScriptUrl } from './xss-url.js';

const MAX_DEPTH = 2;
const FOREIGN_PREFIXES = ['svg', 'math', 'xsl', 'xml'];
/** One tokenizer per nesting depth, reused by every pass. */
const tokenizers = [new HtmlTokenizer(), new HtmlTokenizer(), new HtmlTokenizer()];

/**
 * Codes beyond AttrKind for an attribute awaiting its value: an event handler in a real tag or a
 * listed one (EVENT_IN_TAG), an unlisted `on…` word in an injected list, `action` on a form, a
 * prefixed namespace declaration, a URL attribute that only loads an image.
 */
const EVENT_IN_TAG = 100, EVENT_INJECTED = 101, FORM_ACTION = 102, NAMESPACE_PREFIX = 103, IMAGE_URL = 104;

/** Lower-case name of s[a, b) without NULs (an old browser skipped them: `<scr\0ipt>`). */
function lowerName(s: string, a: number, b: number): string {
  const name = s.slice(a, Math.min(b, a + 64)).toLowerCase();
  return name.includes('\0') ? name.replaceAll('\0', '') : name;
}

function isNameChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x3a || c === 0x2e;
}

/** A tag's kind, by its name, its local name after a namespace prefix, or a dangerous prefix. */
function tagKind(name: string): TagKindValue {
  const kind = TAGS.get(name);
  if (kind !== undefined) return kind;
  const colon = name.lastIndexOf(':');
  if (colon >= 0) {
    const local = TAGS.get(name.slice(colon + 1));
    if (local === TagKind.script || local === TagKind.dangerous) return local;
    // A namespace prefix that switches to SVG, MathML or XSLT (`<svg:mask>`, `<xsl:value-of>`).
    if (FOREIGN_PREFIXES.includes(name.slice(0, colon))) return TagKind.dangerous;
  }
  for (const p of PREFIX_TAGS) {
    if (name.length > p.length && name.startsWith(p) && !isNameChar(name.charCodeAt(p.length))) {
      return p === 'script' ? TagKind.script : TagKind.dangerous;
    }
  }
  return TagKind.none;
}

/** `on` + at least three letters: the shape of an event-handler attribute. */
function isEventShape(name: string): boolean {
  if (name.length < 5 || name.charCodeAt(0) !== 0x6f || name.charCodeAt(1) !== 0x6e) return false;
  for (let i = 2; i < 5; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

function attrKind(name: string): AttrKindValue {
  const kind = ATTRS.get(name);
  if (kind !== undefined) return kind;
  if (name.startsWith('xmlns:') || name.startsWith('xlink:')) return AttrKind.namespace;
  const colon = name.lastIndexOf(':');
  return colon >= 0 ? (ATTRS.get(name.slice(colon + 1)) ?? AttrKind.none) : AttrKind.none;
}

function startsWithLower(s: string, a: number, b: number, word: string): boolean {
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  return b - a >= word.length && s.slice(a, a + word.length).toLowerCase() === word;
}

/**
 * Bodies of comments and `<!…>`/`<?…>` that make a parser run, import or define something: IE
 * conditional comments, `<?import`, `<?xml-stylesheet`, `<?xml:namespace`, DTD declarations,
 * server-side includes.
 */
const DIRECTIVES = ['[if', '[endif', 'import', 'xml-stylesheet', 'xml:namespace', 'entity', 'attlist', 'element', '#exec', '#include'];

function hiddenDirective(s: string, a: number, b: number): boolean {
  for (const d of DIRECTIVES) if (startsWithLower(s, a, b, d)) return true;
  return false;
}

/** Whether s[a, b) holds any character other than spaces. */
function hasText(s: string, a: number, b: number): boolean {
  for (; a < b; a++) if (s.charCodeAt(a) > 0x20) return true;
  return false;
}

/**
 * Offsets at which the element-content pass of the value `syncOf` returned to element content
 * after a tag. A pass from another context that reaches one of them has converged with it, so it
 * stops there: rich HTML is then tokenised about once, not five times.
 */
let sync = new Uint8Array(4096);
let syncOf: string | undefined;
const SYNC_LIMIT = 1 << 20;

function prepareSync(s: string): boolean {
  syncOf = undefined;
  if (s.length >= SYNC_LIMIT) return false;
  if (sync.length <= s.length) sync = new Uint8Array(Math.max(s.length + 1, sync.length * 2));
  else sync.fill(0, 0, s.length + 1);
  syncOf = s;
  return true;
}

/** Whether an `=` or a backtick (attribute or script syntax) follows offset i. */
function codeAfter(s: string, i: number): boolean {
  return s.indexOf('=', i) >= 0 || s.indexOf('`', i) >= 0;
}

/** Markup nested in an attribute value or comment, scanned as element content one level deeper. */
function nested(text: string, paranoia: ParanoiaLevel, depth: number): XssRule {
  return depth < MAX_DEPTH && text.includes('<') ? scanMarkup(text, Start.data, paranoia, depth + 1) : R.none;
}

/**
 * Tokenises s from the given context and classifies what it finds.
 *
 * @example
 * ```ts
 * scanMarkup('"><img src=x onerror=alert(1)>', Start.doubleQuoted, 1, 0) // R.eventHandler
 * ```
 */
export function scanMarkup(s: string, start: StartValue, paranoia: ParanoiaLevel, depth: number): XssRule {
  const t = tokenizers[depth] ?? new HtmlTokenizer();
  t.reset(s, 0, s.length, start);
  const record = depth === 0 && start === Start.data && prepareSync(s);
  const follow = depth === 0 && start !== Start.data && syncOf === s;
  let best: XssRule = R.none;
  // The first attribute list of a non-data pass belongs to a tag the page opened: no name known.
  let injected = start !== Start.data;
  let kind: TagKindValue = TagKind.none;
  let endTag = false;
  let attrs = 0;
  // A dangerous tag without attributes (`<link>`) counts only in real markup, not as a placeholder
  // in prose: with an end tag, a tag with attributes, or tags right next to each other.
  let bare = false;
  let markup = false;
  let lastTagEnd = -1;
  // The attribute name awaiting its value; classified only when needed (most words in an injected
  // list never get one).
  let nameStart = -1, nameEnd = -1;
  scan: while (t.next()) {
    const { type, start: a, end: b } = t;
    if (nameStart >= 0 && type !== Tok.attrValue) {
      if (!injected || paranoia > 1) {
        const found = valuelessAttr(classifyName(s, nameStart, nameEnd, injected, kind), injected);
        if (found.level === 1) return found;
        best = stronger(best, found, paranoia);
      }
      nameStart = -1;
    }
    switch (type) {
      case Tok.tagName: {
        if (kind === TagKind.dangerous && attrs === 0 && !endTag) bare = true;
        if (t.isEndTag || (lastTagEnd >= 0 && !hasText(s, lastTagEnd, a - 1))) markup = true;
        if (bare && markup) return R.dangerousTag;
        injected = false;
        endTag = t.isEndTag;
        kind = tagKind(lowerName(s, a, b));
        attrs = 0;
        if (endTag) {
          if (kind === TagKind.script) best = stronger(best, R.scriptEndTag, paranoia);
        } else if (kind === TagKind.script) {
          return R.scriptTag;
        } else {
          best = stronger(best, R.anyTag, paranoia);
        }
        break;
      }
      case Tok.attrName:
        if (endTag) break;
        attrs++;
        if (kind === TagKind.dangerous || bare) return R.dangerousTag;
        if (!injected) markup = true;
        nameStart = a;
        nameEnd = b;
        break;
      case Tok.attrValue: {
        if (!injected && !endTag) {
          best = stronger(best, kind === TagKind.none ? R.unknownTag : R.tagWithAttrs, paranoia);
        }
        if (nameStart < 0) break;
        const pending = classifyName(s, nameStart, nameEnd, injected, kind);
        nameStart = -1;
        const found = classifyValue(s, a, b, pending, paranoia, depth);
        if (found.level === 1) return found;
        best = stronger(best, found, paranoia);
        break;
      }
      case Tok.tagEnd:
        injected = false;
        lastTagEnd = b;
        if (record) sync[b] = 1;
        // Back in element content where the element-content pass was too: the rest is the same.
        else if (follow && sync[b] === 1) break scan;
        break;
      case Tok.comment:
      case Tok.bogusComment: {
        if (hiddenDirective(s, a, b)) return R.hiddenMarkup;
        const inner = nested(s.slice(a, b), paranoia, depth);
        if (inner.level === 1) return R.hiddenMarkup;
        if (type === Tok.comment || startsWithLower(s, a, b, 'xml')) best = stronger(best, R.comment, paranoia);
        break;
      }
      case Tok.doctype:
        // An internal subset declares entities or attributes: XML tricks, not a page's doctype.
        if (s.slice(a, b).includes('[')) return R.hiddenMarkup;
        best = stronger(best, R.declaration, paranoia);
        break;
      case Tok.cdata:
        best = stronger(best, R.comment, paranoia);
        break;
    }
  }
  if (nameStart >= 0 && (!injected || paranoia > 1)) {
    const found = valuelessAttr(classifyName(s, nameStart, nameEnd, injected, kind), injected);
    if (found.level === 1) return found;
    best = stronger(best, found, paranoia);
  }
  if (kind === TagKind.dangerous && attrs === 0 && !endTag) bare = true;
  if (bare) return markup || codeAfter(s, Math.max(lastTagEnd, 0)) ? R.dangerousTag : stronger(best, R.bareDangerousTag, paranoia);
  return best;
}

/** What an attribute name asks of its value: an EVENT_* code or an AttrKind. */
function classifyName(s: string, a: number, b: number, injected: boolean, kind: TagKindValue): number {
  const c0 = s.charCodeAt(a) | 0x20;
  // Listed names are at most 13 characters; only event handlers are longer.
  if (b - a > 16 && c0 !== 0x6f) return AttrKind.none;
  const name = lowerName(s, a, b);
  if (isEventShape(name)) return injected && !EVENT_HANDLERS.has(name) ? EVENT_INJECTED : EVENT_IN_TAG;
  const found = attrKind(name);
  if (found === AttrKind.action && kind === TagKind.form) return FORM_ACTION;
  if (found === AttrKind.namespace && name.startsWith('xmlns:')) return NAMESPACE_PREFIX;
  if (found === AttrKind.url && IMAGE_ATTRS.has(name)) return IMAGE_URL;
  return found;
}

/** The rule an attribute without a value triggers. */
function valuelessAttr(pending: number, injected: boolean): XssRule {
  if (pending === EVENT_IN_TAG) return R.eventName;
  // `<html xmlns:x>` binds a prefix for IE's behaviours even without a value.
  if (pending === NAMESPACE_PREFIX) return injected ? R.namespaceAttr : R.dangerousAttr;
  if (pending === AttrKind.namespace) return R.namespaceAttr;
  return R.none;
}

/** The rule an attribute value triggers, given what its name said. */
function classifyValue(s: string, a: number, b: number, pending: number, paranoia: ParanoiaLevel, depth: number): XssRule {
  switch (pending) {
    case EVENT_IN_TAG:
      return hasText(s, a, b) ? R.eventHandler : stronger(R.none, R.eventName, paranoia);
    case EVENT_INJECTED:
      // An unlisted `on…` word in an injected list is a variable (`onFinished = require(…)`) or
      // prose (`onion=3`); a browser would not run it either.
      return R.none;
    case AttrKind.url:
    case AttrKind.action:
      return isScriptUrl(s, a, b) ? R.javascriptUrl : R.none;
    case IMAGE_URL:
      return isScriptUrl(s, a, b, true) ? R.javascriptUrl : R.none;
    case FORM_ACTION:
    case AttrKind.black:
      return R.dangerousAttr;
    case AttrKind.style: {
      const css = decodeCss(s, a, b);
      if (isDangerousCss(css)) return R.styleScript;
      // Escapes that decode to markup: what a serialiser would write back out (mutation XSS).
      const inner = nested(css, paranoia, depth);
      if (inner.level === 1) return R.styleScript;
      return isUnusualCss(css) ? R.styleInjection : stronger(inner, R.styleAttr, paranoia);
    }
    case AttrKind.html: {
      const inner = nested(s.slice(a, b), paranoia, depth);
      return inner.level === 1 ? R.dangerousAttr : inner;
    }
    case AttrKind.indirect: {
      // SVG animation of a handler or a link target (`attributeName=xlink:href to=javascript:…`).
      const target = lowerName(s, a, b).trim();
      if (isEventShape(target)) return R.eventHandler;
      return target === 'href' || target.endsWith(':href') ? R.dangerousAttr : R.none;
    }
    case AttrKind.namespace:
    case NAMESPACE_PREFIX:
      // A namespace declaration imports behaviour (IE's `xmlns:x` + `<?import>`, XML events).
      return hasText(s, a, b) ? R.dangerousAttr : R.none;
    default:
      return R.none;
  }
}
