/**
 * Forwarding one request to its upstream and streaming the answer back, over undici's dispatch
 * API (no intermediate Readable, backpressure both ways). Request headers are copied from the raw
 * list minus hop-by-hop and stripped names; X-Forwarded-* and X-Request-Id are set by us. The
 * response head is filtered through the route's precomputed drop set and gets its precomputed
 * headers appended: no per-request object spreads.
 */
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CompiledRoute } from '../config/compile.js';
import type { RequestContext } from '../core/context.js';
import { traceparentFor } from '../core/trace.js';
import { limitStream } from './body-limit.js';
import { BufferingHandler } from './buffered-response.js';
import { ForwardHandler, type ForwardCallbacks } from './forward-handler.js';

export type { ForwardCallbacks, ForwardFailure } from './forward-handler.js';
import type { UpstreamClient } from './upstream.js';

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
  const headers = requestHeaders(ctx, req, upstream, dropRequestHeaders, route.dropRequestPrefixes, route.responseBodyHandlers.length > 0);
  let body: Dispatcher.DispatchOptions['body'] = null;
  if (ctx.rawBody !== undefined) {
    // A policy read (and maybe rewrote) the body: forward exactly what was inspected.
    body = ctx.rawBody;
  } else if (hasBody(req)) {
    body = req.headers['content-length'] === undefined && Number.isFinite(ctx.maxBodyBytes) ? limitStream(req, ctx.maxBodyBytes) : req;
  }
  const target = ctx.upstreamPath ?? ctx.path;
  const path = ctx.query === '' ? upstream.basePath + target : `${upstream.basePath}${target}?${ctx.query}`;
  // The listener takes over `Expect: 100-continue` so that policies decide first; now that the
  // request is accepted, tell the client to send its body.
  if (body !== null && req.headers.expect?.toLowerCase() === '100-continue') ctx.res.writeContinue();
  const handler = route.responseBodyHandlers.length > 0 ? new BufferingHandler(ctx, route, callbacks, upstream.maxResponseBytes) : new ForwardHandler(ctx, route, callbacks);
  ctx.upstreamStartedAt = performance.now();
  upstream.pool.dispatch({ origin: undefined, path, method: ctx.method, headers, body, idempotent: false, blocking: false, upgrade: null, reset: false }, handler);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

function requestHeaders(ctx: RequestContext, req: IncomingMessage, upstream: UpstreamClient, drop: ReadonlySet<string>, dropPrefixes: readonly string[], inspectsResponse: boolean): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  // Tokens listed in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const connection = req.headers.connection;
  const connectionTokens = connection === undefined || connection === 'keep-alive' || connection === 'close' ? undefined : connection.toLowerCase().split(',').map((t) => t.trim());
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (drop.has(lower) || OWN_HEADERS.has(lower) || (ctx.rawBody !== undefined && lower === 'content-length')) {
      if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`;
      continue;
    }
    if (connectionTokens?.includes(lower)) continue;
    // With tracing on, the upstream's parent is the gateway's client span, not the caller's.
    if (ctx.trace !== undefined && lower === 'traceparent') continue;
    if (dropPrefixes.length > 0 && hasPrefix(lower, dropPrefixes)) continue;
    // A route that inspects response bodies must be able to read them: no compression upstream.
    if (lower === 'accept-encoding' && inspectsResponse) continue;
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
  if (ctx.trace !== undefined) out.push('traceparent', traceparentFor(ctx.trace));
  if (ctx.rawBody !== undefined) out.push('content-length', String(ctx.rawBody.length));
  const own = ctx.upstreamHeaders;
  if (own !== undefined) for (let i = 0; i < own.length; i++) out.push(own[i]!);
  return out;
}

/** Headers the gateway sets itself; a client's copies are dropped. */
const OWN_HEADERS = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'expect', 'forwarded']);

function stripMapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}


function hasPrefix(name: string, prefixes: readonly string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (name.startsWith(prefixes[i]!)) return true;
  return false;
}
