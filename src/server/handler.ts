/**
 * The request path: correlation id, client IP, path checks, routing, the route's pipeline, then
 * forwarding. Everything the gateway answers itself goes through sendDenial; nothing thrown on
 * this path reaches the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { CompiledGateway, CompiledRoute } from '../config/compile.js';
import type { Channels } from '../core/channels.js';
import { coreDenial, isUnsafePath } from '../core/request-guards.js';
import type { GatewayMetrics } from '../observe/metrics.js';
import type { AlertEngine } from '../observe/alerts.js';
import type { Tracer } from '../observe/tracing.js';
import { RequestContext } from '../core/context.js';
import { CORE_ERRORS, type CoreErrorCode } from '../core/errors.js';
import { PolicyFailure, runPipeline, type PipelineOutcome } from '../core/pipeline.js';
import { createDenial, type Denial } from '../core/problem.js';
import { forward, type ForwardCallbacks, type ForwardFailure } from '../proxy/forward.js';
import type { UpstreamClient } from '../proxy/upstream.js';
import type { AccessLogger } from '../observe/access-log.js';
import { requestIdFrom } from '../observe/correlation.js';
import type { Logger } from 'pino';
import type { ClientIpResolver, ForwardedHttpsResolver } from './client-ip.js';
import type { Router } from './router.js';
import { sendDenial } from './respond.js';

/** Everything the request path needs, built once per configuration. */
export interface HandlerState {
  readonly compiled: CompiledGateway;
  readonly router: Router;
  readonly upstreams: ReadonlyMap<string, UpstreamClient>;
  readonly clientIp: ClientIpResolver;
  /** True when a trusted TLS-terminating proxy says the client used https. */
  readonly forwardedHttps: ForwardedHttpsResolver;
  readonly logger: Logger;
  readonly accessLog: AccessLogger | undefined;
  readonly channels: Channels;
  /** The proxy's failure callbacks for this state (see forwardCallbacks). */
  readonly forwardCallbacks: ForwardCallbacks;
  /** 2 × server.maxHeadersCount: the longest rawHeaders list accepted. */
  readonly maxRawHeaders: number;
  /** Prometheus metrics, when the admin listener exposes them. */
  readonly metrics?: GatewayMetrics;
  /** The alert rules' engine, when alerting is on. */
  readonly alerts?: AlertEngine;
  /** The tracer, when tracing is on. */
  readonly tracer?: Tracer;
  /** Requests that started on this state and have not ended (a replaced state closes at 0). */
  inflight: number;
  /** Called when inflight drops to 0 after this state was replaced by a reload. */
  onIdle: (() => void) | undefined;
}

/** A request listener for node:http(s). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;


/**
 * A Host header value: a registered name or IPv4 address (RFC 3986 reg-name without
 * percent-encoding and sub-delims) or a bracketed IPv6 literal, with an optional port.
 */
export const VALID_HOST = /^(?:[A-Za-z0-9._~-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function hostIsValid(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined) return req.httpVersionMinor === 0;
  if (!VALID_HOST.test(host)) return false;
  // node keeps the first of repeated Host lines; the raw list shows whether there were more.
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++seen > 1) return false;
  }
  return true;
}

// The response carries its request's context, so the one shared close listener needs no closure.
const CTX = Symbol('portcullis.ctx');
const STATE = Symbol('portcullis.state');
const ROUTE = Symbol('portcullis.route');
type TrackedResponse = ServerResponse & { [CTX]?: RequestContext; [STATE]?: HandlerState; [ROUTE]?: CompiledRoute };

export { coreDenial } from '../core/request-guards.js';

/**
 * Creates the request listener for one configuration (getState is read per request, so a reload
 * swaps the whole state atomically; a request keeps the state it started with).
 *
 * @example
 * ```ts
 * https.createServer(tlsOptions, createRequestListener(() => current, 'https'));
 * ```
 */
