/**
 * An HTML5 tokenizer reduced to what an XSS check needs: the states of the WHATWG tokenizer from
 * data through tags, attributes, comments, DOCTYPE and CDATA, emitting token offsets (no strings,
 * no allocation). It can start inside an attribute list or a quoted attribute value, so input that
 * breaks out of an attribute is tokenised the way the page around it would make a browser do it.
 *
 * Where browsers disagreed in the past, it takes the reading that reveals more markup: NUL inside
 * a tag name is skipped, vertical tab separates attributes, a backtick quotes a value (old IE), a
 * `<` + letter inside a tag name starts a new tag (what a filter that strips `<script>` leaves),
 * and a tag cut off by the end of input still yields its name and attributes (the page completes it).
 * Every state moves forward, so a pass is linear in the input.
 */

/** Token types. */
export const Tok = {
  /** A start or end tag's name (`isEndTag` says which). */
  tagName: 1,
  /** An attribute's name. */
  attrName: 2,
  /** An attribute's value, without its quotes. */
  attrValue: 3,
  /** The `>` or `/>` that closes a tag. */
  tagEnd: 4,
  /** `<!-- … -->`: the text between the markers. */
  comment: 5,
  /** `<?…>`, `<!…>`, `</ …>`: the text after the first character, up to `>`. */
  bogusComment: 6,
  /** `<!DOCTYPE …>`. */
  doctype: 7,
  /** The `<![CDATA[` marker (what follows is tokenised as data, the stricter reading). */
  cdata: 8,
} as const;

/** Where a pass starts: the context the value is assumed to be reflected in. */
export const Start = {
  /** Between tags (element content). */
  data: 0,
  /** Inside a tag, before an attribute name (also what an unquoted value becomes once it ends). */
  attrList: 1,
  /** Inside a double-quoted attribute value. */
  doubleQuoted: 2,
  /** Inside a single-quoted attribute value. */
  singleQuoted: 3,
  /** Inside a backtick-quoted attribute value (old IE). */
  backQuoted: 4,
} as const;

/** One of {@link Start}'s values. */
export type StartValue = (typeof Start)[keyof typeof Start];

// Tokenizer states (plain numbers: enums are not erasable syntax).
const S = {
  data: 0, tagOpen: 1, tagName: 2, beforeAttr: 3, attrName: 4, afterAttrName: 5, beforeValue: 6,
  valueQuoted: 7, valueUnquoted: 8, afterValueQuoted: 9, selfClosing: 10, eof: 11,
} as const;
type State = (typeof S)[keyof typeof S];

const GT = 0x3e, SLASH = 0x2f, EQ = 0x3d, BANG = 0x21, QMARK = 0x3f, DASH = 0x2d;
const DQ = 0x22, SQ = 0x27, BT = 0x60;

// Stop classes: one table lookup per character in the hot loops instead of a chain of compares.
const C_SPACE = 1, C_SLASH = 2, C_EQ = 4, C_GT = 8, C_LT = 16;
const STOP = new Uint8Array(128);
for (const c of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) STOP[c] = C_SPACE;
STOP[0x2f] = C_SLASH;
STOP[0x3d] = C_EQ;
STOP[0x3e] = C_GT;
STOP[0x3c] = C_LT;

/** Index of the first character at or after pos of a class in mask, or limit. */
function scanTo(s: string, pos: number, limit: number, mask: number): number {
  for (; pos < limit; pos++) {
    const c = s.charCodeAt(pos);
    if (c < 128 && (STOP[c]! & mask) !== 0) return pos;
  }
  return limit;
}

/** HTML whitespace plus vertical tab (old IE). NUL also separates attributes, but not tag names. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isAlpha(c: number): boolean {
  return ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

/**
 * The tokenizer; one instance is reused for many passes (reset() starts a pass).
 *
 * @example
 * ```ts
 * const t = new HtmlTokenizer();
 * t.reset('<img src=x>', 0, 11, Start.data);
 * while (t.next()) console.log(t.type, t.start, t.end);
 * ```
 */
export class HtmlTokenizer {
  /** The current token's type (a {@link Tok} value). */
  type = 0;
  /** The current token's start offset in the input. */
  start = 0;
  /** The current token's end offset (exclusive). */
  end = 0;
  /** Whether the current tag is an end tag (`</x>`). */
  isEndTag = false;
  private s = '';
  private pos = 0;
  private limit = 0;
  private state: State = S.eof;
  private quote = '"';

