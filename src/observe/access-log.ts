/**
 * The access log: one JSON line per request when it ends, with the correlation id, route
 * template, status, duration, client IP, principal and the refusal's code. Never the query
 * string (tokens travel there) and never a credential header.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../core/context.js';
import { redactHeaders } from './logger.js';

/** Access-log settings. */
export interface AccessLogOptions {
  /** Also log request headers (redacted). Off by default: they are large and rarely needed. */
  readonly includeHeaders: boolean;
  /** Header names to redact (lower case). */
  readonly redact: ReadonlySet<string>;
}

/** Writes one line per finished request. */
export type AccessLogger = (ctx: RequestContext, durationMs: number, completed: boolean) => void;

/**
 * Creates the access logger.
 *
 * @example
 * ```ts
 * const log = createAccessLogger(logger, { includeHeaders: false, redact: headerRedactionSet([]) });
 * log(ctx, 1.7, true);
 * ```
 */
export function createAccessLogger(logger: Logger, options: AccessLogOptions): AccessLogger {
  return (ctx, durationMs, completed) => {
    const req = ctx.req;
    logger.info({
      event: 'request',
      requestId: ctx.requestId,
      traceparent: req.headers.traceparent,
      method: ctx.method,
      route: ctx.route === '' ? undefined : ctx.route,
      path: ctx.path,
      status: ctx.status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      clientIp: ctx.clientIp,
      principal: ctx.principal?.id,
      decision: ctx.decision,
      completed,
      userAgent: req.headers['user-agent'],
      headers: options.includeHeaders ? redactHeaders(req.headers, options.redact) : undefined,
    });
  };
}
