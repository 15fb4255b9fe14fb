/**
 * W3C trace context of one request, when tracing is on (see observe/tracing.ts): the ids the
 * gateway's spans use, and the traceparent the upstream receives.
 */

/** The trace state of one request (RequestContext.trace). */
export interface RequestTrace {
  readonly traceId: string;
  /** The gateway's server span. */
  readonly spanId: string;
  /** The client's span, from its traceparent. */
  readonly parentSpanId: string | undefined;
  /** The upstream call's span (its id goes upstream in traceparent). */
  readonly upstreamSpanId: string;
  readonly sampled: boolean;
  /** Finished child spans: name, start and end (performance.now() ms), error. */
  readonly steps: Array<{ name: string; start: number; end: number; error: boolean }>;
}

/**
 * The W3C traceparent an upstream receives for a request's trace: the same trace, the gateway's
 * upstream span as parent.
 *
 * @example
 * ```ts
 * traceparentFor(ctx.trace) // '00-4bf9…-00f0…-01'
 * ```
 */
export function traceparentFor(trace: RequestTrace): string {
  return `00-${trace.traceId}-${trace.upstreamSpanId}-${trace.sampled ? '01' : '00'}`;
}
