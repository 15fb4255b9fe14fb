/**
 * The request path: correlation id, client IP, path checks, routing, the route's pipeline, then
 * forwarding. Everything the gateway answers itself goes through sendDenial; nothing thrown on
 * this path reaches the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { CompiledGateway, CompiledRoute } from '../config/compile.js';
import type { Channels } from '../core/channels.js';
import { RequestContext } from '../core/context.js';
import { CORE_ERRORS, type CoreErrorCode } from '../core/errors.js';
import { PolicyFailure, runPipeline, type PipelineOutcome } from '../core/pipeline.js';
import { createDenial, type Denial } from '../core/problem.js';
import { forward, type ForwardFailure } from '../proxy/forward.js';
import type { UpstreamClient } from '../proxy/upstream.js';
import type { AccessLogger } from '../observe/access-log.js';
import { requestIdFrom } from '../observe/correlation.js';
import type { Logger } from 'pino';
import type { ClientIpResolver } from './client-ip.js';
import type { Router } from './router.js';
import { sendDenial } from './respond.js';

/** Everything the request path needs, built once per configuration. */
export interface HandlerState {
  readonly compiled: CompiledGateway;
  readonly router: Router;
  readonly upstreams: ReadonlyMap<string, UpstreamClient>;
  readonly clientIp: ClientIpResolver;
  readonly logger: Logger;
  readonly accessLog: AccessLogger | undefined;
  readonly channels: Channels;
}

/** A request listener for node:http(s). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

// Dot segments (also encoded), encoded slash or backslash, backslash, NUL and control characters:
// forms an upstream may normalise into a path the gateway never checked.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const UNSAFE_PATH = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|%2f|%5c|%00|[\\\x00-\x20\x7f]/i;

// The response carries its request's context, so the one shared close listener needs no closure.
const CTX = Symbol('portcullis.ctx');
const STATE = Symbol('portcullis.state');
const ROUTE = Symbol('portcullis.route');
type TrackedResponse = ServerResponse & { [CTX]?: RequestContext; [STATE]?: HandlerState; [ROUTE]?: CompiledRoute };

/** Core denials without a detail, built once. */
const CORE_DENIALS = new Map<string, Denial>(Object.entries(CORE_ERRORS).map(([code, spec]) => [code, createDenial(code, spec)]));

/**
 * The denial for a core catalogue code.
 *
 * @example
 * ```ts
 * coreDenial('route.not_found').status // 404
 * ```
 */
export function coreDenial(code: CoreErrorCode): Denial {
  return CORE_DENIALS.get(code)!;
}

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
    const ctx = new RequestContext(req, res, scheme, state.clientIp(req), requestIdFrom(req.headers['x-request-id']), performance.now());
    const tracked = res as TrackedResponse;
    tracked[CTX] = ctx;
    tracked[STATE] = state;
    res.once('close', onResponseClose);
    if (UNSAFE_PATH.test(ctx.path) || ctx.path.charCodeAt(0) !== 47 /* / */) {
      refuse(state, ctx, coreDenial('request.invalid_path'), headersOf(ctx, state.compiled.fallback), 'gateway');
      return;
    }
    const lookup = state.router.find(ctx.method, ctx.path);
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

function proceed(state: HandlerState, ctx: RequestContext, route: CompiledRoute, outcome: PipelineOutcome): void {
  if (outcome === undefined) {
    if (ctx.res.destroyed) return;
    const upstream = state.upstreams.get(route.upstream)!;
    try {
      forward(ctx, route, upstream, state.compiled.dropRequestHeaders, { fail: (c, r, f) => failed(state, c, r, f) });
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
  if (state.channels.requestEnd.hasSubscribers) state.channels.requestEnd.publish({ ctx, durationMs, completed });
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
