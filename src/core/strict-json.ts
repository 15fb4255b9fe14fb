/**
 * Strict, bounded JSON parsing for request bodies. Node's native UTF-8 check, then one iterative
 * scan of the structure (nesting depth, key and element counts, string lengths, duplicate and
 * forbidden keys, escaped surrogates), then native JSON.parse, which checks the RFC 8259 grammar
 * and builds the value. Measured faster than a parser written in JS (bench/strict-json.bench.ts).
 *
 * Decided where RFC 8259 leaves a choice (JSONTestSuite's `i_` files):
 * - a byte order mark, UTF-16/32 text and invalid UTF-8 are refused (`encoding`): RFC 8259 §8.1
 *   requires UTF-8 without a BOM, and a decoder that substitutes U+FFFD would show policies other
 *   text than the upstream reads;
 * - an escaped lone or reversed surrogate (`"\uD800"`) is refused (`encoding`): upstreams differ
 *   (U+FFFD, an error, a raw surrogate), a parser differential;
 * - numbers of any size are accepted and read as JSON.parse reads them (IEEE 754 double:
 *   `1e400` is Infinity, `1e-400` is 0); the upstream still gets the exact bytes;
 * - duplicate keys in one object (RFC 8259 §4: names "SHOULD be unique") are refused, so also
 *   JSONTestSuite's `y_object_duplicated_key*`: which value wins differs between parsers.
 */
import { isUtf8 } from 'node:buffer';
import { jsonPointer } from './json-paths.js';

/** Bounds on a JSON document an attacker sends. */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most object keys in the whole document. */
  readonly maxKeys: number;
  /** Longest string (key or value), in UTF-16 code units. */
  readonly maxStringLength: number;
  /** Most array elements in the whole document. */
  readonly maxArrayItems: number;
}

/**
 * The limits where none are configured. Depth 64: ample for API bodies (serde_json stops at 128,
 * our property walkers at 32 array levels) and it refuses JSONTestSuite's 500-deep arrays. 10,000
 * keys and 100,000 elements in all: far above normal bodies, well below what a 1 MiB body can
 * hold, so the work one body causes downstream stays bounded. 1,000,000 characters per string:
 * the 1 MiB default body cap bounds strings anyway.
 *
 * @example
 * ```ts
 * parseJsonStrict(raw, { ...DEFAULT_JSON_LIMITS, maxDepth: 16 });
 * ```
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = Object.freeze({ maxDepth: 64, maxKeys: 10_000, maxStringLength: 1_000_000, maxArrayItems: 100_000 });

/** Why a document was refused: the rule or limit it broke. */
export type JsonFailureReason = 'syntax' | 'depth' | 'keys' | 'string_length' | 'array_items' | 'duplicate_key' | 'forbidden_key' | 'encoding';

/** What {@link parseJsonStrict} returns: the value, or why not and where (RFC 6901 pointer). */
export type StrictJsonResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: JsonFailureReason; readonly pointer?: string };

/** Options of {@link parseJsonStrict} beyond the limits. */
export interface StrictJsonOptions {
  /**
   * Keep `__proto__` keys, as own data properties (as JSON.parse makes them). Default false: they
   * are refused, since a naive merge of the body into another object walks into Object.prototype.
   */
  readonly allowProtoKey?: boolean;
}

/**
 * Longest key, in UTF-16 code units, whatever maxStringLength says (a longer one is refused as
 * `string_length`). V8 hashes longer strings by their length alone, so an object of many such
 * keys makes every hash table quadratic, JSON.parse's own included (measured: 10 MB of 16,384-unit
 * keys parse in 179 ms, of 16,383-unit keys in 33 ms). No API's property names come close.
 */
export const MAX_KEY_LENGTH = 16_383;

/** Longest JSON pointer put in a failure: a longer one is left out, not cut. */
export const MAX_POINTER_LENGTH = 256;

/**
 * The strictest of several partial limits: per field the smallest value given, the default where
 * none is given (the compiler folds a route's policies' `jsonLimits` with it).
 *
 * @example
 * ```ts
 * strictestJsonLimits([{ maxDepth: 16 }, { maxDepth: 32, maxKeys: 100 }]) // { maxDepth: 16, maxKeys: 100, … }
 * ```
 */
export function strictestJsonLimits(parts: ReadonlyArray<Partial<JsonLimits> | undefined>): JsonLimits {
  const min = (field: keyof JsonLimits): number => {
    let value: number | undefined;
    for (const part of parts) {
      const given = part?.[field];
      if (given !== undefined && (value === undefined || !(given >= value))) value = given;
    }
    return value ?? DEFAULT_JSON_LIMITS[field];
  };
  return Object.freeze({ maxDepth: min('maxDepth'), maxKeys: min('maxKeys'), maxStringLength: min('maxStringLength'), maxArrayItems: min('maxArrayItems') });
}

