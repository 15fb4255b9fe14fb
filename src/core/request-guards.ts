/**
 * What the gateway and the in-app adapters both check before routing, and the core denials both
 * answer with: one definition, so an app behind an adapter refuses exactly what the gateway does.
 */
import { CORE_ERRORS, type CoreErrorCode } from './errors.js';
import { createDenial, type Denial } from './problem.js';

// Dot segments (also encoded), encoded slash or backslash, backslash, NUL and control characters:
// forms an upstream may normalise into a path the gateway never checked.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const UNSAFE_PATH = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|%2f|%5c|%00|[\\\x00-\x20\x7f]/i;

/**
 * Whether a request path (without its query) must be refused before routing.
 *
 * @example
 * ```ts
 * isUnsafePath('/api/..%2fadmin') // true
 * ```
 */
export function isUnsafePath(path: string): boolean {
  return UNSAFE_PATH.test(path) || path.charCodeAt(0) !== 47 /* / */;
}

const CORE_DENIALS = new Map<string, Denial>();

/**
 * The denial for a core catalogue code, built on first use and then shared.
 *
 * @example
 * ```ts
 * coreDenial('route.not_found').status // 404
 * ```
 */
export function coreDenial(code: CoreErrorCode): Denial {
  let denial = CORE_DENIALS.get(code);
  if (denial === undefined) CORE_DENIALS.set(code, (denial = createDenial(code, CORE_ERRORS[code])));
  return denial;
}
