/**
 * The small pieces every ownership rule shares, parsed once at compile: dotted paths into JSON
 * values, references to the caller (`user.id`, `user.attributes.team`), and the comparison of an
 * owner with the caller.
 */
import type { Principal } from '../../core/principal.js';

/** A dotted path split once (`meta.owner` → ['meta', 'owner']). */
export type DottedPath = readonly string[];

/**
 * Splits a dotted path (already checked by the schema).
 *
 * @example
 * ```ts
 * dottedPath('meta.ownerId') // ['meta', 'ownerId']
 * ```
 */
export function dottedPath(text: string): DottedPath {
  return Object.freeze(text.split('.'));
}

/**
 * The value at `path` in `value`, following own properties of plain objects only (never the
 * prototype: `constructor` or `__proto__` in a path finds nothing).
 *
 * @example
 * ```ts
 * valueAt({ meta: { ownerId: 'alice' } }, ['meta', 'ownerId']) // 'alice'
 * ```
 */
export function valueAt(value: unknown, path: DottedPath): unknown {
  let current = value;
  for (let i = 0; i < path.length; i++) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    const key = path[i]!;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Reads the caller's attribute an ownership rule compares with. */
export type PrincipalRef = (principal: Principal) => unknown;

/**
 * Compiles `user.id` or `user.attributes.<dotted>` (already checked by the schema).
 *
 * @example
 * ```ts
 * principalRef('user.attributes.team')(alice) // 'platform'
 * ```
 */
export function principalRef(text: string): PrincipalRef {
  if (text === 'user.id') return (p) => p.id;
  const path = dottedPath(text.slice('user.attributes.'.length));
  return (p) => valueAt(p.attributes, path);
}

/**
 * A string or number as the text it is compared by, or undefined when the value cannot identify
 * an owner (missing, empty, null, boolean, object, NaN …).
 *
 * @example
 * ```ts
 * identity(42) // '42'
 * identity('') // undefined
 * ```
 */
export function identity(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Whether an owner value names the caller's identity (already passed through {@link identity}).
 * A missing or unusable owner never matches.
 *
 * @example
 * ```ts
 * owns('alice', 'alice') // true
 * owns('alice', undefined) // false
 * ```
 */
export function owns(callerIdentity: string, owner: unknown): boolean {
  const o = identity(owner);
  return o !== undefined && o === callerIdentity;
}
