/**
 * Writing the gateway's own answers: denials and failures as problem+json, with the route's
 * precomputed headers (security headers apply to refusals too) and the correlation id.
 */
import type { RequestContext } from '../core/context.js';
import { PROBLEM_CONTENT_TYPE, problemBody, type Denial } from '../core/problem.js';

/**
 * Sends a denial on `ctx.res`, unless a response was already started.
 *
 * @example
 * ```ts
 * sendDenial(ctx, denial, route.setHeaders);
 * ```
 */
export function sendDenial(ctx: RequestContext, denial: Denial, baseHeaders: readonly string[]): void {
  const res = ctx.res;
  ctx.decision = denial.code;
  ctx.status = denial.status;
  if (res.headersSent || res.destroyed) return;
  const body = denial.bodyPrefix === '' ? undefined : problemBody(denial, ctx.requestId);
  const headers: string[] = body === undefined ? ['x-request-id', ctx.requestId] : ['content-type', PROBLEM_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(body)), 'x-request-id', ctx.requestId];
  for (let i = 0; i < baseHeaders.length; i++) headers.push(baseHeaders[i]!);
  for (let i = 0; i < denial.headers.length; i++) headers.push(denial.headers[i]!);
  for (let i = 0; i < ctx.responseHeaders.length; i++) headers.push(ctx.responseHeaders[i]!);
  // A request whose body we did not read (refused before forwarding) must not leave unread bytes
  // on a kept-alive connection: they would be parsed as the next request.
  const req = ctx.req;
  if (!req.complete && (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0')) res.shouldKeepAlive = false;
  res.writeHead(denial.status, headers);
  res.end(ctx.method === 'HEAD' ? undefined : body);
}
