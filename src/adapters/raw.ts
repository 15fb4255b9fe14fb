/**
 * Guarding a node:http request (node:http and Express): the pipeline run on the raw request, the
 * body the policies read handed on to the app, denials written as the gateway writes them; a
 * request that goes on to the app has its response tapped (tap.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../core/context.js';
import { PolicyFailure, runPipeline, type PipelineOutcome } from '../core/pipeline.js';
import type { Principal } from '../core/principal.js';
import { PROBLEM_CONTENT_TYPE, problemBody, type Denial } from '../core/problem.js';
import { DEFAULT_BUFFER_LIMIT, isJsonContentType } from '../core/request-body.js';
import { coreDenial, internalFailure, sourceOf, startRequest, type AppRoute, type Engine } from './engine.js';
import { groupHeaders } from './response.js';
import { refuseRaw, tap, tapOf } from './tap.js';

/** What the app may read about a guarded request. */
export type PortcullisContext = Readonly<Pick<RequestContext, 'requestId' | 'clientIp' | 'scheme' | 'method' | 'path' | 'route' | 'params' | 'principal' | 'resource'>>;

/** A node:http request after the guard: the caller, the context and, where a policy read it, the body. */
export interface GuardedRequest extends IncomingMessage {
  /** The authenticated caller; undefined on public routes without a credential. */
  principal?: Principal;
  /** The guard's view of the request (request id, route, parameters …). */
  portcullis?: PortcullisContext;
  /** The body, on routes whose policies read it: parsed JSON, else the raw bytes. */
  body?: unknown;
  /** The bytes the policies inspected. */
  rawBody?: Buffer;
}

/** What the guard concluded: go on (matched route or none), or refused (the answer was sent). */
export type RunResult =
  | { readonly outcome: 'continue' | 'unmatched'; readonly context: PortcullisContext }
  | { readonly outcome: 'refused' };

const REFUSED: RunResult = Object.freeze({ outcome: 'refused' });

/**
 * Runs the guard on a node:http request. Never rejects: a failing policy is answered 500.
 *
 * @example
 * ```ts
 * const result = await runRaw(engine, req, res);
 * if (result.outcome !== 'refused') app(req, res);
 * ```
 */
export function runRaw(engine: Engine, req: IncomingMessage, res: ServerResponse): RunResult | Promise<RunResult> {
  const started = startRequest(engine, req, res);
  const { ctx, app } = started;
  if (started.kind === 'refused') {
    refuseRaw(engine, ctx, app, started.denial, started.source);
    return REFUSED;
  }
  (req as GuardedRequest).portcullis = ctx;
  if (started.kind === 'unmatched') {
    tap(engine, ctx, app);
    return { outcome: 'unmatched', context: ctx };
  }
  const first = runPipeline(app.before, ctx);
  return first instanceof Promise ? first.then((o) => afterFirst(engine, ctx, app, o)) : afterFirst(engine, ctx, app, first);
}

/** A body the framework already read (undefined: the stream is unread and the body step reads it). */
type GivenBody = { readonly initial: unknown } | undefined;

function afterFirst(engine: Engine, ctx: RequestContext, app: AppRoute, outcome: PipelineOutcome): RunResult | Promise<RunResult> {
  if (outcome !== undefined || app.after === undefined) return settle(engine, ctx, app, outcome, undefined);
  const given = frameworkBody(engine, ctx);
  if (given !== undefined && 'code' in given) return settle(engine, ctx, app, given, undefined);
  const rest = runPipeline(app.after, ctx, given === undefined ? 0 : 1);
  return rest instanceof Promise ? rest.then((o) => settle(engine, ctx, app, o, given)) : settle(engine, ctx, app, rest, given);
}

/**
 * A body a framework parsed before the guard (express.json …), serialised once into the bytes
 * the policies inspect. Only JSON can be rebuilt faithfully; another parsed type is an error.
 */
function frameworkBody(engine: Engine, ctx: RequestContext): GivenBody | Denial {
  const req = ctx.req as GuardedRequest;
  if (!req.complete || req.readable) return undefined;
  const value = req.body;
  if (value === undefined) return { initial: undefined };
  const json = isJsonContentType(req.headers['content-type']);
  let raw: Buffer;
  if (Buffer.isBuffer(value)) raw = value;
  else if (typeof value === 'string') raw = Buffer.from(value, 'utf8');
  else if (json) raw = Buffer.from(JSON.stringify(value));
  else return internalFailure(engine, ctx, 'body', new Error('a non-JSON body was parsed before the Portcullis guard on a route whose policies read bodies: mount the guard before that body parser'));
  const limit = Number.isFinite(ctx.maxBodyBytes) ? ctx.maxBodyBytes : DEFAULT_BUFFER_LIMIT;
  if (raw.length > limit) return ctx.bodyTooLarge ?? coreDenial('request.body_too_large');
  ctx.rawBody = raw;
  if (json) {
    if (typeof value === 'object' && !Buffer.isBuffer(value)) ctx.body = value;
    else {
      try {
        ctx.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return coreDenial('request.invalid_json');
      }
    }
  }
  return { initial: ctx.body };
}

function settle(engine: Engine, ctx: RequestContext, app: AppRoute, outcome: PipelineOutcome, given: GivenBody): RunResult {
  if (outcome === undefined) {
    const req = ctx.req as GuardedRequest;
    req.principal = ctx.principal;
    if (app.after !== undefined && ctx.rawBody !== undefined) {
      // The app gets what the policies saw (and what a policy rewrote), not a second read.
      if (given === undefined) req.body = ctx.body !== undefined ? ctx.body : ctx.rawBody;
      else if (ctx.body !== given.initial) req.body = ctx.body;
      req.rawBody = ctx.rawBody;
    }
    tap(engine, ctx, app);
    return { outcome: 'continue', context: ctx };
  }
  if (outcome instanceof PolicyFailure) refuseRaw(engine, ctx, app, internalFailure(engine, ctx, outcome.policy, outcome.error), outcome.policy);
  else refuseRaw(engine, ctx, app, outcome, sourceOf(outcome));
  return REFUSED;
}

/**
 * Writes a denial the app decided on in its handler (an ownership check): as the gateway would,
 * with the route's headers, when the guard saw the request; else as a bare problem+json.
 *
 * @example
 * ```ts
 * const decision = authorizeObject(req.principal, task, TASK);
 * if (!decision.allowed) return sendDenial(res, decision.denial);
 * ```
 */
export function sendDenial(res: ServerResponse, denial: Denial): void {
  const state = tapOf(res);
  if (state !== undefined) {
    refuseRaw(state.engine, state.ctx, state.app, denial, sourceOf(denial));
    return;
  }
  if (res.headersSent || res.destroyed) return;
  const requestId = (res.req as GuardedRequest | undefined)?.portcullis?.requestId ?? randomUUID();
  const body = denial.bodyPrefix === '' ? undefined : problemBody(denial, requestId);
  const headers = body === undefined ? ['x-request-id', requestId] : ['content-type', PROBLEM_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', requestId];
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(denial.status, groupHeaders([...headers, ...denial.headers]));
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