  /**
   * Starts a pass over s[from, to) in the given context.
   *
   * @example
   * ```ts
   * t.reset(value, 0, value.length, Start.doubleQuoted);
   * ```
   */
  reset(s: string, from: number, to: number, start: StartValue): void {
    this.s = s;
    this.pos = from;
    this.limit = to;
    this.isEndTag = false;
    this.type = 0;
    switch (start) {
      case Start.data: this.state = S.data; break;
      case Start.attrList: this.state = S.beforeAttr; break;
      case Start.doubleQuoted: this.quote = '"'; this.state = S.valueQuoted; break;
      case Start.singleQuoted: this.quote = "'"; this.state = S.valueQuoted; break;
      default: this.quote = '`'; this.state = S.valueQuoted; break;
    }
  }

  /**
   * Advances to the next token; false at the end of input.
   *
   * @example
   * ```ts
   * while (t.next()) if (t.type === Tok.tagName) break;
   * ```
   */
  next(): boolean {
    const s = this.s;
    const limit = this.limit;
    for (;;) {
      let pos = this.pos;
      switch (this.state) {
        case S.data: {
          const i = s.indexOf('<', pos);
          if (i < 0 || i >= limit - 1) return this.stop();
          this.pos = i + 1;
          this.state = S.tagOpen;
          break;
        }
        case S.tagOpen: {
          const c = s.charCodeAt(pos);
          if (c === BANG) return this.markupDeclaration(pos + 1);
          if (c === SLASH) {
            const c2 = pos + 1 < limit ? s.charCodeAt(pos + 1) : -1;
            if (isAlpha(c2) || c2 === 0) {
              this.isEndTag = true;
              this.pos = pos + 1;
              this.state = S.tagName;
            } else if (c2 === GT) {
              this.pos = pos + 2;
              this.state = S.data;
            } else {
              return this.bogus(pos + 1, Tok.bogusComment);
            }
          } else if (c === QMARK) {
            return this.bogus(pos + 1, Tok.bogusComment);
          } else if (isAlpha(c) || c === 0) {
            this.isEndTag = false;
            this.state = S.tagName;
          } else {
            this.state = S.data;
          }
          break;
        }
        case S.tagName: {
          const start = pos;
          let next: State = S.eof;
          for (;; pos++) {
            pos = scanTo(s, pos, limit, C_SPACE | C_SLASH | C_GT | C_LT);
            if (pos >= limit) break;
            const c = STOP[s.charCodeAt(pos)];
            if (c === C_SPACE) { next = S.beforeAttr; this.pos = pos + 1; break; }
            if (c === C_SLASH) { next = S.selfClosing; this.pos = pos + 1; break; }
            if (c === C_GT) { next = S.beforeAttr; this.pos = pos; break; }
            if (pos + 1 < limit && isAlpha(s.charCodeAt(pos + 1))) { next = S.tagOpen; this.pos = pos + 1; break; }
          }
          if (next === S.eof) this.pos = limit;
          this.state = next;
          return this.emit(Tok.tagName, start, pos);
        }
        case S.beforeAttr: {
          pos = this.skipSpace(pos);
          if (pos >= limit) return this.stop();
          const c = s.charCodeAt(pos);
          if (c === SLASH) { this.pos = pos + 1; this.state = S.selfClosing; break; }
          if (c === GT) { this.pos = pos + 1; this.state = S.data; return this.emit(Tok.tagEnd, pos, pos + 1); }
          this.pos = pos;
          this.state = S.attrName;
          break;
        }
        case S.attrName: {
          const start = pos;
          let next: State = S.eof;
          // The first character belongs to the name whatever it is (even `=`), as in the standard.
          pos = scanTo(s, pos + 1, limit, C_SPACE | C_SLASH | C_EQ | C_GT);
          const c = pos < limit ? STOP[s.charCodeAt(pos)] : 0;
          if (c === C_SPACE) { next = S.afterAttrName; this.pos = pos + 1; }
          else if (c === C_SLASH) { next = S.selfClosing; this.pos = pos + 1; }
          else if (c === C_EQ) { next = S.beforeValue; this.pos = pos + 1; }
          else if (c === C_GT) { next = S.beforeAttr; this.pos = pos; }
          else this.pos = limit;
          this.state = next;
          return this.emit(Tok.attrName, start, Math.min(pos, limit));
        }
        case S.afterAttrName: {
          pos = this.skipSpace(pos);
          if (pos >= limit) return this.stop();
          const c = s.charCodeAt(pos);
          this.pos = pos + 1;
          if (c === SLASH) this.state = S.selfClosing;
          else if (c === EQ) this.state = S.beforeValue;
          else { this.pos = pos; this.state = c === GT ? S.beforeAttr : S.attrName; }
          break;
        }
        case S.beforeValue: {
          pos = this.skipSpace(pos);
          if (pos >= limit) return this.stop();
          const c = s.charCodeAt(pos);
          if (c === DQ || c === SQ || c === BT) { this.quote = s.charAt(pos); this.pos = pos + 1; this.state = S.valueQuoted; }
          else { this.pos = pos; this.state = c === GT ? S.beforeAttr : S.valueUnquoted; }
          break;
        }
        case S.valueQuoted: {
          const i = s.indexOf(this.quote, pos);
          if (i < 0 || i >= limit) {
            this.pos = limit;
            this.state = S.eof;
            return this.emit(Tok.attrValue, pos, limit);
          }
          this.pos = i + 1;
          this.state = S.afterValueQuoted;
          return this.emit(Tok.attrValue, pos, i);
        }
        case S.valueUnquoted: {
          const start = pos;
          pos = scanTo(s, pos, limit, C_SPACE | C_GT);
          this.pos = pos < limit && s.charCodeAt(pos) !== GT ? pos + 1 : pos;
          this.state = pos < limit ? S.beforeAttr : S.eof;
          return this.emit(Tok.attrValue, start, pos);
        }
        case S.afterValueQuoted: {
          if (pos >= limit) return this.stop();
          const c = s.charCodeAt(pos);
          if (c === SLASH) { this.pos = pos + 1; this.state = S.selfClosing; } else this.state = S.beforeAttr;
          break;
        }
        case S.selfClosing: {
          if (pos >= limit) return this.stop();
          if (s.charCodeAt(pos) === GT) { this.pos = pos + 1; this.state = S.data; return this.emit(Tok.tagEnd, pos - 1, pos + 1); }
          this.state = S.beforeAttr;
          break;
        }
        default:
          return false;
      }
    }
  }