/**
 * Parses a request body as strict RFC 8259 JSON within `limits` (defaults for fields left out).
 * Never throws on bad input; time is linear in its size and a refusal stops at the first fault.
 * Objects are ordinary objects (prototype Object.prototype); `constructor` and `prototype` keys
 * are ordinary own properties.
 *
 * @example
 * ```ts
 * const r = parseJsonStrict(Buffer.from('{"a":1,"a":2}'));
 * if (!r.ok) r.reason // 'duplicate_key', r.pointer '/a'
 * ```
 */
export function parseJsonStrict(raw: Buffer, limits?: Partial<JsonLimits>, options?: StrictJsonOptions): StrictJsonResult {
  const n = raw.length;
  // A BOM, a NUL among the first two bytes (UTF-16/32 text, RFC 4627 §3) or invalid UTF-8.
  if ((n >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) || (n >= 2 && (raw[0] === 0 || raw[1] === 0)) || !isUtf8(raw)) {
    return { ok: false, reason: 'encoding' };
  }
  const fault = scan(raw, limits ?? DEFAULT_JSON_LIMITS, options?.allowProtoKey === true);
  if (setsUsed) {
    // Drop the decoded keys: no request's data outlives its parse.
    for (const set of keySets) set?.clear();
    setsUsed = false;
  }
  if (fault !== undefined) return fault;
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'syntax' };
  }
}

// Scanner results: an index (>= 0) or one of these.
const SYNTAX = -1;
const ENCODING = -2;
/** Objects with up to this many keys are checked for duplicates by comparing bytes, larger ones by a Set. */
const LINEAR_KEYS = 12;
const OBJECT = 1;
const PROTO = Buffer.from('__proto__');

// The scanner's stacks, reused by every call (parsing is synchronous; allocating them per call
// costs more than a small body's scan) and grown on demand, up to the limits.
// Per depth: container kind, array index, slot of the current key, first key slot, whether the
// object's keys are in its Set (keySets) yet.
let kind = new Uint8Array(72);
let index = new Int32Array(72);
let current = new Int32Array(72);
let keyBase = new Int32Array(72);
let hashed = new Uint8Array(72);
// The open objects' keys, as byte ranges of the input, whether escaped, and a fingerprint.
let keyStart = new Int32Array(256);
let keyEnd = new Int32Array(256);
let keyEscaped = new Uint8Array(256);
let keyPrint = new Int32Array(256);
const keySets: Array<Set<string> | undefined> = [];
let setsUsed = false;
// Whether the string just scanned had an escape.
let escaped = false;
// The next `"` and `\` at or after the scan position, found natively and kept until passed: each
// byte is searched at most once, so long strings cost one native search, in linear time.
let quoteAt = -1;
let backslashAt = -1;

// What a byte outside strings asks of the scanner. SKIP: JSON whitespace and what numbers and
// the literals true/false/null are made of (their grammar is JSON.parse's to check).
const SKIP = 0;
const QUOTE = 1;
const OPEN_ARRAY = 2;
const OPEN_OBJECT = 3;
const CLOSE_ARRAY = 4;
const CLOSE_OBJECT = 5;
const COMMA = 6;
const OTHER = 7;
const CLASS = new Uint8Array(256).fill(OTHER);
for (const c of Buffer.from(' \t\n\r0123456789+-.eE:truefalsn')) CLASS[c] = SKIP;
CLASS[0x22] = QUOTE;
CLASS[0x5b] = OPEN_ARRAY;
CLASS[0x7b] = OPEN_OBJECT;
CLASS[0x5d] = CLOSE_ARRAY;
CLASS[0x7d] = CLOSE_OBJECT;
CLASS[0x2c] = COMMA;

/**
 * Walks the structure of valid UTF-8: strings (escapes, surrogates, lengths), keys (duplicates,
 * forbidden, count), brackets (depth, matching) and array elements. The first fault found is the
 * answer; what it lets through must still pass JSON.parse's grammar.
 */
