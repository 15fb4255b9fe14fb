/**
 * The request side of Portcullis inside an app, shared by every adapter: a compiled gateway's
 * routes prepared for app mode (the pipeline split where the body is read, the response headers
 * an app's response loses), and per request the context, the path check and the routing that
 * server/handler.ts does for the gateway.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { HOP_BY_HOP, type CompiledGateway, type CompiledRoute } from '../config/compile.js';
import type { Channels } from '../core/channels.js';
import { RequestContext } from '../core/context.js';
import { CORE_ERRORS } from '../core/errors.js';
import type { NamedHandler } from '../core/pipeline.js';
import { coreDenial, isUnsafePath } from '../core/request-guards.js';
import { createDenial, type Denial } from '../core/problem.js';
import { requestIdFrom } from '../observe/correlation.js';

export { coreDenial };
import type { ClientIpResolver, ForwardedHttpsResolver } from '../server/client-ip.js';
import type { Router } from '../server/router.js';

/** What a request to a path no route names gets: the app's own handling, or the gateway's 404. */
export type Unmatched = 'next' | 'deny';

/** A compiled route as an app runs it. */
export interface AppRoute {
  readonly route: CompiledRoute;
  /** The handlers before the body is read (all of them when the route reads no body). */
  readonly before: readonly NamedHandler[];
  /** The body step and what follows it; undefined when no policy reads the body. */
  readonly after: readonly NamedHandler[] | undefined;
  /** Response header names removed from the app's response (the route's, minus hop-by-hop framing). */
  readonly drop: ReadonlySet<string>;
  /** The route has response-body hooks: the app's body is buffered and checked before it goes out. */
  readonly inspectsResponse: boolean;
}

/** Everything the adapters need, built once per `portcullis()`. */
export interface Engine {
  readonly compiled: CompiledGateway;
  readonly router: Router;
  readonly apps: ReadonlyMap<CompiledRoute, AppRoute>;
  /** Headers for requests that match no route (security headers of the defaults). */
  readonly fallback: AppRoute;
  readonly clientIp: ClientIpResolver;
  readonly forwardedHttps: ForwardedHttpsResolver;
  readonly unmatched: Unmatched;
  readonly logger: Logger;
  readonly channels: Channels;
  /** Largest app response buffered for response-body hooks. */
  readonly maxResponseBytes: number;
}

/** How a request starts: on a route, on no route (the app handles it), or refused before any policy. */
export type Started =
  | { readonly kind: 'route' | 'unmatched'; readonly ctx: RequestContext; readonly app: AppRoute }
  | { readonly kind: 'refused'; readonly ctx: RequestContext; readonly app: AppRoute; readonly denial: Denial; readonly source: string };


/**
 * Prepares a compiled route for app mode.
 *
 * @example
 * ```ts
 * const apps = new Map(compiled.routes.map((r) => [r, appRoute(r)]));
 * ```
 */
export function appRoute(route: CompiledRoute): AppRoute {
  const at = route.handlers.findIndex((h) => h.policy === 'body');
  // Framing is node's business in an app (there is no upstream connection to strip it from); the
  // app's own X-Request-Id would make two.
  const drop = new Set(route.dropResponseHeaders);
  for (const name of HOP_BY_HOP) drop.delete(name);
  drop.add('x-request-id');
  return {
    route,
    before: at === -1 ? route.handlers : route.handlers.slice(0, at),
    after: at === -1 ? undefined : route.handlers.slice(at),
    drop,
    inspectsResponse: route.responseBodyHandlers.length > 0,
  };
}

// The response carries its request's context, so one shared close listener needs no closure.
const TRACKED = Symbol('portcullis.tracked');
type Tracked = ServerResponse & { [TRACKED]?: { readonly engine: Engine; readonly ctx: RequestContext; readonly app: AppRoute } };

/**
 * Builds the context of a request and routes it.
 *
 * @example
 * ```ts
 * const started = startRequest(engine, req, res);
 * if (started.kind === 'route') runPipeline(started.app.before, started.ctx);
 * ```
 */
