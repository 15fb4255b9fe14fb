/**
 * The state of one request as it moves through the pipeline. One object per request, with every
 * field initialised in the constructor so V8 keeps one hidden class for all of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './principal.js';
import type { Denial } from './problem.js';
import type { RequestTrace } from './trace.js';

/**
 * One request in flight.
 *
 * @example
 * ```ts
 * onRequest(ctx) {
 *   if (ctx.clientIp === '203.0.113.9') return blocked;
 *   ctx.addResponseHeader('x-checked', 'yes');
 * }
 * ```
 */
export class RequestContext {
  /** The incoming request (raw node:http object). */
  readonly req: IncomingMessage;
  /** The response; policies should not write to it directly but return a Denial. */
  readonly res: ServerResponse;
  /** Request method, upper case as sent. */
  readonly method: string;
  /** Path without the query string, as sent (not decoded). */
  readonly path: string;
  /** The path the upstream receives instead of `path` (after its basePath), when a policy rewrote it. */
  upstreamPath: string | undefined;
  /** Query string without the leading `?` ('' when absent). */
  readonly query: string;
  /** `https` or `http`: the scheme the client used to reach this listener. */
  readonly scheme: 'https' | 'http';
  /** Client IP after trusted-proxy resolution. */
  readonly clientIp: string;
  /** Correlation id: the client's X-Request-Id when well-formed, else generated. */
  readonly requestId: string;
  /** When the request arrived, from performance.now() (ms). */
  readonly startedAt: number;
  /** The route template that matched (`/api/v1/tasks/{taskId}`), or '' when none did. */
  route: string;
  /** Path parameters of the matched route (values are URL-decoded by the router). */
  params: Readonly<Record<string, string | undefined>>;
  /** The caller, once the authenticate phase has identified one. */
  principal: Principal | undefined;
  /** The code of the refusal or failure this request ended with, if any (for logs and metrics). */
  decision: string | undefined;
  /** Status finally sent to the client. */
  status: number;
  /** Headers policies add to whatever response this request gets, flat: name, value, … */
  responseHeaders: readonly string[];
  /** Headers policies add to the request forwarded upstream (identity headers …), flat: name, value, … */
  upstreamHeaders: string[] | undefined;
  /** Maximum request body bytes the proxy lets through (set with limitBody; Infinity when unset). */
  maxBodyBytes: number;
  /** The refusal sent when a streamed body grows past maxBodyBytes. */
  bodyTooLarge: Denial | undefined;
  /**
   * The parsed JSON request body, for routes whose policies asked for it (`requestBody: 'json'`);
   * undefined otherwise, and for requests without a JSON body.
   */
  body: unknown;
  /** The buffered request body, when it was read; the proxy sends exactly these bytes upstream. */
  rawBody: Buffer | undefined;
  /**
   * Attributes of the object the request names (owner, department, classification …), once an
   * object-level lookup has fetched them; conditions read it as `resource`.
   */
  resource: Record<string, unknown> | undefined;
  /**
   * Whether a principal's roles grant a permission, per the rbac role table of this route (set by
   * rbac when it runs; undefined without rbac). A shared function: no per-request allocation.
   */
  permissionsOf: ((principal: Principal, permission: string) => boolean) | undefined;
  /** Set by the proxy while an upstream exchange is open: called when the client goes away first. */
  cancelUpstream: (() => void) | undefined;
  /** When the request was sent upstream (performance.now() ms), or -1 when it was not. */
  upstreamStartedAt: number;
  /** Milliseconds until the upstream's response head arrived, or -1 (not forwarded, or no answer). */
  upstreamMs: number;
  /** Trace context, when tracing is on. */
  trace: RequestTrace | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, scheme: 'https' | 'http', clientIp: string, requestId: string, startedAt: number) {
    this.req = req;
    this.res = res;
    this.method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? '' : url.slice(q + 1);
    this.upstreamPath = undefined;
    this.scheme = scheme;
    this.clientIp = clientIp;
    this.requestId = requestId;
    this.startedAt = startedAt;
    this.route = '';
    this.params = EMPTY_PARAMS;
    this.principal = undefined;
    this.decision = undefined;
    this.status = 0;
    // Shared and empty until a policy adds one (most requests add none): one array less per request.
    this.responseHeaders = NO_HEADERS;
    // Allocated on first use: most requests add none.
    this.upstreamHeaders = undefined;
    this.maxBodyBytes = Number.POSITIVE_INFINITY;
    this.bodyTooLarge = undefined;
    this.cancelUpstream = undefined;
    this.upstreamStartedAt = -1;
    this.upstreamMs = -1;
    this.trace = undefined;
    this.body = undefined;
    this.rawBody = undefined;
    this.resource = undefined;
    this.permissionsOf = undefined;
  }

  /**
   * Replaces the JSON request body the upstream will receive (a policy that rewrites it).
   *
   * @example
   * ```ts
   * ctx.replaceBody({ ...(ctx.body as object), ownerId: ctx.principal.id });
   * ```
   */
  replaceBody(value: unknown): void {
    this.body = value;
    this.rawBody = Buffer.from(JSON.stringify(value));
  }

  /**
   * Caps the request body the proxy will stream upstream: a body that grows past `maxBytes`
   * (chunked, so not caught by its Content-Length) is cut off and answered with `denial`.
   *
   * @example
   * ```ts
   * ctx.limitBody(1_048_576, tooLarge);
   * ```
   */
  limitBody(maxBytes: number, denial: Denial): void {
    this.maxBodyBytes = maxBytes;
    this.bodyTooLarge = denial;
  }

  /**
   * Adds a header to the response this request will get, whether from the upstream or a denial.
   *
   * @example
   * ```ts
   * ctx.addResponseHeader('x-ratelimit-remaining', '9');
   * ```
   */
  addResponseHeader(name: string, value: string): void {
    if (this.responseHeaders === NO_HEADERS) this.responseHeaders = [name, value];
    else (this.responseHeaders as string[]).push(name, value);
  }

  /**
   * Adds a header to the request forwarded upstream (after the client's copies were stripped).
   *
   * @example
   * ```ts
   * ctx.addUpstreamHeader('x-user-id', ctx.principal.id);
   * ```
   */
  addUpstreamHeader(name: string, value: string): void {
    (this.upstreamHeaders ??= []).push(name, value);
  }
}

const NO_HEADERS: readonly string[] = Object.freeze([]);
const EMPTY_PARAMS: Readonly<Record<string, string | undefined>> = Object.freeze({});
