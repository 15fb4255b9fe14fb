/**
 * Forwarding for routes whose policies inspect the upstream's response body (object-level checks,
 * property filtering, response validation): the head is held, the body buffered (bounded), parsed
 * once if it is JSON, handed to the route's body hooks, re-serialised only if one changed it, and
 * only then sent. A hook's refusal replaces the whole response; nothing of the upstream's goes out.
 */
import type { Dispatcher } from 'undici';
import type { CompiledRoute } from '../config/compile.js';
import type { RequestContext } from '../core/context.js';
import type { ResponseHead } from '../core/policy.js';
import { responseBodyOf } from '../core/response-body.js';
import { ForwardHandler, type ForwardCallbacks } from './forward-handler.js';

/** Raised into the upstream exchange when its body passes maxResponseBytes. */
class ResponseTooLargeError extends Error {}

/** A dispatch handler that buffers the response before the route's body hooks see it. */
export class BufferingHandler extends ForwardHandler {
  private head: ResponseHead | undefined;
  private chunks: Buffer[];
  private size: number;
  private readonly maxBytes: number;
  private tooLarge: boolean;

  constructor(ctx: RequestContext, route: CompiledRoute, callbacks: ForwardCallbacks, maxBytes: number) {
    super(ctx, route, callbacks);
    this.head = undefined;
    this.chunks = [];
    this.size = 0;
    this.maxBytes = maxBytes;
    this.tooLarge = false;
  }

  protected override start(_controller: Dispatcher.DispatchController, head: ResponseHead): void {
    this.head = head;
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.head === undefined) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.tooLarge = true;
      this.chunks = [];
      controller.abort(new ResponseTooLargeError('upstream response exceeds maxResponseBytes'));
      return;
    }
    this.chunks.push(chunk);
  }

  override onResponseEnd(): void {
    const head = this.head;
    if (head === undefined || this.res.destroyed) return;
    const raw = Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const body = responseBodyOf(head.headers, raw);
    const hooks = this.route.responseBodyHandlers;
    try {
      for (let i = 0; i < hooks.length; i++) {
        const denial = hooks[i]!(this.ctx, head, body);
        if (denial !== undefined) {
          this.callbacks.fail(this.ctx, this.route, { denial });
          return;
        }
      }
    } catch (error) {
      this.callbacks.fail(this.ctx, this.route, { hookError: error ?? new Error('response body hook threw') });
      return;
    }
    const out = body.changed ? Buffer.from(JSON.stringify(body.value)) : raw;
    setHeader(head.headers, 'content-length', String(out.length));
    this.ctx.status = head.status;
    this.res.writeHead(head.status, head.headers);
    this.res.end(this.ctx.method === 'HEAD' ? undefined : out);
  }

  override onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    if (this.tooLarge && !this.res.headersSent) {
      this.callbacks.fail(this.ctx, this.route, { code: 'proxy.response_too_large', error });
      return;
    }
    super.onResponseError(controller, error);
  }
}

/** Replaces every entry of `name` by one with `value` (content-length after a rewrite). */
function setHeader(headers: string[], name: string, value: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === name) headers.splice(i, 2);
  headers.push(name, value);
}
