/**
 * The response side of a guarded request, framework-neutral: the gateway's header rules applied
 * to the app's response head (dropped names, the route's static headers, the policies' headers,
 * the correlation id, response hooks), the route's body hooks over the app's whole body, and the
 * head and body of a denial exactly as the gateway writes them.
 */
import type { CompiledRoute } from '../config/compile.js';
import type { RequestContext } from '../core/context.js';
import type { ResponseHead } from '../core/policy.js';
import { PROBLEM_CONTENT_TYPE, problemBody, type Denial } from '../core/problem.js';
import { responseBodyOf } from '../core/response-body.js';

/** Header values as node:http and Fastify take them: a repeated name as a list. */
export type GroupedHeaders = Record<string, string | string[]>;

/**
 * The route's static headers for this request's scheme (no HSTS over plain HTTP).
 *
 * @example
 * ```ts
 * routeHeaders(ctx, route) // ['x-content-type-options', 'nosniff', …]
 * ```
 */
export function routeHeaders(ctx: RequestContext, route: CompiledRoute): readonly string[] {
  return ctx.scheme === 'https' ? route.setHeaders : route.setHeadersPlain;
}

/**
 * A flat header list (name, value, …) as one object; repeated names become lists, so nothing is
 * lost when node:http or Fastify merge it with headers set earlier.
 *
 * @example
 * ```ts
 * groupHeaders(['vary', 'Origin', 'vary', 'Accept']) // { vary: ['Origin', 'Accept'] }
 * ```
 */
export function groupHeaders(flat: readonly string[]): GroupedHeaders {
  const out: GroupedHeaders = Object.create(null) as GroupedHeaders;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    const before = out[name];
    if (before === undefined) out[name] = value;
    else if (typeof before === 'string') out[name] = [before, value];
    else before.push(value);
  }
  return out;
}

/**
 * Appends a headers object (getHeaders(), writeHead's argument) to a flat list, names lower case.
 *
 * @example
 * ```ts
 * flattenHeaders({ 'Content-Type': 'application/json' }, out) // out: ['content-type', 'application/json']
 * ```
 */
export function flattenHeaders(headers: Readonly<Record<string, unknown>>, out: string[]): string[] {
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || value === null) continue;
    const lower = name.toLowerCase();
    // Header values are strings or numbers (or lists of them); anything else is the app's bug.
    if (Array.isArray(value)) for (const v of value as unknown[]) out.push(lower, `${v as string}`);
    else out.push(lower, `${value as string}`);
  }
  return out;
}

/**
 * The app's response head after the gateway's rules: the names the route drops removed, the
 * route's and the policies' headers and X-Request-Id appended, the response hooks run (they may
 * throw: the caller fails closed). `appHeaders` is consumed.
 *
 * @example
 * ```ts
 * const head = finishHead(ctx, app, 200, ['content-type', 'application/json', 'x-powered-by', 'Express']);
 * ```
 */
export function finishHead(ctx: RequestContext, route: CompiledRoute, drop: ReadonlySet<string>, status: number, appHeaders: readonly string[]): ResponseHead {
  const out: string[] = [];
  for (let i = 0; i + 1 < appHeaders.length; i += 2) {
    if (!drop.has(appHeaders[i]!)) out.push(appHeaders[i]!, appHeaders[i + 1]!);
  }
  const set = routeHeaders(ctx, route);
  for (let i = 0; i < set.length; i++) out.push(set[i]!);
  const extra = ctx.responseHeaders;
  for (let i = 0; i < extra.length; i++) out.push(extra[i]!);
  out.push('x-request-id', ctx.requestId);
  const head: ResponseHead = { status, headers: out };
  const hooks = route.responseHandlers;
  for (let i = 0; i < hooks.length; i++) hooks[i]!(ctx, head);
  return head;
}

/**
 * Runs the route's response-body hooks over the app's whole body, as the gateway runs them over
 * an upstream's: JSON parsed once, re-serialised only when a hook changed it. Returns the refusal
 * that replaces the response, or the bytes to send (Content-Length set in `head`). Hooks may
 * throw: the caller fails closed.
 *
 * @example
 * ```ts
 * const verdict = runBodyHooks(ctx, route, head, Buffer.from('{"ownerId":"bob"}'));
 * if ('code' in verdict) refuse(verdict);
 * ```
 */
export function runBodyHooks(ctx: RequestContext, route: CompiledRoute, head: ResponseHead, raw: Buffer): Denial | Buffer {
  const body = responseBodyOf(head.headers, raw);
  const hooks = route.responseBodyHandlers;
  for (let i = 0; i < hooks.length; i++) {
    const denial = hooks[i]!(ctx, head, body);
    if (denial !== undefined) return denial;
  }
  const out = body.changed ? Buffer.from(JSON.stringify(body.value)) : raw;
  replaceHeader(head.headers, 'content-length', String(out.length));
  return out;
}

/** A denial's status, head and body, in the gateway's order; body undefined for a bodiless reply or HEAD. */
export interface RenderedDenial {
  readonly status: number;
  readonly headers: readonly string[];
  readonly body: string | undefined;
}

/**
 * A denial as the gateway writes it: problem+json with the request id, the route's headers, the
 * denial's own (Retry-After, WWW-Authenticate …) and the policies' (CORS). Records the decision
 * on the context.
 *
 * @example
 * ```ts
 * const { status, headers, body } = renderDenial(ctx, denial, routeHeaders(ctx, route));
 * ```
 */
export function renderDenial(ctx: RequestContext, denial: Denial, base: readonly string[]): RenderedDenial {
  ctx.decision = denial.code;
  ctx.status = denial.status;
  const body = denial.bodyPrefix === '' ? undefined : problemBody(denial, ctx.requestId);
  const headers: string[] = body === undefined ? ['x-request-id', ctx.requestId] : ['content-type', PROBLEM_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', ctx.requestId];
  for (let i = 0; i < base.length; i++) headers.push(base[i]!);
  for (let i = 0; i < denial.headers.length; i++) headers.push(denial.headers[i]!);
  for (let i = 0; i < ctx.responseHeaders.length; i++) headers.push(ctx.responseHeaders[i]!);
  return { status: denial.status, headers, body: ctx.method === 'HEAD' ? undefined : body };
}

/**
 * Replaces every entry of `name` by one with `value`.
 *
 * @example
 * ```ts
 * replaceHeader(head.headers, 'content-length', '42');
 * ```
 */
export function replaceHeader(headers: string[], name: string, value: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === name) headers.splice(i, 2);
  headers.push(name, value);
}