export function createRequestListener(getState: () => HandlerState, scheme: 'https' | 'http'): RequestListener {
  return (req, res) => {
    const state = getState();
    const ctx = new RequestContext(req, res, scheme === 'http' && state.forwardedHttps(req) ? 'https' : scheme, state.clientIp(req), requestIdFrom(req.headers['x-request-id']), performance.now());
    const tracked = res as TrackedResponse;
    tracked[CTX] = ctx;
    tracked[STATE] = state;
    state.inflight++;
    if (state.tracer !== undefined) ctx.trace = state.tracer.start(req.headers.traceparent);
    res.once('close', onResponseClose);
    // node:http silently drops headers past maxHeadersCount; the listener lets one more through
    // so that a request with too many is refused here rather than checked on a truncated list.
    if (req.rawHeaders.length > state.maxRawHeaders) {
      refuse(state, ctx, coreDenial('request.headers_too_large'), headersOf(ctx, state.compiled.fallback), 'gateway');
      return;
    }
    // RFC 9112 §3.2: an HTTP/1.1 request without Host, with more than one, or with an invalid
    // one is answered 400 (node's own check is off: its bare 400 would carry neither
    // problem+json nor the security headers). The Host goes upstream as X-Forwarded-Host.
    if (!hostIsValid(req)) {
      refuse(state, ctx, coreDenial('request.bad_request'), headersOf(ctx, state.compiled.fallback), 'gateway');
      return;
    }
    if (isUnsafePath(ctx.path)) {
      refuse(state, ctx, coreDenial('request.invalid_path'), headersOf(ctx, state.compiled.fallback), 'gateway');
      return;
    }
    const lookup = state.router.find(ctx.method, ctx.path, ctx.method === 'OPTIONS' ? req.headers['access-control-request-method'] : undefined);
    if (lookup === undefined) {
      refuse(state, ctx, coreDenial('route.not_found'), headersOf(ctx, state.compiled.fallback), 'route');
      return;
    }
    if (!('route' in lookup)) {
      refuse(state, ctx, createDenial('route.method_not_allowed', CORE_ERRORS['route.method_not_allowed'], { headers: [['allow', lookup.allow]] }), headersOf(ctx, state.compiled.fallback), 'route');
      return;
    }
    const route = lookup.route;
    tracked[ROUTE] = route;
    ctx.route = route.template;
    ctx.params = lookup.params;
    const outcome = runPipeline(route.handlers, ctx);
    if (outcome instanceof Promise) {
      outcome.then((o) => proceed(state, ctx, route, o), (error: unknown) => proceed(state, ctx, route, new PolicyFailure('gateway', error)));
    } else {
      proceed(state, ctx, route, outcome);
    }
  };
}

/**
 * Answers the request a response belongs to with a core refusal, when node:http gives up on a
 * connection whose request the listener already has (requestTimeout while the body trickles in):
 * the client gets the request's own id and the access log the real status and decision. Returns
 * false when `res` is not an unanswered response of this listener.
 *
 * @example
 * ```ts
 * if (!refuseInFlight(res, 'request.timeout')) socket.end(rawProblemResponse(…));
 * ```
 */
export function refuseInFlight(res: ServerResponse, code: CoreErrorCode): boolean {
  const tracked = res as TrackedResponse;
  const ctx = tracked[CTX];
  const state = tracked[STATE];
  if (!ctx || !state || res.headersSent || res.destroyed) return false;
  res.shouldKeepAlive = false;
  const route = tracked[ROUTE];
  refuse(state, ctx, coreDenial(code), headersOf(ctx, route ?? state.compiled.fallback), 'gateway');
  return true;
}

function proceed(state: HandlerState, ctx: RequestContext, route: CompiledRoute, outcome: PipelineOutcome): void {
  if (outcome === undefined) {
    if (ctx.res.destroyed) return;
    const upstream = state.upstreams.get(route.upstream)!;
    try {
      forward(ctx, route, upstream, route.dropRequestHeaders, state.forwardCallbacks);
    } catch (error) {
      internalError(state, ctx, headersOf(ctx, route), 'proxy', error);
    }
    return;
  }
  if (outcome instanceof PolicyFailure) {
    internalError(state, ctx, headersOf(ctx, route), outcome.policy, outcome.error);
    return;
  }
  refuse(state, ctx, outcome, headersOf(ctx, route), outcome.code.slice(0, outcome.code.indexOf('.')));
}

