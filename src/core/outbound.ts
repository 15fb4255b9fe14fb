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

/** One address a host name resolved to. */
export interface ResolvedAddress {
  /** The address, IPv4 dotted decimal or IPv6. */
  readonly address: string;
  /** Its family. */
  readonly family: 4 | 6;
}

/**
 * Resolves a host name to every address it has (the outbound client's DNS; tests inject one).
 *
 * @example
 * ```ts
 * const resolve: HostResolver = async (host) => (host === 'hooks.example' ? [{ address: '93.184.215.14', family: 4 }] : []);
 * ```
 */
export type HostResolver = (hostname: string) => Promise<ReadonlyArray<{ readonly address: string; readonly family: 4 | 6 }>>;

/**
 * Why a URL was refused: not an absolute URL (`invalid_url`), a scheme or port outside the
 * allowlist, userinfo in it (`credentials`), a host name or resolved address that is not public
 * (`address`), or a name that did not resolve in time (`resolve_failed`).
 */
export type UrlCheckCode = 'invalid_url' | 'scheme' | 'port' | 'credentials' | 'address' | 'resolve_failed';

/**
 * The outcome of {@link OutboundClient.check}. On success, `addresses` are every address the
 * host resolved to, all checked (empty for an `outbound.allow` origin, which is not resolved, and
 * when resolution was switched off for a name). `reason` is for logs: it never contains the URL.
 */
export type UrlCheck =
  | { readonly ok: true; readonly url: URL; readonly addresses: readonly ResolvedAddress[] }
  | { readonly ok: false; readonly code: UrlCheckCode; readonly reason: string };

/** Options of one {@link OutboundClient.check}. */
export interface UrlCheckOptions {
  /** Deadline of the DNS resolution, ms; the client's timeoutMs when omitted. */
  readonly timeoutMs?: number;
  /** Resolve host names and check every address (default true); false checks names and literal addresses only. */
  readonly resolve?: boolean;
  /** Schemes accepted (`https`, `http`) instead of the client's; then they apply to `outbound.allow` origins too. */
  readonly schemes?: readonly string[];
  /** Ports accepted instead of the client's; then they apply to `outbound.allow` origins too. */
  readonly ports?: readonly number[];
}

/**
 * An outbound failure with a stable code; the message may name the host (logs only). A request
 * refused by the URL check also carries the check's code in `check`.
 *
 * @example
 * ```ts
 * try { await outbound.request({ url }); } catch (e) { if (e instanceof OutboundError && e.code === 'outbound.blocked') … }
 * ```
 */
export class OutboundError extends Error {
  /** Stable code. */
  readonly code: OutboundErrorCode;
  /** Why the URL check refused the request, when it did. */
  readonly check: UrlCheckCode | undefined;
  constructor(code: OutboundErrorCode, message: string, options?: { cause?: unknown; check?: UrlCheckCode }) {
    super(message, options);
    this.name = 'OutboundError';
    this.code = code;
    this.check = options?.check;
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
  /**
   * Checks a URL by the rules this client applies to its own requests (scheme, port, no
   * userinfo, host name, every resolved address public; `outbound.allow` origins exempt), with
   * the same resolver. Never rejects. Policies use it to vet URLs a client sends (webhooks).
   *
   * @example
   * ```ts
   * const result = await outbound.check('https://hooks.example.com/x', { timeoutMs: 2000 });
   * if (!result.ok) return result.code === 'invalid_url' ? invalid : blocked;
   * ```
   */
  check(url: string, options?: UrlCheckOptions): Promise<UrlCheck>;
}

const NOTHING_CHECKED: UrlCheck = Object.freeze({ ok: false, code: 'resolve_failed', reason: 'no outbound client while only compiling the configuration' });

/**
 * A client that makes no requests: for compiling a configuration without serving it (`check`,
 * tests). Every request rejects with `outbound.blocked`; every URL check refuses
 * (`resolve_failed`: nothing can be resolved).
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
  check(): Promise<UrlCheck> {
    return Promise.resolve(NOTHING_CHECKED);
  },
});
