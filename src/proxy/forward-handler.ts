/**
 * The undici dispatch handler that streams an upstream response to the client: the head filtered
 * through the route's precomputed drop set with its headers appended, the body passed through
 * with backpressure. Failures before the head was sent become problem+json through the callbacks.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CompiledRoute } from '../config/compile.js';
import type { RequestContext } from '../core/context.js';
import type { Denial } from '../core/problem.js';
import type { ResponseHead } from '../core/policy.js';
import { BodyTooLargeError } from './body-limit.js';

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
  | { readonly code: 'proxy.upstream_unavailable' | 'proxy.upstream_timeout' | 'proxy.response_too_large' | 'request.invalid_body'; readonly error: Error }
  | { readonly denial: Denial }
  | { readonly hookError: unknown };

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** undici dispatch handler: one per forwarded request, methods on the prototype. */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  protected readonly ctx: RequestContext;
  protected readonly route: CompiledRoute;
  protected readonly callbacks: ForwardCallbacks;
  protected readonly res: ServerResponse;
  private controller: Dispatcher.DispatchController | undefined;
  protected hookError: unknown;

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
    this.ctx.upstreamMs = performance.now() - this.ctx.upstreamStartedAt;
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
    this.start(controller, head);
  }

  /** Sends the head (the buffering subclass holds it until the body is complete). */
  protected start(_controller: Dispatcher.DispatchController, head: ResponseHead): void {
    this.ctx.status = head.status;
    this.res.writeHead(head.status, head.headers);
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
