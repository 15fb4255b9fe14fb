/**
 * OpenAPI 3 parameter serialisation styles, read back: path (simple, label, matrix), query (form,
 * spaceDelimited, pipeDelimited, deepObject), header (simple) and cookie (form). Each reader turns
 * the raw text into a string, a list of strings or a null-prototype object of strings, or a
 * {@link Fault} saying why it cannot.
 */
import type { ParamShape } from './parameters-coerce.js';

/**
 * Why a value could not be read (a violation's reason).
 *
 * @example
 * ```ts
 * const tooMany = new Fault('has more than 256 parameters');
 * ```
 */
export class Fault {
  /** The reason, in the words a violation carries. */
  readonly reason: string;

  constructor(reason: string) {
    this.reason = reason;
  }
}

/** The value does not follow the documented style. */
export const MALFORMED = new Fault('is not serialised in the documented style');
/** A value that takes one value came several times (parameter pollution). */
export const REPEATED = new Fault('must not be repeated');
/** Percent-encoding that does not decode. */
export const BAD_ENCODING = new Fault('is not correctly percent-encoded');
/** deepObject nesting beyond one level (`filter[a][b]`), which qs-style parsers would read as objects. */
export const NESTED = new Fault('must not be nested deeper than one level');

/** A deserialised value: a string, strings, or name → string. */
export type RawValue = string | string[] | Record<string, string>;

/** Name/value pairs of a query string, cookie header or form body: decoded names, raw values. */
export type Pairs = Map<string, string[]>;

const SPACE = /\+|%20/i;
const PIPE = /\||%7C/i;

/**
 * Decodes form-style text: `+` is a space, then percent-decoding. Undefined when malformed.
 *
 * @example
 * ```ts
 * decodeForm('a+b%21') // 'a b!'
 * ```
 */
export function decodeForm(s: string): string | undefined {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/**
 * Splits `a=1&b=2&a=3` into pairs (names decoded, values raw, in order). Returns a Fault when there
 * are more than `max` pairs or a name does not decode.
 *
 * @example
 * ```ts
 * parsePairs('a=1&b=2&a=3', 256) // Map { 'a' => ['1', '3'], 'b' => ['2'] }
 * ```
 */
export function parsePairs(text: string, max: number): Pairs | Fault {
  const pairs: Pairs = new Map();
  let count = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      if (++count > max) return new Fault(`has more than ${max} parameters`);
      const eq = text.indexOf('=', start);
      const split = eq === -1 || eq > end ? end : eq;
      const name = decodeForm(text.slice(start, split));
      if (name === undefined) return BAD_ENCODING;
      const value = split === end ? '' : text.slice(split + 1, end);
      const list = pairs.get(name);
      if (list === undefined) pairs.set(name, [value]);
      else list.push(value);
    }
    start = end + 1;
  }
  return pairs;
}

/**
 * Splits a Cookie header (`a=1; b=2`) into pairs (values raw, surrounding quotes removed).
 *
 * @example
 * ```ts
 * parseCookies('session=x; theme="dark"') // Map { 'session' => ['x'], 'theme' => ['dark'] }
 * ```
 */
export function parseCookies(header: string, max: number): Pairs | Fault {
  const pairs: Pairs = new Map();
  let count = 0;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (++count > max) return new Fault(`has more than ${max} cookies`);
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const list = pairs.get(name);
    if (list === undefined) pairs.set(name, [value]);
    else list.push(value);
  }
  return pairs;
}