function failed(state: HandlerState, ctx: RequestContext, route: CompiledRoute, failure: ForwardFailure): void {
  if ('denial' in failure) {
    refuse(state, ctx, failure.denial, headersOf(ctx, route), failure.denial.code.slice(0, failure.denial.code.indexOf('.')));
    return;
  }
  if ('hookError' in failure) {
    internalError(state, ctx, headersOf(ctx, route), 'response', failure.hookError);
    return;
  }
  // The upstream's own error text is logged, never sent.
  state.logger.warn({ event: 'upstream_error', requestId: ctx.requestId, upstream: route.upstream, code: failure.code, error: { code: (failure.error as { code?: string }).code, message: failure.error.message } }, 'upstream request failed');
  refuse(state, ctx, coreDenial(failure.code), headersOf(ctx, route), 'proxy');
}

function refuse(state: HandlerState, ctx: RequestContext, denial: Denial, headers: readonly string[], policy: string): void {
  sendDenial(ctx, denial, headers);
  if (state.channels.decision.hasSubscribers) state.channels.decision.publish({ ctx, policy, code: denial.code, status: denial.status });
}

function internalError(state: HandlerState, ctx: RequestContext, headers: readonly string[], source: string, error: unknown): void {
  state.logger.error({ event: 'internal_error', requestId: ctx.requestId, source, err: error }, 'request failed inside the gateway');
  if (state.channels.internalError.hasSubscribers) state.channels.internalError.publish({ ctx, source, error });
  refuse(state, ctx, coreDenial('gateway.internal_error'), headers, source);
}

function onResponseClose(this: TrackedResponse): void {
  const ctx = this[CTX];
  const state = this[STATE];
  if (!ctx || !state) return;
  const durationMs = performance.now() - ctx.startedAt;
  const completed = this.writableFinished;
  if (!completed && ctx.cancelUpstream !== undefined) ctx.cancelUpstream();
  if (ctx.status === 0) ctx.status = this.statusCode;
  const route = this[ROUTE];
  if (route) {
    for (const end of route.endHandlers) {
      try {
        end(ctx);
      } catch (error) {
        state.logger.error({ event: 'internal_error', requestId: ctx.requestId, source: 'onEnd', err: error }, 'end-of-request hook failed');
      }
    }
  }
  state.accessLog?.(ctx, durationMs, completed);
  state.metrics?.observe(ctx, durationMs, route);
  state.alerts?.observe(ctx, route);
  state.tracer?.end(ctx, route?.upstream);
  if (state.channels.requestEnd.hasSubscribers) state.channels.requestEnd.publish({ ctx, durationMs, completed });
  if (--state.inflight === 0 && state.onIdle !== undefined) state.onIdle();
}

/**
 * The precomputed headers of a route for this request's scheme (no HSTS over plain HTTP).
 *
 * @example
 * ```ts
 * sendDenial(ctx, denial, headersOf(ctx, route));
 * ```
 */
export function headersOf(ctx: RequestContext, route: CompiledRoute): readonly string[] {
  return ctx.scheme === 'https' ? route.setHeaders : route.setHeadersPlain;
}

/**
 * The proxy's failure callbacks for a state. Built per request they cost a closure each; built
 * here they cost one per configuration (the caller keeps the last one).
 *
 * @example
 * ```ts
 * const state: HandlerState = { …, forwardCallbacks: forwardCallbacks(() => state) };
 * ```
 */
export function forwardCallbacks(state: () => HandlerState): ForwardCallbacks {
  return { fail: (c, r, f) => failed(state(), c, r, f) };
}
