/**
 * Correlation ids: the client's X-Request-Id when it is well-formed (so a caller can follow its
 * request through our logs), otherwise a fresh UUID. Anything else could inject into logs or
 * problem bodies, so the alphabet is strict.
 */
import { randomUUID } from 'node:crypto';

const VALID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Picks the request id for a request.
 *
 * @example
 * ```ts
 * requestIdFrom('abc-12345678') // 'abc-12345678'
 * requestIdFrom('<script>')     // a new UUID
 * ```
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID.test(header) ? header : randomUUID();
}