  private emit(type: number, start: number, end: number): true {
    this.type = type;
    this.start = start;
    this.end = end;
    return true;
  }

  private stop(): false {
    this.state = S.eof;
    this.pos = this.limit;
    return false;
  }

  private skipSpace(pos: number): number {
    const s = this.s;
    while (pos < this.limit) {
      const c = s.charCodeAt(pos);
      if (!isSpace(c) && c !== 0) break;
      pos++;
    }
    return pos;
  }

  /** After `<!`: a comment, a DOCTYPE, the CDATA marker, or a bogus comment. */
  private markupDeclaration(pos: number): boolean {
    const s = this.s;
    const limit = this.limit;
    if (s.startsWith('--', pos) && pos + 2 <= limit) return this.comment(pos + 2);
    if (pos + 7 <= limit && s.slice(pos, pos + 7).toLowerCase() === 'doctype') return this.bogus(pos, Tok.doctype);
    if (s.startsWith('[CDATA[', pos) && pos + 7 <= limit) {
      this.pos = pos + 7;
      this.state = S.data;
      return this.emit(Tok.cdata, pos - 2, pos + 7);
    }
    return this.bogus(pos, Tok.bogusComment);
  }

  /** A comment body ends at `-->` or `--!>`; `<!-->` and `<!--->` are empty comments. */
  private comment(start: number): boolean {
    const s = this.s;
    const limit = this.limit;
    const c0 = start < limit ? s.charCodeAt(start) : -1;
    if (c0 === GT) { this.pos = start + 1; this.state = S.data; return this.emit(Tok.comment, start, start); }
    if (c0 === DASH && start + 1 < limit && s.charCodeAt(start + 1) === GT) {
      this.pos = start + 2; this.state = S.data; return this.emit(Tok.comment, start, start);
    }
    for (let i = s.indexOf('--', start); i >= 0 && i + 2 < limit; i = s.indexOf('--', i + 1)) {
      const c = s.charCodeAt(i + 2);
      if (c === GT || (c === BANG && i + 3 < limit && s.charCodeAt(i + 3) === GT)) {
        this.pos = i + (c === GT ? 3 : 4);
        this.state = S.data;
        return this.emit(Tok.comment, start, i);
      }
    }
    this.pos = limit;
    this.state = S.eof;
    return this.emit(Tok.comment, start, limit);
  }

  /** Text from start up to the next `>` (or the end) as one token of the given type. */
  private bogus(start: number, type: number): boolean {
    const i = this.s.indexOf('>', start);
    const end = i < 0 || i >= this.limit ? this.limit : i;
    this.pos = end < this.limit ? end + 1 : this.limit;
    this.state = end < this.limit ? S.data : S.eof;
    return this.emit(type, start, end);
  }
}
