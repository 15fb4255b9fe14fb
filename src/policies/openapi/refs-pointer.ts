/**
 * `$ref` strings and JSON pointers: parsing a reference (local pointer or relative file, never a
 * remote one) and finding the value a pointer names.
 */
import { dirname, resolve } from 'node:path';
import { escapeSegment, show, type Where } from './document-problems.js';

const MAX_REF_LENGTH = 2048;

/** Where a `$ref` points. */
export interface RefTarget {
  /** Absolute file (lexically resolved against the referring file). */
  readonly file: string;
  /** The fragment's JSON pointer, unescaped into keys. */
  readonly segments: readonly string[];
  /** The same place, for messages and as an identity. */
  readonly where: Where;
}

/** Whether a value is a mapping (not an array, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a `$ref` found in `fromFile`, or says why it cannot be followed.
 *
 * @example
 * ```ts
 * parseRef('common.yaml#/components/parameters/Limit', '/srv/api/openapi.yaml')
 * // { file: '/srv/api/common.yaml', segments: ['components', 'parameters', 'Limit'], … }
 * parseRef('https://example.com/x.yaml', '/srv/api/openapi.yaml') // '… is a remote reference …'
 * ```
 */
export function parseRef(ref: string, fromFile: string): RefTarget | string {
  if (ref.length > MAX_REF_LENGTH) return `$ref is longer than ${MAX_REF_LENGTH} characters`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(ref)?.[1];
  if (scheme !== undefined || ref.startsWith('//')) {
    return scheme === undefined || /^https?$/i.test(scheme)
      ? `$ref ${show(ref)} is a remote reference: the document is loaded without network access; save that file below the document's directory and refer to it by a relative path`
      : `$ref ${show(ref)}: only relative file references are supported, not ${show(`${scheme}:`)}`;
  }
  const hash = ref.indexOf('#');
  const filePart = hash === -1 ? ref : ref.slice(0, hash);
  if (filePart.includes('?')) return `$ref ${show(ref)}: a query string is not supported in a file reference`;
  const path = decode(filePart);
  if (path === undefined || path.includes('\0')) return `$ref ${show(ref)}: malformed percent-encoding in the file name`;
  const fragment = decode(hash === -1 ? '' : ref.slice(hash + 1));
  if (fragment === undefined) return `$ref ${show(ref)}: malformed percent-encoding in the fragment`;
  if (fragment !== '' && !fragment.startsWith('/')) return `$ref ${show(ref)}: the fragment must be a JSON pointer (#/components/…); named anchors are not supported`;
  const segments: string[] = [];
  for (const raw of fragment === '' ? [] : fragment.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) return `$ref ${show(ref)}: invalid JSON pointer escape (only ~0 and ~1)`;
    segments.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  const file = path === '' ? fromFile : resolve(dirname(fromFile), path);
  return { file, segments, where: { file, pointer: segments.map((s) => `/${escapeSegment(s)}`).join('') } };
}

function decode(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** What {@link lookup} gives when the pointer names nothing. */
export const MISSING: unique symbol = Symbol('missing');

/**
 * The value at a JSON pointer (as keys) inside parsed data; own properties only, so a pointer
 * naming `constructor` or `__proto__` finds nothing.
 *
 * @example
 * ```ts
 * lookup({ a: [{ b: 1 }] }, ['a', '0', 'b']) // 1
 * ```
 */
export function lookup(data: unknown, segments: readonly string[]): unknown {
  let cur = data;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d{0,8})$/.test(seg) || Number(seg) >= cur.length) return MISSING;
      cur = cur[Number(seg)];
    } else if (isMapping(cur) && Object.hasOwn(cur, seg)) {
      cur = cur[seg];
    } else {
      return MISSING;
    }
  }
  return cur;
}
