/**
 * Forwarding one request to its upstream and streaming the answer back, over undici's dispatch
 * API (no intermediate Readable, backpressure both ways). Request headers are copied from the raw
 * list minus hop-by-hop and stripped names; X-Forwarded-* and X-Request-Id are set by us. The
 * response head is filtered through the route's precomputed drop set and gets its precomputed
 * headers appended: no per-request object spreads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CompiledRoute } from '../config/compile.js';
import type { RequestContext } from '../core/context.js';
import type { Denial } from '../core/problem.js';
import { limitStream, BodyTooLargeError } from './body-limit.js';
import type { UpstreamClient } from './upstream.js';

/** What the proxy reports back to the server when it cannot deliver an upstream answer. */
export interface ForwardCallbacks {
  /** Called when the upstream failed before any response byte was sent to the client. */
  fail(ctx: RequestContext, route: CompiledRoute, failure: ForwardFailure): void;
}

/**
 * Why forwarding failed: the catalogue code to answer with, a denial (body too large), or a
 * response hook of a policy that threw (the gateway's fault, not the upstream's).
 */
export type ForwardFailure =
  | { readonly code: 'proxy.upstream_unavailable' | 'proxy.upstream_timeout' | 'request.invalid_body'; readonly error: Error }
  | { readonly denial: Denial }
  | { readonly hookError: unknown };

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * Forwards `ctx` to `upstream` and streams the response to `ctx.res`.
 *
 * @example
 * ```ts
 * forward(ctx, route, upstream, route.dropRequestHeaders, { fail: sendUpstreamFailure });
 * ```
 */
export function forward(ctx: RequestContext, route: CompiledRoute, upstream: UpstreamClient, dropRequestHeaders: ReadonlySet<string>, callbacks: ForwardCallbacks): void {
  const req = ctx.req;
  const headers = requestHeaders(ctx, req, upstream, dropRequestHeaders);
  let body: Dispatcher.DispatchOptions['body'] = null;
  if (hasBody(req)) {
    body = req.headers['content-length'] === undefined && Number.isFinite(ctx.maxBodyBytes) ? limitStream(req, ctx.maxBodyBytes) : req;
  }
  const path = ctx.query === '' ? upstream.basePath + ctx.path : `${upstream.basePath}${ctx.path}?${ctx.query}`;
  // The listener takes over `Expect: 100-continue` so that policies decide first; now that the
  // request is accepted, tell the client to send its body.
  if (body !== null && req.headers.expect?.toLowerCase() === '100-continue') ctx.res.writeContinue();
  upstream.pool.dispatch({ origin: undefined, path, method: ctx.method, headers, body, idempotent: false, blocking: false, upgrade: null, reset: false }, new ForwardHandler(ctx, route, callbacks));
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

function requestHeaders(ctx: RequestContext, req: IncomingMessage, upstream: UpstreamClient, drop: ReadonlySet<string>): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  // Tokens listed in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const connection = req.headers.connection;
  const connectionTokens = connection === undefined || connection === 'keep-alive' || connection === 'close' ? undefined : connection.toLowerCase().split(',').map((t) => t.trim());
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (drop.has(lower) || OWN_HEADERS.has(lower)) {
      if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`;
      continue;
    }
    if (connectionTokens?.includes(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  const peer = req.socket.remoteAddress ?? '';
  // A chain is only kept when the peer is a trusted proxy (then clientIp differs from the peer or
  // the chain was vouched for); otherwise whatever the client wrote is replaced.
  const chain = forwardedFor !== undefined && ctx.clientIp !== stripMapped(peer) ? `${forwardedFor}, ${stripMapped(peer)}` : ctx.clientIp;
  out.push(
    'host', upstream.preserveHost && req.headers.host !== undefined ? req.headers.host : upstream.host,
    'x-forwarded-for', chain,
    'x-forwarded-proto', ctx.scheme,
    'x-request-id', ctx.requestId,
  );
  if (req.headers.host !== undefined) out.push('x-forwarded-host', req.headers.host);
  return out;
}

/** Headers the gateway sets itself; a client's copies are dropped. */
const OWN_HEADERS = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'expect', 'forwarded']);

function stripMapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** undici dispatch handler: one per forwarded request, methods on the prototype. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private readonly ctx: RequestContext;
  private readonly route: CompiledRoute;
  private readonly callbacks: ForwardCallbacks;
  private readonly res: ServerResponse;
  private controller: Dispatcher.DispatchController | undefined;
  private hookError: unknown;

  constructor(ctx: RequestContext, route: CompiledRoute, callbacks: ForwardCallbacks) {
    this.ctx = ctx;
    this.route = route;
    this.callbacks = callbacks;
    this.res = ctx.res;
    this.controller = undefined;
    this.hookError = undefined;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.res.destroyed) {
      controller.abort(new Error('client went away'));
      return;
    }
    // The server's one close listener per response calls this when the client leaves early.
    this.ctx.cancelUpstream = () => this.controller?.abort(new Error('client went away'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.res.destroyed) {
      controller.abort(new Error('client went away'));
      return;
    }
    const drop = this.route.dropResponseHeaders;
    // Names the upstream lists in Connection are hop-by-hop in this direction too (RFC 9110 §7.6.1).
    const connection = headers.connection;
    const hop = typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close' ? connection.toLowerCase().split(',').map((t) => t.trim()) : undefined;
    const out: string[] = [];
    for (const name in headers) {
      // X-Request-Id is the gateway's (appended below); an upstream's own would make two.
      if (drop.has(name) || name === 'x-request-id' || hop?.includes(name) === true) continue;
      const value = headers[name];
      if (typeof value === 'string') out.push(name, value);
      else if (value !== undefined) for (const v of value) out.push(name, v);
    }
    const set = this.ctx.scheme === 'https' ? this.route.setHeaders : this.route.setHeadersPlain;
    for (let i = 0; i < set.length; i++) out.push(set[i]!);
    const extra = this.ctx.responseHeaders;
    for (let i = 0; i < extra.length; i++) out.push(extra[i]!);
    out.push('x-request-id', this.ctx.requestId);
    const head = { status: statusCode, headers: out };
    const hooks = this.route.responseHandlers;
    try {
      for (let i = 0; i < hooks.length; i++) hooks[i]!(this.ctx, head);
    } catch (error) {
      // A policy failed on the response: nothing of the upstream answer goes out (fail closed).
      this.hookError = error ?? new Error('response hook threw');
      controller.abort(error instanceof Error ? error : new Error('response hook threw'));
      return;
    }
    this.ctx.status = head.status;
    this.res.writeHead(head.status, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.hookError !== undefined) {
      this.callbacks.fail(this.ctx, this.route, { hookError: this.hookError });
      return;
    }
    if (this.res.headersSent || this.res.destroyed) {
      // Mid-body failure: the only honest signal left is to cut the connection.
      this.res.destroy();
      return;
    }
    if (error instanceof BodyTooLargeError && this.ctx.bodyTooLarge) {
      this.callbacks.fail(this.ctx, this.route, { denial: this.ctx.bodyTooLarge });
      return;
    }
    const code = (error as { code?: string }).code;
    if (this.ctx.req.errored || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' || code === 'ECONNRESET' && this.ctx.req.destroyed) {
      this.callbacks.fail(this.ctx, this.route, { code: 'request.invalid_body', error });
      return;
    }
    this.callbacks.fail(this.ctx, this.route, { code: code !== undefined && TIMEOUT_CODES.has(code) ? 'proxy.upstream_timeout' : 'proxy.upstream_unavailable', error });
  }
}
