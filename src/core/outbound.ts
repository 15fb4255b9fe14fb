/**
 * The contract of the gateway's own outbound HTTP client (JWKS, discovery, introspection,
 * lookups, webhooks). Policies receive an implementation in their CompileEnv and never open
 * connections of their own, so one module enforces timeouts, size bounds and the SSRF guard.
 */

/** One outbound request. */
export interface OutboundRequest {
  /** Absolute http(s) URL. */
  readonly url: string;
  /** Method; GET by default. */
  readonly method?: 'GET' | 'POST';
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request body (already encoded). */
  readonly body?: string;
  /** Overall deadline in ms (connect + response); the client's default when omitted. */
  readonly timeoutMs?: number;
  /** Largest response body accepted, in bytes; the client's default when omitted. */
  readonly maxBytes?: number;
}

/** A completed outbound response (the body fully read, within its bound). */
export interface OutboundResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body. */
  readonly body: Buffer;
}

/** Why an outbound request failed. */
export type OutboundErrorCode = 'outbound.blocked' | 'outbound.timeout' | 'outbound.too_large' | 'outbound.failed';

/**
 * An outbound failure with a stable code; the message may name the host (logs only).
 *
 * @example
 * ```ts
 * try { await outbound.request({ url }); } catch (e) { if (e instanceof OutboundError && e.code === 'outbound.blocked') … }
 * ```
 */
export class OutboundError extends Error {
  /** Stable code. */
  readonly code: OutboundErrorCode;
  constructor(code: OutboundErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundError';
    this.code = code;
  }
}

/** The client. */
export interface OutboundClient {
  /**
   * Sends a request; rejects with OutboundError.
   *
   * @example
   * ```ts
   * const res = await outbound.request({ url: 'https://idp.example.com/.well-known/jwks.json', maxBytes: 65536 });
   * JSON.parse(res.body.toString('utf8'));
   * ```
   */
  request(request: OutboundRequest): Promise<OutboundResponse>;
}

/**
 * A client that makes no requests: for compiling a configuration without serving it (`check`,
 * tests). Every call rejects with `outbound.blocked`.
 *
 * @example
 * ```ts
 * compileGateway(loaded, registry, logger, NO_OUTBOUND);
 * ```
 */
export const NO_OUTBOUND: OutboundClient = Object.freeze({
  request(): Promise<OutboundResponse> {
    return Promise.reject(new OutboundError('outbound.blocked', 'no outbound requests while only compiling the configuration'));
  },
});
