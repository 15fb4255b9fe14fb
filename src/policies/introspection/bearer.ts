/**
 * The bearer token of a request (RFC 6750 §2.1: the Authorization header only; never the query
 * string or the body), and whether it looks like a JWT.
 */

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The token of an `Authorization: Bearer <token>` header: undefined when the header is absent or
 * names another scheme (not this method's credential), null when it is a Bearer header whose token
 * is malformed.
 *
 * @example
 * ```ts
 * bearerToken('Bearer abc.def') // 'abc.def'
 * bearerToken('Basic dXNlcg==') // undefined
 * bearerToken('Bearer a b')     // null
 * ```
 */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (header.length > 6 && header[6] !== ' ') return undefined;
  const token = header.slice(7).trim();
  return B64TOKEN.test(token) ? token : null;
}

/**
 * Whether a token has the shape of a JWS or JWE in compact form: three or five base64url segments,
 * the first a JSON object (the JOSE header).
 *
 * @example
 * ```ts
 * looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln') // true
 * looksLikeJwt('v4.local.abc')                                 // false (PASETO)
 * ```
 */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 && parts.length !== 5) return false;
  if (!parts.every((p) => B64URL.test(p)) || parts[0] === '') return false;
  return Buffer.from(parts[0]!, 'base64url').toString('latin1').trimStart().startsWith('{');
}
