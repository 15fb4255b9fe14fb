/**
 * The API key format, `pk_<prefix>_<secret>`, and what the gateway stores of a key.
 *
 * - `prefix`: 12 random letters and digits (8 to 12 accepted). It names the key: the gateway
 *   finds the stored entry by it in one map lookup, and logs may show it. It is not secret.
 * - `secret`: 32 random bytes, base64url (43 characters): 256 bits an attacker must guess.
 * - stored: `sha256:<hex>` of the whole key. Passwords need a slow hash (scrypt, argon2) because
 *   people pick guessable ones; a 256-bit random secret cannot be guessed, so SHA-256 is
 *   preimage-safe here and costs about a microsecond per request instead of the tens of
 *   milliseconds a slow hash would spend (a denial-of-service lever on every refused request).
 *   The hash covers the prefix too, so a stored hash is bound to its prefix.
 */
import crypto from 'node:crypto';

/** Literal start of every key. */
export const KEY_MARKER = 'pk_';

/** Length of a generated prefix. */
export const PREFIX_LENGTH = 12;

/** Random bytes in a generated secret. */
export const SECRET_BYTES = 32;

const MIN_PREFIX = 8;
const MAX_PREFIX = 12;
const MIN_SECRET = 43;
const MAX_SECRET = 128;

/** Longest string that can be a key; a longer header is malformed without being hashed. */
export const MAX_KEY_LENGTH = KEY_MARKER.length + MAX_PREFIX + 1 + MAX_SECRET;

const SHAPE = /^pk_[A-Za-z0-9]{8,12}_[A-Za-z0-9_-]{43,128}$/;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A newly generated key: give `key` to the client once; store `prefix` and `hash`. */
export interface GeneratedKey {
  /** The full key, `pk_<prefix>_<secret>`. Shown once, never stored by the gateway. */
  readonly key: string;
  /** Its prefix. */
  readonly prefix: string;
  /** `sha256:<hex>` of the key. */
  readonly hash: string;
}

/**
 * Creates a key from the operating system's CSPRNG.
 *
 * @example
 * ```ts
 * const { key, prefix, hash } = generateApiKey();
 * // key 'pk_7fQk2LmZp0Xa_Jx3…' (59 characters), prefix '7fQk2LmZp0Xa', hash 'sha256:…'
 * ```
 */
export function generateApiKey(): GeneratedKey {
  const prefix = randomBase62(PREFIX_LENGTH);
  const key = `${KEY_MARKER}${prefix}_${crypto.randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/**
 * The stored form of a key: `sha256:` and the hex SHA-256 of its UTF-8 bytes.
 *
 * @example
 * ```ts
 * hashApiKey('pk_7fQk2LmZp0Xa_…') // 'sha256:3b0c…'
 * ```
 */
export function hashApiKey(key: string): string {
  return `sha256:${crypto.hash('sha256', key, 'hex')}`;
}

/**
 * The SHA-256 digest of a key, as the per-request comparison uses it.
 *
 * @example
 * ```ts
 * keyDigest('pk_…').length // 32
 * ```
 */
export function keyDigest(key: string): Buffer {
  return crypto.hash('sha256', key, 'buffer');
}

/**
 * The prefix of a well-formed key, or undefined when `value` is not shaped like one. Looks only
 * at the shape, never at whether the key exists.
 *
 * @example
 * ```ts
 * keyPrefix('pk_7fQk2LmZp0Xa_Jx3…') // '7fQk2LmZp0Xa'
 * keyPrefix('Bearer abc')           // undefined
 * ```
 */
export function keyPrefix(value: string): string | undefined {
  if (value.length > MAX_KEY_LENGTH || value.length < KEY_MARKER.length + MIN_PREFIX + 1 + MIN_SECRET) return undefined;
  if (!SHAPE.test(value)) return undefined;
  // The prefix alphabet has no '_', so the second '_' ends it.
  return value.slice(KEY_MARKER.length, value.indexOf('_', KEY_MARKER.length));
}

/** Uniform random letters and digits (rejection sampling: no modulo bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes at or above it would favour the first 8 characters.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}