function scan(b: Buffer, limits: Partial<JsonLimits>, allowProto: boolean): StrictJsonResult | undefined {
  const maxDepth = bound(limits.maxDepth, DEFAULT_JSON_LIMITS.maxDepth);
  const maxKeys = bound(limits.maxKeys, DEFAULT_JSON_LIMITS.maxKeys);
  const maxString = bound(limits.maxStringLength, DEFAULT_JSON_LIMITS.maxStringLength);
  const maxItems = bound(limits.maxArrayItems, DEFAULT_JSON_LIMITS.maxArrayItems);
  const maxKey = Math.min(maxString, MAX_KEY_LENGTH);
  const n = b.length;
  let depth = 0;
  let keys = 0;
  let items = 0;
  let top = 0;
  let i = 0;
  quoteAt = -1;
  backslashAt = -1;
  for (;;) {
    while (i < n && CLASS[b[i]!] === SKIP) i++;
    if (i >= n) return undefined;
    const c = CLASS[b[i]!];
    if (c === QUOTE) {
      const end = findStringEnd(b, i + 1);
      if (end < 0) return failure(b, end === ENCODING ? 'encoding' : 'syntax', depth);
      if (end - i - 1 > maxString && utf16Length(b, i + 1, end) > maxString) return failure(b, 'string_length', depth);
      i = end + 1;
      continue;
    }
    if (c === COMMA) {
      if (depth === 0) return failure(b, 'syntax', 0);
      i = ws(b, i + 1, n);
      if (kind[depth] !== OBJECT) {
        index[depth]!++;
        if (++items > maxItems) return failure(b, 'array_items', depth);
        continue;
      }
    } else if (c === OPEN_OBJECT) {
      if (depth >= maxDepth) return failure(b, 'depth', depth);
      if (++depth === kind.length) growDepth();
      kind[depth] = OBJECT;
      current[depth] = -1;
      keyBase[depth] = top;
      hashed[depth] = 0;
      i = ws(b, i + 1, n);
      if (b[i] === 0x7d) continue;
    } else if (c === OPEN_ARRAY) {
      if (depth >= maxDepth) return failure(b, 'depth', depth);
      if (++depth === kind.length) growDepth();
      kind[depth] = 0;
      index[depth] = 0;
      i = ws(b, i + 1, n);
      if (b[i] !== 0x5d && ++items > maxItems) return failure(b, 'array_items', depth);
      continue;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0 || (kind[depth] === OBJECT) !== (c === CLOSE_OBJECT)) return failure(b, 'syntax', depth);
      if (c === CLOSE_OBJECT) top = keyBase[depth]!;
      depth--;
      i++;
      continue;
    } else {
      return failure(b, 'syntax', depth);
    }
    // After `{` or a comma in an object: a key.
    current[depth] = -1;
    if (b[i] !== 0x22) return failure(b, 'syntax', depth);
    const end = findStringEnd(b, i + 1);
    if (end < 0) return failure(b, end === ENCODING ? 'encoding' : 'syntax', depth);
    if (end - i - 1 > maxKey && utf16Length(b, i + 1, end) > maxKey) return failure(b, 'string_length', depth);
    if (++keys > maxKeys) return failure(b, 'keys', depth);
    if (top === keyStart.length) growKeys();
    keyStart[top] = i + 1;
    keyEnd[top] = end;
    keyEscaped[top] = escaped ? 1 : 0;
    current[depth] = top;
    const fault = addKey(b, keyBase[depth]!, top, depth, allowProto);
    if (fault !== undefined) return failure(b, fault, depth);
    top++;
    i = end + 1;
  }
}

/** A limit as given, the default when absent; NaN or negative is 0 (fails closed, never unbounded). */
function bound(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return value >= 0 ? value : 0;
}

/** Checks the key in `slot` against the object's earlier keys (slots from `base`) and `__proto__`. */
function addKey(b: Buffer, base: number, slot: number, depth: number, allowProto: boolean): JsonFailureReason | undefined {
  const start = keyStart[slot]!;
  const length = keyEnd[slot]! - start;
  if (hashed[depth] === 0 && keyEscaped[slot] === 0) {
    if (length === 9 && b[start] === 0x5f && !allowProto && sameBytes(b, start, PROTO, 0, 9)) return 'forbidden_key';
    // Length and three bytes in one number: most keys differ there, so few need a byte compare.
    const print = (length << 24) ^ (b[start]! << 16) ^ (b[start + (length >> 1)]! << 8) ^ b[start + length - 1]!;
    keyPrint[slot] = print;
    for (let j = base; j < slot; j++) {
      if (keyPrint[j] === print && keyEnd[j]! - keyStart[j]! === length && sameBytes(b, keyStart[j]!, b, start, length)) return 'duplicate_key';
    }
    if (slot - base < LINEAR_KEYS) return undefined;
  }
  // Past LINEAR_KEYS keys, or with an escaped key: decoded keys in a Set keep the check linear and exact.
  const name = keyName(b, slot);
  if (name === undefined) return 'syntax';
  if (name === '__proto__' && !allowProto) return 'forbidden_key';
  let set = keySets[depth];
  if (hashed[depth] === 0) {
    hashed[depth] = 1;
    set ??= keySets[depth] = new Set();
    set.clear();
    setsUsed = true;
    for (let j = base; j < slot; j++) set.add(keyName(b, j)!);
  }
  if (set!.has(name)) return 'duplicate_key';
  set!.add(name);
  return undefined;
}

