/**
 * OpenTelemetry traces without the SDK: a server span per request, a child span per policy step
 * and a client span for the upstream call, in W3C trace context (the client's `traceparent`
 * continued, the upstream given one naming the client span), exported as OTLP/HTTP JSON in
 * batches through the gateway's SSRF-guarded outbound client. Off (and free) unless
 * `tracing.otlpEndpoint` is set: the policy steps are wrapped at compile time only then.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RequestContext } from '../core/context.js';
import type { OutboundClient } from '../core/outbound.js';
import type { NamedHandler } from '../core/pipeline.js';
import type { RequestTrace } from '../core/trace.js';

export { traceparentFor, type RequestTrace } from '../core/trace.js';

/** Tracing settings (the config's `tracing` section, endpoint set). */
export interface TracerOptions {
  /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: string;
  readonly serviceName: string;
  /** Share of new traces recorded (a sampled parent is always followed). */
  readonly sampleRatio: number;
  readonly outbound: OutboundClient;
  readonly logger: Logger;
  /** Most spans waiting for export; beyond it spans are dropped. */
  readonly maxQueue?: number;
  /** Export interval, ms. */
  readonly flushMs?: number;
}

/** The tracer. */
export interface Tracer {
  /** Starts a request's trace from its traceparent header. */
  start(traceparent: string | string[] | undefined): RequestTrace;
  /** Wraps a policy step so it records a child span (compile time). */
  readonly wrap: (handler: NamedHandler) => NamedHandler;
  /** Finishes the request's spans and queues them for export. */
  end(ctx: RequestContext, upstream: string | undefined): void;
  /** Exports what is queued. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Creates a tracer.
 *
 * @example
 * ```ts
 * const tracer = createTracer({ endpoint: 'https://otel.example.com:4318', serviceName: 'portcullis', sampleRatio: 1, outbound, logger });
 * ```
 */
export function createTracer(options: TracerOptions): Tracer {
  const maxQueue = options.maxQueue ?? 10_000;
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  let queue: unknown[] = [];
  let dropped = 0;
  let exporting: Promise<void> | undefined;
  const origin = performance.timeOrigin;
  const nanos = (ms: number) => (BigInt(Math.round((origin + ms) * 1000)) * 1000n).toString();
  const timer = setInterval(() => void flush(), options.flushMs ?? 1000);
  timer.unref();

  const flush = async (): Promise<void> => {
    if (exporting !== undefined) return exporting;
    if (queue.length === 0) return;
    const spans = queue;
    queue = [];
    const body = JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: options.serviceName } }] },
        scopeSpans: [{ scope: { name: 'portcullis' }, spans }],
      }],
    });
    exporting = options.outbound.request({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, maxBytes: 65_536 })
      .then((res) => {
        if (res.status >= 300) options.logger.warn({ event: 'trace_export_failed', status: res.status, spans: spans.length }, 'OTLP endpoint refused spans');
      }, (error: unknown) => {
        options.logger.warn({ event: 'trace_export_failed', code: (error as { code?: string }).code, spans: spans.length }, 'spans could not be exported');
      })
      .finally(() => {
        exporting = undefined;
      });
    return exporting;
  };

  const push = (span: unknown) => {
    if (queue.length >= maxQueue) {
      dropped++;
      if (dropped % 1000 === 1) options.logger.warn({ event: 'trace_spans_dropped', dropped }, 'span queue full: spans dropped');
      return;
    }
    queue.push(span);
  };

  return {
    start(header) {
      const m = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
      const valid = m !== null && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN;
      const sampled = valid ? (Number.parseInt(m[3]!, 16) & 1) === 1 : Math.random() < options.sampleRatio;
      return {
        traceId: valid ? m[1]! : randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        parentSpanId: valid ? m[2] : undefined,
        upstreamSpanId: randomBytes(8).toString('hex'),
        sampled,
        steps: [],
      };
    },
    wrap(handler) {
      const name = `policy ${handler.policy}`;
      return {
        policy: handler.policy,
        run(ctx) {
          const trace = ctx.trace;
          if (trace === undefined || !trace.sampled) return handler.run(ctx);
          const start = performance.now();
          const result = handler.run(ctx);
          if (result instanceof Promise) {
            return result.then((value) => {
              trace.steps.push({ name, start, end: performance.now(), error: value !== undefined });
              return value;
            }, (error: unknown) => {
              trace.steps.push({ name, start, end: performance.now(), error: true });
              throw error;
            });
          }
          trace.steps.push({ name, start, end: performance.now(), error: result !== undefined });
          return result;
        },
      };
    },
    end(ctx, upstream) {
      const trace = ctx.trace;
      if (trace === undefined || !trace.sampled) return;
      const end = performance.now();
      const error = ctx.status >= 500;
      push({
        traceId: trace.traceId, spanId: trace.spanId, ...(trace.parentSpanId === undefined ? {} : { parentSpanId: trace.parentSpanId }),
        name: `${ctx.method} ${ctx.route === '' ? '(unmatched)' : ctx.route}`, kind: 2,
        startTimeUnixNano: nanos(ctx.startedAt), endTimeUnixNano: nanos(end),
        attributes: [
          { key: 'http.request.method', value: { stringValue: ctx.method } },
          { key: 'http.route', value: { stringValue: ctx.route } },
          { key: 'http.response.status_code', value: { intValue: ctx.status } },
          ...(ctx.decision === undefined ? [] : [{ key: 'portcullis.decision', value: { stringValue: ctx.decision } }]),
        ],
        status: { code: error ? 2 : 1 },
      });
      for (const step of trace.steps) {
        push({ traceId: trace.traceId, spanId: randomBytes(8).toString('hex'), parentSpanId: trace.spanId, name: step.name, kind: 1, startTimeUnixNano: nanos(step.start), endTimeUnixNano: nanos(step.end), status: { code: step.error ? 2 : 1 } });
      }
      if (ctx.upstreamStartedAt >= 0 && upstream !== undefined) {
        push({
          traceId: trace.traceId, spanId: trace.upstreamSpanId, parentSpanId: trace.spanId, name: `upstream ${upstream}`, kind: 3,
          startTimeUnixNano: nanos(ctx.upstreamStartedAt), endTimeUnixNano: nanos(ctx.upstreamMs >= 0 ? ctx.upstreamStartedAt + ctx.upstreamMs : end),
          status: { code: ctx.upstreamMs < 0 || (ctx.decision?.startsWith('proxy.') ?? false) ? 2 : 1 },
        });
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