export function startRequest(engine: Engine, req: IncomingMessage, res: ServerResponse): Started {
  const tls = (req.socket as Partial<TLSSocket>).encrypted === true;
  const ctx = new RequestContext(req, res, tls || engine.forwardedHttps(req) ? 'https' : 'http', engine.clientIp(req), requestIdFrom(req.headers['x-request-id']), performance.now());
  const fallback = engine.fallback;
  if (isUnsafePath(ctx.path)) return { kind: 'refused', ctx, app: fallback, denial: coreDenial('request.invalid_path'), source: 'gateway' };
  const lookup = engine.router.find(ctx.method, ctx.path, ctx.method === 'OPTIONS' ? req.headers['access-control-request-method'] : undefined);
  if (lookup === undefined) {
    if (engine.unmatched === 'next') return { kind: 'unmatched', ctx, app: fallback };
    return { kind: 'refused', ctx, app: fallback, denial: coreDenial('route.not_found'), source: 'route' };
  }
  // A configured path with a method the config does not list is 405 whatever `unmatched` says:
  // letting it through would hand the app a request (a forgotten DELETE) no policy checked.
  if (!('route' in lookup)) return { kind: 'refused', ctx, app: fallback, denial: createDenial('route.method_not_allowed', CORE_ERRORS['route.method_not_allowed'], { headers: [['allow', lookup.allow]] }), source: 'route' };
  const app = engine.apps.get(lookup.route)!;
  ctx.route = lookup.route.template;
  ctx.params = lookup.params;
  const tracked = res as Tracked;
  tracked[TRACKED] = { engine, ctx, app };
  res.once('close', onClose);
  return { kind: 'route', ctx, app };
}

/**
 * Publishes a refusal on the decision channel (metrics, alerts) as the gateway does.
 *
 * @example
 * ```ts
 * decided(engine, ctx, denial, 'rbac');
 * ```
 */
export function decided(engine: Engine, ctx: RequestContext, denial: Denial, source: string): void {
  if (engine.channels.decision.hasSubscribers) engine.channels.decision.publish({ ctx, policy: source, code: denial.code, status: denial.status });
}

/**
 * The policy a denial's code belongs to (`rbac.forbidden` → `rbac`).
 *
 * @example
 * ```ts
 * sourceOf(denial) // 'rate-limit'
 * ```
 */
export function sourceOf(denial: Denial): string {
  const dot = denial.code.indexOf('.');
  return dot === -1 ? denial.code : denial.code.slice(0, dot);
}

/**
 * Logs and publishes an internal failure (a policy threw) and returns the 500 to answer with;
 * the error itself never reaches the client.
 *
 * @example
 * ```ts
 * refuse(internalFailure(engine, ctx, 'rbac', error));
 * ```
 */
export function internalFailure(engine: Engine, ctx: RequestContext, source: string, error: unknown): Denial {
  engine.logger.error({ event: 'internal_error', requestId: ctx.requestId, source, err: error }, 'request failed inside Portcullis');
  if (engine.channels.internalError.hasSubscribers) engine.channels.internalError.publish({ ctx, source, error });
  return coreDenial('gateway.internal_error');
}

function onClose(this: Tracked): void {
  const tracked = this[TRACKED];
  if (tracked === undefined) return;
  const { engine, ctx, app } = tracked;
  if (ctx.status === 0) ctx.status = this.statusCode;
  for (const end of app.route.endHandlers) {
    try {
      end(ctx);
    } catch (error) {
      engine.logger.error({ event: 'internal_error', requestId: ctx.requestId, source: 'onEnd', err: error }, 'end-of-request hook failed');
    }
  }
  if (engine.channels.requestEnd.hasSubscribers) engine.channels.requestEnd.publish({ ctx, durationMs: performance.now() - ctx.startedAt, completed: this.writableFinished });
}