function sameBytes(a: Buffer, x: number, c: Buffer, y: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (a[x + k] !== c[y + k]) return false;
  return true;
}

/** The decoded key in `slot`; undefined when JSON.parse would refuse it (a raw control character). */
function keyName(b: Buffer, slot: number): string | undefined {
  const start = keyStart[slot]!;
  const end = keyEnd[slot]!;
  if (keyEscaped[slot] === 0) return b.toString('utf8', start, end);
  try {
    return JSON.parse(b.toString('utf8', start - 1, end + 1)) as string;
  } catch {
    return undefined;
  }
}

/** A refusal, with the pointer to where the scanner was when it is short enough to report. */
function failure(b: Buffer, reason: JsonFailureReason, depth: number): StrictJsonResult {
  const trail: Array<string | number> = [];
  for (let d = 1; d <= depth; d++) {
    const name = kind[d] !== OBJECT ? index[d]! : current[d]! >= 0 ? keyName(b, current[d]!) : undefined;
    if (name === undefined) break;
    trail.push(name);
  }
  const pointer = jsonPointer(trail);
  return pointer.length <= MAX_POINTER_LENGTH ? { ok: false, reason, pointer } : { ok: false, reason };
}

function growDepth(): void {
  const size = kind.length * 2;
  kind = grown(kind, new Uint8Array(size));
  index = grown(index, new Int32Array(size));
  current = grown(current, new Int32Array(size));
  keyBase = grown(keyBase, new Int32Array(size));
  hashed = grown(hashed, new Uint8Array(size));
}

function growKeys(): void {
  const size = keyStart.length * 2;
  keyStart = grown(keyStart, new Int32Array(size));
  keyEnd = grown(keyEnd, new Int32Array(size));
  keyEscaped = grown(keyEscaped, new Uint8Array(size));
  keyPrint = grown(keyPrint, new Int32Array(size));
}

function grown<T extends Uint8Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function ws(b: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** The index of the quote that ends the string starting at i, or SYNTAX/ENCODING. Control characters are JSON.parse's to refuse. */
function findStringEnd(b: Buffer, i: number): number {
  escaped = false;
  // Most keys and many values are short: a few bytes in JS cost less than a native call.
  const probe = Math.min(i + 32, b.length);
  for (let k = i; k < probe; k++) {
    const c = b[k];
    if (c === 0x22) return k;
    if (c === 0x5c) break;
  }
  for (;;) {
    if (quoteAt < i) {
      quoteAt = b.indexOf(0x22, i);
      if (quoteAt < 0) return SYNTAX;
    }
    if (backslashAt < i) {
      backslashAt = b.indexOf(0x5c, i);
      if (backslashAt < 0) backslashAt = b.length;
    }
    if (quoteAt < backslashAt) return quoteAt;
    escaped = true;
    i = escapeEnd(b, backslashAt);
    if (i < 0) return i;
  }
}

/** The index after the escape at i (a backslash), or SYNTAX/ENCODING (an unpaired surrogate). */
function escapeEnd(b: Buffer, i: number): number {
  const e = b[i + 1];
  if (e === 0x75) {
    const u = hex4(b, i + 2);
    if (u < 0) return SYNTAX;
    if (u < 0xd800 || u > 0xdfff) return i + 6;
    // Only a high surrogate followed by an escaped low one is a character.
    if (u >= 0xdc00 || b[i + 6] !== 0x5c || b[i + 7] !== 0x75) return ENCODING;
    const low = hex4(b, i + 8);
    if (low < 0) return SYNTAX;
    return low >= 0xdc00 && low <= 0xdfff ? i + 12 : ENCODING;
  }
  return e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74 ? i + 2 : SYNTAX;
}

/** Four hex digits at i as a number, or -1. */
function hex4(b: Buffer, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = b[k];
    if (c === undefined) return -1;
    const lower = c | 0x20;
    if (c >= 0x30 && c <= 0x39) v = v * 16 + c - 0x30;
    else if (lower >= 0x61 && lower <= 0x66) v = v * 16 + lower - 0x57;
    else return -1;
  }
  return v;
}

/** UTF-16 length of a scanned string body (valid UTF-8). */
function utf16Length(b: Buffer, i: number, end: number): number {
  let units = 0;
  while (i < end) {
    const c = b[i]!;
    if (c === 0x5c) {
      i += b[i + 1] === 0x75 ? 6 : 2;
      units++;
    } else {
      i++;
      // A lead byte starts one code unit, a 4-byte sequence's lead two; continuation bytes none.
      if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1;
    }
  }
  return units;
}
