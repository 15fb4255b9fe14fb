/**
 * The error-code catalogue: every refusal or failure the gateway itself answers with has a stable
 * string code, an HTTP status and a title. Tests and clients match on `code`, never on wording.
 * Policies declare their own codes in `definePolicy({ errors })`; they are prefixed with the
 * policy's name (`size-limit.body_too_large`) and join this catalogue when a registry is built.
 */

/** One entry of the catalogue. */
export interface ErrorSpec {
  /** HTTP status sent with this code. */
  readonly status: number;
  /** Short, human-readable summary; the same for every occurrence (RFC 9457 `title`). */
  readonly title: string;
  /** What happened and what a client or operator can do about it (docs/errors.md). */
  readonly description: string;
}

/**
 * Codes the gateway core answers with (routing, proxying, the HTTP server itself).
 *
 * @example
 * ```ts
 * CORE_ERRORS['proxy.upstream_timeout'].status // 504
 * ```
 */
export const CORE_ERRORS = {
  'route.not_found': {
    status: 404,
    title: 'Not Found',
    description: 'No route of the gateway matches the method and path. Anything not declared is unreachable.',
  },
  'route.method_not_allowed': {
    status: 405,
    title: 'Method Not Allowed',
    description: 'The path is a route of the gateway, but not with this method. The Allow header lists the methods it takes.',
  },
  'request.bad_request': {
    status: 400,
    title: 'Bad Request',
    description: 'The request could not be parsed as HTTP/1.1 (malformed request line, headers or framing).',
  },
  'request.timeout': {
    status: 408,
    title: 'Request Timeout',
    description: 'The client did not send the whole request within the server timeouts (headersTimeout, requestTimeout).',
  },
  'request.headers_too_large': {
    status: 431,
    title: 'Request Header Fields Too Large',
    description: 'The request line and headers exceed server.maxHeaderSize bytes, or there are more than server.maxHeadersCount headers.',
  },
  'request.invalid_path': {
    status: 400,
    title: 'Bad Request',
    description: 'The path has dot segments, encoded slashes or backslashes, NUL or control characters: forms an upstream could normalise into a different route than the gateway checked.',
  },
  'request.invalid_json': {
    status: 400,
    title: 'Bad Request',
    description: 'A route that inspects JSON bodies received a body that is not valid JSON (or not JSON at all).',
  },
  'request.body_too_large': {
    status: 413,
    title: 'Content Too Large',
    description: 'The body is larger than the gateway buffers for inspection, on a route where size-limit is switched off.',
  },
  'request.invalid_body': {
    status: 400,
    title: 'Bad Request',
    description: 'The request body was aborted or malformed while the gateway was reading or forwarding it.',
  },
  'authenticate.required': {
    status: 401,
    title: 'Unauthorized',
    description: 'The route requires authentication and the request carried no credential of a kind the route accepts. WWW-Authenticate lists them.',
  },
  'authenticate.invalid_token': {
    status: 401,
    title: 'Unauthorized',
    description: 'The bearer token was refused (RFC 6750 invalid_token). Which check failed (signature, expiry, audience …) is in the gateway\'s log and audit trail, never in the response.',
  },
  'authenticate.invalid_credentials': {
    status: 401,
    title: 'Unauthorized',
    description: 'The API key or other credential was refused (unknown, revoked, expired, not valid for this route). Why is in the log and audit trail only.',
  },
  'authenticate.unavailable': {
    status: 503,
    title: 'Service Unavailable',
    description: 'The credential could not be checked because the identity provider (JWKS, introspection) is unreachable; authentication fails closed.',
  },
  'proxy.upstream_unavailable': {
    status: 502,
    title: 'Bad Gateway',
    description: 'The upstream could not be reached or closed the connection before answering.',
  },
  'proxy.response_too_large': {
    status: 502,
    title: 'Bad Gateway',
    description: 'The upstream response is larger than upstreams.<name>.maxResponseBytes on a route that inspects response bodies; nothing of it was sent.',
  },
  'proxy.upstream_timeout': {
    status: 504,
    title: 'Gateway Timeout',
    description: 'The upstream did not accept the connection or send its response headers within the configured timeouts.',
  },
  'gateway.internal_error': {
    status: 500,
    title: 'Internal Server Error',
    description: 'A policy failed unexpectedly. The request was refused (fail closed); the log has the details under the request id.',
  },
  'gateway.shutting_down': {
    status: 503,
    title: 'Service Unavailable',
    description: 'The gateway is draining connections before it stops; retry on another instance.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** A code of the core catalogue. */
export type CoreErrorCode = keyof typeof CORE_ERRORS;

/**
 * The catalogue a running gateway uses: the core codes plus every registered policy's codes.
 *
 * @example
 * ```ts
 * const catalogue = createCatalogue([{ name: 'size-limit', errors: { body_too_large: { status: 413, title: 'Content Too Large', description: '…' } } }]);
 * catalogue.get('size-limit.body_too_large')?.status // 413
 * ```
 */
export function createCatalogue(policies: ReadonlyArray<{ readonly name: string; readonly errors: Readonly<Record<string, ErrorSpec>> }>): ReadonlyMap<string, ErrorSpec> {
  const map = new Map<string, ErrorSpec>(Object.entries(CORE_ERRORS));
  for (const policy of policies) {
    for (const [local, spec] of Object.entries(policy.errors)) {
      const code = `${policy.name}.${local}`;
      if (map.has(code)) throw new Error(`error code ${code} is declared twice`);
      map.set(code, spec);
    }
  }
  return map;
}
