/**
 * Portcullis as a Fastify plugin, on Fastify's hooks: `onRequest` runs the route's policies up to
 * the body; `preParsing` reads the body (bounded) where a policy needs it, runs the rest, and
 * hands Fastify exactly the bytes that were checked to parse; `onSend` applies the route's
 * response rules to the head and, on routes with response-body policies, to the serialised
 * payload. Refusals go out through `reply.send` as the gateway writes them. Fastify is imported
 * for its types only.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../core/context.js';
import { PolicyFailure, runPipeline, type PipelineOutcome } from '../core/pipeline.js';
import type { Principal } from '../core/principal.js';
import { PROBLEM_CONTENT_TYPE, problemBody, type Denial } from '../core/problem.js';
import { coreDenial, decided, internalFailure, sourceOf, startRequest, type AppRoute, type Engine } from './engine.js';
import { engineOf, type Portcullis } from './portcullis.js';
import type { PortcullisContext } from './raw.js';
import { finishHead, flattenHeaders, groupHeaders, renderDenial, routeHeaders, runBodyHooks } from './response.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller Portcullis authenticated; undefined on a public route without a credential. */
    principal?: Principal;
    /** Portcullis's view of the request (request id, route, parameters …). */
    portcullis?: PortcullisContext;
  }
}

const STATE = Symbol('portcullis.state');
interface State {
  readonly engine: Engine;
  readonly ctx: RequestContext;
  readonly app: AppRoute;
  /** The response is Portcullis's own (a refusal) or was already checked: onSend leaves it. */
  final: boolean;
}
type Tracked = FastifyRequest & { [STATE]?: State };
type Done = () => void;
type StreamDone = (error: null, value: Readable) => void;
type PayloadDone = (error: null, value: unknown) => void;

/**
 * The guard as a Fastify plugin. Its hooks apply to the whole app (it is not encapsulated), so
 * register it before your routes.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(fastifyPlugin(await portcullis(config, { logger: app.log })));
 * app.get('/api/tasks', async (request) => ({ owner: request.principal?.id }));
 * ```
 */
export function fastifyPlugin(guard: Portcullis): FastifyPluginCallback {
  const engine = engineOf(guard);
  const plugin: FastifyPluginCallback = (app, _options, done) => {
    if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', undefined);
    if (!app.hasRequestDecorator('portcullis')) app.decorateRequest('portcullis', undefined);
    app.addHook('onRequest', (request, reply, next) => onRequest(engine, request, reply, next));
    app.addHook('preParsing', (request, reply, payload, next) => preParsing(engine, request, reply, payload, next));
    app.addHook('onSend', (request, reply, payload, next) => onSend(engine, request, reply, payload, next));
    done();
  };
  // What fastify-plugin does: the hooks belong to the app that registers the plugin, not to a
  // child context that only the plugin's own routes would see.
  const flags = plugin as unknown as Record<symbol, unknown>;
  flags[Symbol.for('skip-override')] = true;
  flags[Symbol.for('fastify.display-name')] = 'portcullis';
  return plugin;
}

/**
 * Answers with a denial the handler decided on (an ownership check), as the gateway writes it,
 * with the route's headers. Returns the reply, for `return replyDenial(reply, denial)`.
 *
 * @example
 * ```ts
 * const decision = authorizeObject(request.principal, task, TASK);
 * if (!decision.allowed) return replyDenial(reply, decision.denial);
 * ```
 */
export function replyDenial(reply: FastifyReply, denial: Denial): FastifyReply {
  const state = (reply.request as Tracked)[STATE];
  if (state === undefined) {
    const requestId = randomUUID();
    const body = denial.bodyPrefix === '' ? undefined : problemBody(denial, requestId);
    const headers = body === undefined ? ['x-request-id', requestId] : ['content-type', PROBLEM_CONTENT_TYPE, 'x-request-id', requestId];
    return reply.code(denial.status).headers(groupHeaders([...headers, ...denial.headers])).send(body === undefined ? undefined : Buffer.from(body));
  }
  const body = replaceWith(state.engine, reply, state, denial, sourceOf(denial));
  return reply.send(body === undefined ? undefined : Buffer.from(body));
}

function onRequest(engine: Engine, request: Tracked, reply: FastifyReply, next: Done): void {
  const started = startRequest(engine, request.raw, reply.raw);
  const { ctx, app } = started;
  const state: State = { engine, ctx, app, final: false };
  request[STATE] = state;
  if (started.kind === 'refused') {
    refuse(engine, reply, state, started.denial, started.source);
    return;
  }
  request.portcullis = ctx;
  if (started.kind === 'unmatched') {
    next();
    return;
  }
  const settle = (outcome: PipelineOutcome) => {
    if (outcome !== undefined) return deny(engine, reply, state, outcome);
    request.principal = ctx.principal;
    next();
  };
  const first = runPipeline(app.before, ctx);
  if (first instanceof Promise) first.then(settle).catch((error: unknown) => broken(engine, reply, ctx, error));
  else settle(first);
}