function record(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** `k1,v1,k2,v2` → { k1: v1, k2: v2 }. */
function fromPairList(parts: readonly string[]): Record<string, string> | Fault {
  if (parts.length % 2 !== 0) return MALFORMED;
  const out = record();
  for (let i = 0; i < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!;
  return out;
}

/** `k1=v1`, `k2=v2` → { k1: v1, k2: v2 }. */
function fromAssignments(parts: readonly string[]): Record<string, string> | Fault {
  const out = record();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq === -1) return MALFORMED;
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function list(text: string, separator: string): string[] {
  return text === '' ? [] : text.split(separator);
}

/**
 * `simple` (path and header): `5`, `3,4,5`, `role,admin,name,alex` or, exploded, `role=admin,name=alex`.
 *
 * @example
 * ```ts
 * fromSimple('3,4,5', { kind: 'array' }, false) // ['3', '4', '5']
 * ```
 */
export function fromSimple(raw: string, shape: ParamShape, explode: boolean, trim = false): RawValue | Fault {
  if (shape.kind === 'primitive') return raw;
  const parts = list(raw, ',');
  if (trim) for (let i = 0; i < parts.length; i++) parts[i] = parts[i]!.trim();
  if (shape.kind === 'array') return parts;
  return explode ? fromAssignments(parts) : fromPairList(parts);
}

/**
 * `label` (path): `.5`, `.3,4,5`, exploded `.3.4.5`; objects `.role,admin` or `.role=admin.name=alex`.
 *
 * @example
 * ```ts
 * fromLabel('.3.4.5', { kind: 'array' }, true) // ['3', '4', '5']
 * ```
 */
export function fromLabel(raw: string, shape: ParamShape, explode: boolean): RawValue | Fault {
  if (!raw.startsWith('.')) return MALFORMED;
  const rest = raw.slice(1);
  if (shape.kind === 'primitive') return rest;
  const parts = list(rest, explode ? '.' : ',');
  if (shape.kind === 'array') return parts;
  return explode ? fromAssignments(parts) : fromPairList(parts);
}

/**
 * `matrix` (path): `;id=5`, `;id=3,4,5`, exploded `;id=3;id=4;id=5`; objects `;id=role,admin` or,
 * exploded, `;role=admin;name=alex`.
 *
 * @example
 * ```ts
 * fromMatrix(';id=3;id=4', 'id', { kind: 'array' }, true) // ['3', '4']
 * ```
 */
export function fromMatrix(raw: string, name: string, shape: ParamShape, explode: boolean): RawValue | Fault {
  if (!raw.startsWith(';')) return MALFORMED;
  const segments = raw.slice(1).split(';');
  if (shape.kind === 'object' && explode) return fromAssignments(segments);
  const values: string[] = [];
  for (const segment of segments) {
    const eq = segment.indexOf('=');
    if ((eq === -1 ? segment : segment.slice(0, eq)) !== name) return MALFORMED;
    values.push(eq === -1 ? '' : segment.slice(eq + 1));
  }
  if (shape.kind === 'array' && explode) return values;
  if (values.length !== 1) return values.length === 0 ? MALFORMED : REPEATED;
  const value = values[0]!;
  if (shape.kind === 'primitive') return value;
  const parts = list(value, ',');
  return shape.kind === 'array' ? parts : fromPairList(parts);
}

/**
 * Decodes a cookie value: percent-decoded when that works (`+` stays a plus), else as sent.
 *
 * @example
 * ```ts
 * decodeCookie('a%20b+c') // 'a b+c'
 * ```
 */
export function decodeCookie(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

type Decoder = (s: string) => string | undefined;

function decodeAll(parts: readonly string[], decode: Decoder): string[] | Fault {
  const out: string[] = [];
  for (const part of parts) {
    const d = decode(part);
    if (d === undefined) return BAD_ENCODING;
    out.push(d);
  }
  return out;
}

/** How a query (or cookie) parameter is read from the pairs. */
export interface QueryReader {
  readonly name: string;
  readonly style: 'form' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';
  readonly explode: boolean;
  readonly shape: ParamShape;
}

/**
 * Reads one query (or cookie) parameter from the pairs; marks the names it used in `used`.
 * Undefined when absent.
 *
 * @example
 * ```ts
 * readQuery(parsePairs('ids=1,2', 256) as Pairs, { name: 'ids', style: 'form', explode: false, shape: { kind: 'array' } }, new Set()) // ['1', '2']
 * ```
 */
export function readQuery(pairs: Pairs, p: QueryReader, used: Set<string>, decode: Decoder = decodeForm): RawValue | Fault | undefined {
  if (p.style === 'deepObject') return readDeepObject(pairs, p.name, used);
  if (p.shape.kind === 'object' && p.explode) {
    const out = record();
    let any = false;
    for (const prop of p.shape.properties) {
      const values = pairs.get(prop);
      if (values === undefined) continue;
      used.add(prop);
      if (values.length > 1) return REPEATED;
      const d = decode(values[0]!);
      if (d === undefined) return BAD_ENCODING;
      out[prop] = d;
      any = true;
    }
    return any ? out : undefined;
  }
  const values = pairs.get(p.name);
  if (values === undefined) return undefined;
  used.add(p.name);
  if (p.shape.kind === 'array' && p.explode) return decodeAll(values, decode);
  if (values.length > 1) return REPEATED;
  const value = values[0]!;
  if (p.shape.kind === 'primitive') return decode(value) ?? BAD_ENCODING;
  const separator = p.style === 'spaceDelimited' ? SPACE : p.style === 'pipeDelimited' ? PIPE : ',';
  // Split before decoding: an encoded separator (%2C) belongs to the value.
  const parts = decodeAll(value === '' ? [] : value.split(separator), decode);
  if (parts instanceof Fault) return parts;
  return p.shape.kind === 'array' ? parts : fromPairList(parts);
}

/** `filter[status]=open&filter[owner]=me` → { status: 'open', owner: 'me' }. */
function readDeepObject(pairs: Pairs, name: string, used: Set<string>): RawValue | Fault | undefined {
  const prefix = `${name}[`;
  let out: Record<string, string> | undefined;
  for (const [key, values] of pairs) {
    if (!key.startsWith(prefix)) continue;
    used.add(key);
    const prop = key.slice(prefix.length, -1);
    if (!key.endsWith(']') || prop.includes('[') || prop.includes(']')) return NESTED;
    if (values.length > 1) return REPEATED;
    const d = decodeForm(values[0]!);
    if (d === undefined) return BAD_ENCODING;
    (out ??= record())[prop] = d;
  }
  return out;
}
