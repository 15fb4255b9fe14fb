/**
 * The one RFC 9457 `application/problem+json` renderer. Everything the gateway answers by itself
 * (refusals, upstream failures, its own errors) goes through here, so every refusal has the same
 * shape: type, title, status, code, detail, requestId and, for validation, the violations.
 *
 * Denials are values built once where possible: the JSON of a static denial is serialised at
 * compile time and only the request id is appended per request.
 */
import type { ErrorSpec } from './errors.js';

/** One violation of a validation refusal (RFC 9457 extension member `errors`). */
export interface Violation {
  /** JSON pointer into the request part named by `in` (`/title`). */
  readonly pointer: string;
  /** Which part of the request: body, query, path, header, cookie. */
  readonly in: 'body' | 'query' | 'path' | 'header' | 'cookie';
  /** What is wrong, without echoing the offending value. */
  readonly reason: string;
}

/** Options of a denial beyond its code. */
export interface DenialOptions {
  /** Human-readable explanation of this occurrence (RFC 9457 `detail`); never secrets or upstream internals. */
  readonly detail?: string;
  /** Extra response headers as [name, value] pairs (Retry-After, WWW-Authenticate, Allow). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Validation violations (RFC 9457 extension `errors`). */
  readonly errors?: readonly Violation[];
}

/**
 * A refusal: what a policy handler returns instead of throwing. Build it with {@link createDenial}
 * (once, in compile(), for static refusals).
 */
export interface Denial {
  /** The stable code, `policy.reason` (`size-limit.body_too_large`). */
  readonly code: string;
  /** HTTP status. */
  readonly status: number;
  /** The problem JSON without its closing brace; the renderer appends `requestId`. '' for a bodiless reply ({@link createReply}). */
  readonly bodyPrefix: string;
  /** Extra response headers, flat: name, value, name, value. */
  readonly headers: readonly string[];
}

/** The problem+json content type, as sent. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Builds a denial for a catalogue entry. Static denials should be built once at compile time.
 *
 * @example
 * ```ts
 * const tooLarge = createDenial('size-limit.body_too_large', spec, { detail: 'The body exceeds 1048576 bytes.' });
 * return tooLarge; // from onRequest
 * ```
 */
export function createDenial(code: string, spec: ErrorSpec, options: DenialOptions = {}): Denial {
  let body = `{"type":${JSON.stringify(`urn:portcullis:error:${code}`)},"title":${JSON.stringify(spec.title)},"status":${spec.status},"code":${JSON.stringify(code)}`;
  if (options.detail !== undefined) body += `,"detail":${JSON.stringify(options.detail)}`;
  if (options.errors !== undefined) body += `,"errors":${JSON.stringify(options.errors)}`;
  const headers: string[] = [];
  for (const [name, value] of options.headers ?? []) headers.push(name, value);
  return Object.freeze({ code, status: spec.status, bodyPrefix: body, headers: Object.freeze(headers) });
}

/**
 * A local answer without a body that ends the pipeline like a denial (a CORS preflight's 204):
 * a Denial whose bodyPrefix is empty, which sendDenial sends with no body and no content type.
 *
 * @example
 * ```ts
 * return createReply('cors.preflight', 204, [['access-control-allow-origin', origin]]);
 * ```
 */
export function createReply(code: string, status: 204, headers: ReadonlyArray<readonly [string, string]>): Denial {
  const flat: string[] = [];
  for (const [name, value] of headers) flat.push(name, value);
  return Object.freeze({ code, status, bodyPrefix: '', headers: Object.freeze(flat) });
}

/**
 * The full problem+json body of a denial for one request.
 *
 * @example
 * ```ts
 * problemBody(denial, 'c0ffee') // '{"type":"urn:portcullis:error:…","status":413,…,"requestId":"c0ffee"}'
 * ```
 */
export function problemBody(denial: Denial, requestId: string): string {
  // requestId is validated to a safe alphabet before it gets here (see correlation.ts).
  return `${denial.bodyPrefix},"requestId":"${requestId}"}`;
}

/**
 * A complete HTTP/1.1 response for a problem, for the rare cases where only a raw socket is left
 * (malformed request, header overflow, timeouts before a request object exists).
 *
 * @example
 * ```ts
 * socket.end(rawProblemResponse(denial, id, ['strict-transport-security', 'max-age=31536000']));
 * ```
 */
export function rawProblemResponse(denial: Denial, requestId: string, extraHeaders: readonly string[] = []): string {
  const body = problemBody(denial, requestId);
  let head = `HTTP/1.1 ${denial.status} ${statusText(denial.status)}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\nx-request-id: ${requestId}\r\n`;
  const all = [...extraHeaders, ...denial.headers];
  for (let i = 0; i + 1 < all.length; i += 2) head += `${all[i]}: ${all[i + 1]}\r\n`;
  return `${head}\r\n${body}`;
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 408: return 'Request Timeout';
    case 413: return 'Content Too Large';
    case 414: return 'URI Too Long';
    case 431: return 'Request Header Fields Too Large';
    case 503: return 'Service Unavailable';
    default: return 'Error';
  }
}
