/**
 * The app's response on a guarded node:http request, tapped: its head (and, on routes with
 * response-body hooks, its whole body) passes through the route's response rules before anything
 * reaches the client, and a denial replaces it exactly as the gateway writes one.
 */
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../core/context.js';
import type { Denial } from '../core/problem.js';
import { coreDenial, decided, internalFailure, sourceOf, type AppRoute, type Engine } from './engine.js';
import { finishHead, flattenHeaders, groupHeaders, renderDenial, routeHeaders, runBodyHooks } from './response.js';

/** The response methods a tap replaced, and whether it still applies. */
export interface TapState {
  off: boolean;
  readonly writeHead: (this: ServerResponse, status: number, ...rest: unknown[]) => ServerResponse;
  readonly write: (this: ServerResponse, ...args: unknown[]) => boolean;
  readonly end: (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  readonly engine: Engine;
  readonly ctx: RequestContext;
  readonly app: AppRoute;
}

/** A response's own writeHead/write/end as plain functions (called with .call(res, …)). */
type RawMethods = Pick<TapState, 'writeHead' | 'write' | 'end'>;

function methodsOf(res: ServerResponse): RawMethods {
  return res as unknown as RawMethods;
}

const TAP = Symbol('portcullis.tap');
type Tapped = ServerResponse & { [TAP]?: TapState };

/**
 * Writes a denial on a node:http response as the gateway does, replacing whatever the app or
 * middleware set before; nothing when a response was already started.
 *
 * @example
 * ```ts
 * refuseRaw(engine, ctx, app, denial, 'rbac');
 * ```
 */
export function refuseRaw(engine: Engine, ctx: RequestContext, app: AppRoute, denial: Denial, source: string): void {
  const res = ctx.res as Tapped;
  const state = res[TAP];
  if (state !== undefined) state.off = true;
  const out = renderDenial(ctx, denial, routeHeaders(ctx, app.route));
  decided(engine, ctx, denial, source);
  if (res.headersSent || res.destroyed) return;
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  // A request whose body was not read must not leave bytes on a kept-alive connection.
  const req = ctx.req;
  if (!req.complete && (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0')) res.shouldKeepAlive = false;
  const writeHead = state?.writeHead ?? methodsOf(res).writeHead;
  const end = state?.end ?? methodsOf(res).end;
  writeHead.call(res, out.status, groupHeaders(out.headers));
  end.call(res, out.body);
}

/**
 * The tap on a response, when the guard let its request through.
 *
 * @example
 * ```ts
 * const state = tapOf(res);
 * ```
 */
export function tapOf(res: ServerResponse): TapState | undefined {
  return (res as Tapped)[TAP];
}

/**
 * Taps the response of a request the guard let through (or that no route matched).
 *
 * @example
 * ```ts
 * tap(engine, ctx, app);
 * next();
 * ```
 */
export function tap(engine: Engine, ctx: RequestContext, app: AppRoute): void {
  const res = ctx.res as Tapped;
  const { writeHead, write, end } = methodsOf(res);
  const state: TapState = { off: false, writeHead, write, end, engine, ctx, app };
  res[TAP] = state;
  if (!app.inspectsResponse) {
    res.writeHead = function writeHead(this: ServerResponse, status: number, reason?: unknown, headers?: unknown) {
      if (state.off) return state.writeHead.call(this, status, reason, headers);
      state.off = true;
      const flat = takeHeaders(this, typeof reason === 'string' ? headers : reason);
      let head;
      try {
        head = finishHead(ctx, app.route, app.drop, status, flat);
      } catch (error) {
        // Nothing of the app's answer may go out unchecked; the head cannot be replaced any more.
        internalFailure(engine, ctx, 'response', error);
        this.destroy();
        return this;
      }
      ctx.status = head.status;
      return state.writeHead.call(this, head.status, groupHeaders(head.headers));
    };
    return;
  }
  bufferBody(res, state);
}

/** Holds the app's whole response until it ends, then runs the route's body hooks over it. */
function bufferBody(res: Tapped, state: TapState): void {
  const { engine, ctx, app } = state;
  let chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  const add = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || tooLarge) return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8') : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > engine.maxResponseBytes) {
      tooLarge = true;
      chunks = [];
      return;
    }
    chunks.push(buffer);
  };
  res.writeHead = function writeHead(this: ServerResponse, status: number, reason?: unknown, headers?: unknown) {
    if (state.off) return state.writeHead.call(this, status, reason, headers);
    this.statusCode = status;
    const extra = typeof reason === 'string' ? headers : reason;
    if (extra !== undefined && extra !== null) {
      const grouped = groupHeaders(Array.isArray(extra) ? pairs(extra) : flattenHeaders(extra as Record<string, unknown>, []));
      for (const name of Object.keys(grouped)) this.setHeader(name, grouped[name]!);
    }
    return this;
  };
  res.write = function write(this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown) {
    if (state.off) return state.write.call(this, chunk, encoding, cb);
    add(chunk, encoding);
    const callback = typeof encoding === 'function' ? encoding : cb;
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  } as ServerResponse['write'];
  res.end = function end(this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown) {
    if (state.off) return state.end.call(this, chunk, encoding, cb);
    const callback = [chunk, encoding, cb].find((a) => typeof a === 'function') as (() => void) | undefined;
    if (typeof chunk !== 'function') add(chunk, encoding);
    if (callback !== undefined) this.once('finish', callback);
    state.off = true;
    if (this.destroyed) return this;
    if (tooLarge) {
      refuseRaw(engine, ctx, app, coreDenial('proxy.response_too_large'), 'proxy');
      return this;
    }
    let verdict: Denial | Buffer;
    let head;
    try {
      head = finishHead(ctx, app.route, app.drop, this.statusCode, takeHeaders(this, undefined));
      verdict = runBodyHooks(ctx, app.route, head, Buffer.concat(chunks, size));
    } catch (error) {
      refuseRaw(engine, ctx, app, internalFailure(engine, ctx, 'response', error), 'response');
      return this;
    }
    chunks = [];
    if (!Buffer.isBuffer(verdict)) {
      refuseRaw(engine, ctx, app, verdict, sourceOf(verdict));
      return this;
    }
    ctx.status = head.status;
    state.writeHead.call(this, head.status, groupHeaders(head.headers));
    state.end.call(this, ctx.method === 'HEAD' ? undefined : verdict);
    return this;
  } as ServerResponse['end'];
}

/** The response's headers so far plus writeHead's (which win), flat and lower case; removed from `res`. */
function takeHeaders(res: ServerResponse, extra: unknown): string[] {
  let flat = flattenHeaders(res.getHeaders(), []);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  if (extra === undefined || extra === null) return flat;
  const added = Array.isArray(extra) ? pairs(extra) : flattenHeaders(extra as Record<string, unknown>, []);
  const names = new Set<string>();
  for (let i = 0; i < added.length; i += 2) names.add(added[i]!);
  flat = flat.filter((_, i) => i % 2 === 1 ? !names.has(flat[i - 1]!) : !names.has(flat[i]!));
  for (const v of added) flat.push(v);
  return flat;
}

/** writeHead's array form: [name, value, name, value …] (a value may be a list). */
function pairs(list: readonly unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = String(list[i]).toLowerCase();
    const value = list[i + 1];
    if (Array.isArray(value)) for (const v of value as unknown[]) out.push(name, String(v));
    else out.push(name, String(value));
  }
  return out;
}
