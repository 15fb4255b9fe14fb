/**
 * Strict, bounded JSON parsing for request bodies (to be implemented: see the brief).
 */

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