function preParsing(engine: Engine, request: Tracked, reply: FastifyReply, payload: Readable, next: StreamDone): void {
  const state = request[STATE];
  if (state === undefined || state.final || state.app.after === undefined) {
    next(null, payload);
    return;
  }
  // The body step reads the raw request: a stream another hook put in its place would go unread.
  if (payload !== request.raw) {
    deny(engine, reply, state, new PolicyFailure('body', new Error('another preParsing hook replaced the request stream before Portcullis: register Portcullis first')));
    return;
  }
  const { ctx } = state;
  const settle = (outcome: PipelineOutcome) => {
    if (outcome !== undefined) return deny(engine, reply, state, outcome);
    request.principal = ctx.principal;
    const raw = ctx.rawBody;
    if (raw === undefined) return next(null, payload);
    // Fastify parses exactly the bytes the policies checked (or a policy rewrote); its
    // Content-Length check counts what came over the wire.
    const stream = new PassThrough() as PassThrough & { receivedEncodedLength?: number };
    const declared = Number(request.headers['content-length']);
    stream.receivedEncodedLength = Number.isFinite(declared) && declared > 0 ? declared : raw.length;
    stream.end(raw);
    next(null, stream);
  };
  const rest = runPipeline(state.app.after, ctx);
  if (rest instanceof Promise) rest.then(settle).catch((error: unknown) => broken(engine, reply, ctx, error));
  else settle(rest);
}

function onSend(engine: Engine, request: Tracked, reply: FastifyReply, payload: unknown, next: PayloadDone): void {
  const state = request[STATE];
  if (state === undefined || state.final) {
    next(null, payload);
    return;
  }
  state.final = true;
  const { ctx, app } = state;
  if (!app.inspectsResponse) {
    try {
      const head = finishHead(ctx, app.route, app.drop, reply.statusCode, takeHeaders(reply));
      setHead(reply, head.status, head.headers);
      ctx.status = head.status;
    } catch (error) {
      return next(null, replaceWith(engine, reply, state, internalFailure(engine, ctx, 'response', error), 'response'));
    }
    next(null, payload);
    return;
  }
  const finish = (raw: Buffer | undefined) => {
    if (raw === undefined) return next(null, replaceWith(engine, reply, state, coreDenial('proxy.response_too_large'), 'proxy'));
    let verdict: Denial | Buffer;
    let head;
    try {
      head = finishHead(ctx, app.route, app.drop, reply.statusCode, takeHeaders(reply));
      verdict = runBodyHooks(ctx, app.route, head, raw);
    } catch (error) {
      return next(null, replaceWith(engine, reply, state, internalFailure(engine, ctx, 'response', error), 'response'));
    }
    if (!Buffer.isBuffer(verdict)) return next(null, replaceWith(engine, reply, state, verdict, sourceOf(verdict)));
    setHead(reply, head.status, head.headers);
    ctx.status = head.status;
    next(null, verdict);
  };
  const raw = payloadBytes(payload, engine.maxResponseBytes);
  if (raw instanceof Promise) raw.then(finish, () => finish(undefined)).catch((error: unknown) => broken(engine, reply, ctx, error));
  else finish(raw);
}

/** The serialised payload as bytes (undefined: larger than `max`); a stream is read whole. */
function payloadBytes(payload: unknown, max: number): Buffer | undefined | Promise<Buffer | undefined> {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.isBuffer(payload) ? payload : undefined;
  if (bytes !== undefined) return bytes.length > max ? undefined : bytes;
  return (async () => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload as AsyncIterable<unknown>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      size += b.length;
      if (size > max) {
        (payload as Readable).destroy();
        return undefined;
      }
      chunks.push(b);
    }
    return Buffer.concat(chunks, size);
  })();
}

/** Something failed after the request was handed back to Fastify: nothing unchecked may go out. */
function broken(engine: Engine, reply: FastifyReply, ctx: RequestContext, error: unknown): void {
  internalFailure(engine, ctx, 'fastify', error);
  reply.raw.destroy();
}

function deny(engine: Engine, reply: FastifyReply, state: State, outcome: Denial | PolicyFailure): void {
  if (outcome instanceof PolicyFailure) refuse(engine, reply, state, internalFailure(engine, state.ctx, outcome.policy, outcome.error), outcome.policy);
  else refuse(engine, reply, state, outcome, sourceOf(outcome));
}

/** Answers with a denial as the gateway writes it, before the app's handler ran. */
function refuse(engine: Engine, reply: FastifyReply, state: State, denial: Denial, source: string): void {
  const body = replaceWith(engine, reply, state, denial, source);
  // A body that was not read must not be parsed as the next request on this connection.
  const req = state.ctx.req;
  if (!req.complete && (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0')) reply.raw.shouldKeepAlive = false;
  // A Buffer: Fastify would append `; charset=utf-8` to a string's content type.
  void reply.send(body === undefined ? undefined : Buffer.from(body));
}

/** Puts a denial's status and headers on the reply (replacing the app's) and returns its body. */
function replaceWith(engine: Engine, reply: FastifyReply, state: State, denial: Denial, source: string): string | undefined {
  state.final = true;
  const { ctx, app } = state;
  const out = renderDenial(ctx, denial, routeHeaders(ctx, app.route));
  decided(engine, ctx, denial, source);
  takeHeaders(reply);
  setHead(reply, out.status, out.headers);
  return out.body;
}

/** The reply's headers so far (Fastify's and the raw response's), flat and lower case; removed from both. */
function takeHeaders(reply: FastifyReply): string[] {
  const all = reply.getHeaders() as Record<string, unknown>;
  const flat = flattenHeaders(all, []);
  for (const name of Object.keys(all)) reply.removeHeader(name);
  for (const name of reply.raw.getHeaderNames()) reply.raw.removeHeader(name);
  return flat;
}

function setHead(reply: FastifyReply, status: number, headers: readonly string[]): void {
  if (reply.statusCode !== status) void reply.code(status);
  void reply.headers(groupHeaders(headers));
}
