/**
 * Reading the URL fields of a request: JSON pointers into the body (with `*` for every element or
 * member), query parameters and headers (every occurrence). Pointers are parsed once, at compile;
 * a request is walked along them only, and the walk stops as soon as more URLs than allowed are
 * found, so an attacker's array of ten thousand hooks costs ten steps past the limit, not ten
 * thousand DNS lookups.
 */
import type { RequestContext } from '../../core/context.js';
import type { UrlField } from './schema.js';

/** A `*` segment. */
const WILDCARD: unique symbol = Symbol('*');
type Segment = string | typeof WILDCARD;

/** Why a request's URL fields could not be read. */
export type FieldProblem = 'missing' | 'not_a_string' | 'too_many' | 'body_not_json';

/** A compiled field. */
export interface CompiledField {
  /** Index in the config's `fields`. */
  readonly index: number;
  readonly in: UrlField['in'];
  /** Body: the pointer's segments. */
  readonly segments: readonly Segment[];
  /** Query: the parameter name; header: the lower-case name. */
  readonly name: string;
}

/** The URLs found in one request, or the first problem. */
export interface Collected {
  /** Values found, in field order. */
  readonly urls: Array<{ readonly field: number; readonly value: string }>;
  /** The first problem, if any, and the field it was found in. */
  problem: { readonly field: number; readonly reason: FieldProblem } | undefined;
}

/**
 * Parses a JSON pointer with `*` wildcards; undefined when it is not one (`~` not followed by 0
 * or 1, or no leading `/`).
 *
 * @example
 * ```ts
 * parsePointer('/hooks/*\/url') // ['hooks', WILDCARD, 'url']
 * parsePointer('url')          // undefined
 * ```
 */
export function parsePointer(pointer: string): Segment[] | undefined {
  if (!pointer.startsWith('/')) return undefined;
  const segments: Segment[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    if (raw === '*') {
      segments.push(WILDCARD);
      continue;
    }
    if (/~(?![01])/.test(raw)) return undefined;
    segments.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return segments;
}

/**
 * Compiles a field; undefined for a malformed body pointer (the caller reports it).
 *
 * @example
 * ```ts
 * compileField({ in: 'header', name: 'X-Callback-Url' }, 0) // { index: 0, in: 'header', segments: [], name: 'x-callback-url' }
 * ```
 */
export function compileField(field: UrlField, index: number): CompiledField | undefined {
  if (field.in !== 'body') return { index, in: field.in, segments: [], name: field.in === 'header' ? field.name.toLowerCase() : field.name };
  const segments = parsePointer(field.name);
  return segments === undefined ? undefined : { index, in: 'body', segments, name: field.name };
}

const ARRAY_INDEX = /^(?:0|[1-9]\d{0,8})$/;

/**
 * Collects the URL values of `fields` in one request, stopping at the first problem or once more
 * than `max` were found. `required` makes an absent value (or JSON null) a problem.
 *
 * @example
 * ```ts
 * const found = collectUrls(ctx, fields, 10, false);
 * if (found.problem) return refusal(found.problem.reason);
 * ```
 */
export function collectUrls(ctx: RequestContext, fields: readonly CompiledField[], max: number, required: boolean): Collected {
  const out: Collected = { urls: [], problem: undefined };
  let query: URLSearchParams | undefined;
  const add = (field: number, value: unknown): boolean => {
    if (value === undefined || value === null) {
      if (required) out.problem = { field, reason: 'missing' };
    } else if (typeof value !== 'string') {
      out.problem = { field, reason: 'not_a_string' };
    } else if (out.urls.length >= max) {
      out.problem = { field, reason: 'too_many' };
    } else {
      out.urls.push({ field, value });
    }
    return out.problem === undefined;
  };
  for (const field of fields) {
    if (field.in === 'body') {
      if (ctx.body === undefined && ctx.rawBody !== undefined && ctx.rawBody.length > 0) {
        out.problem = { field: field.index, reason: 'body_not_json' };
      } else {
        walk(ctx.body, field.segments, 0, (v) => add(field.index, v));
      }
    } else if (field.in === 'query') {
      query ??= new URLSearchParams(ctx.query);
      const values = query.getAll(field.name);
      if (values.length === 0) add(field.index, undefined);
      for (const v of values) if (!add(field.index, v)) break;
    } else {
      const raw = ctx.req.rawHeaders;
      let seen = false;
      for (let i = 0; i + 1 < raw.length && out.problem === undefined; i += 2) {
        const name = raw[i]!;
        if (name.length !== field.name.length || name.toLowerCase() !== field.name) continue;
        seen = true;
        add(field.index, raw[i + 1]);
      }
      if (!seen) add(field.index, undefined);
    }
    if (out.problem !== undefined) break;
  }
  return out;
}

/** Visits the values at `segments` below `value`; stops when `visit` returns false. */
function walk(value: unknown, segments: readonly Segment[], at: number, visit: (v: unknown) => boolean): boolean {
  if (at === segments.length) return visit(value);
  if (value === null || typeof value !== 'object') return visit(undefined);
  const segment = segments[at]!;
  if (segment === WILDCARD) {
    if (Array.isArray(value)) {
      for (const item of value) if (!walk(item, segments, at + 1, visit)) return false;
    } else {
      for (const key in value) {
        if (Object.hasOwn(value, key) && !walk((value as Record<string, unknown>)[key], segments, at + 1, visit)) return false;
      }
    }
    return true;
  }
  if (Array.isArray(value)) return walk(ARRAY_INDEX.test(segment) ? value[Number(segment)] : undefined, segments, at + 1, visit);
  return walk(Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined, segments, at + 1, visit);
}
