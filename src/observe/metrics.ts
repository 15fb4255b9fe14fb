/**
 * Prometheus metrics of one gateway (prom-client, its own Registry: nothing global). Labels come
 * only from finite sets — route templates of the config, the route's methods, status classes,
 * error codes of the catalogue, upstream names — never a raw path, IP, principal or header, so
 * an attacker sending random paths cannot grow the number of series.
 */
import diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHANNELS, type ValidationMessage } from '../core/channels.js';
import type { RequestContext } from '../core/context.js';
import type { ComponentHealth } from '../core/policy.js';
import type { CompiledRoute } from '../config/compile.js';

/** What the metrics read besides requests. */
export interface MetricsSources {
  /** Dependencies' health (JWKS, stores), read at scrape time. */
  readonly health: () => readonly ComponentHealth[];
  /** The audit trail's state, when there is one. */
  readonly auditTrail?: () => { readonly failing: boolean; readonly dropped: number; readonly queued: number };
}

/** The gateway's metrics. */
export interface GatewayMetrics {
  /** The registry to expose on /metrics. */
  readonly registry: Registry;
  /** Records a finished request (called once per request by the server). */
  observe(ctx: RequestContext, durationMs: number, route: CompiledRoute | undefined): void;
  /** Counts a configuration reload. */
  reloaded(outcome: 'success' | 'failure'): void;
  /** Stops listening to the diagnostics channels. */
  close(): void;
}

const UNMATCHED = '(unmatched)';
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Creates the metrics of one gateway.
 *
 * @example
 * ```ts
 * const metrics = createGatewayMetrics({ health: () => compiled.health() });
 * res.end(await metrics.registry.metrics());
 * ```
 */
export function createGatewayMetrics(sources: MetricsSources): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({ name: 'portcullis_requests_total', help: 'Requests by route template, method, status class and decision code (none = allowed).', labelNames: ['route', 'method', 'status_class', 'decision'] as const, registers });
  const duration = new Histogram({ name: 'portcullis_request_duration_seconds', help: 'Time from arrival to the end of the response, by route template.', labelNames: ['route'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
  const upstreamDuration = new Histogram({ name: 'portcullis_upstream_duration_seconds', help: 'Time until the upstream\'s response head, by upstream.', labelNames: ['upstream'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
  const upstreamErrors = new Counter({ name: 'portcullis_upstream_errors_total', help: 'Upstream failures (unavailable, timeout, response too large, invalid response) by upstream and code.', labelNames: ['upstream', 'code'] as const, registers });
  const refusals = new Counter({ name: 'portcullis_refusals_total', help: 'Requests refused by a policy (authentication, authorization, rate limit, WAF, validation …), by policy and code.', labelNames: ['policy', 'code'] as const, registers });
  const validation = new Counter({ name: 'portcullis_validation_failures_total', help: 'Requests and responses that broke their OpenAPI operation, by route, direction and whether they were refused (false: monitor mode, would have been refused).', labelNames: ['route', 'kind', 'refused'] as const, registers });
  const reloads = new Counter({ name: 'portcullis_config_reloads_total', help: 'Configuration reloads by outcome.', labelNames: ['outcome'] as const, registers });
  new Gauge({
    name: 'portcullis_component_up', help: 'Whether a dependency (JWKS, store) works: 1 up, 0 down.', labelNames: ['component'] as const, registers,
    collect() {
      this.reset();
      for (const h of sources.health()) this.set({ component: h.component }, h.up ? 1 : 0);
    },
  });
  if (sources.auditTrail !== undefined) {
    const trail = sources.auditTrail;
    new Gauge({ name: 'portcullis_audit_trail_failing', help: '1 while the audit trail file cannot be written.', registers, collect() { this.set(trail().failing ? 1 : 0); } });
    new Gauge({ name: 'portcullis_audit_trail_dropped', help: 'Audit records dropped since start because the trail could not be written.', registers, collect() { this.set(trail().dropped); } });
  }

  // Routes are finite; their method label is the request's method when the route takes it.
  const onValidation = (message: unknown) => {
    const m = message as ValidationMessage;
    validation.inc({ route: m.ctx.route === '' ? UNMATCHED : m.ctx.route, kind: m.kind, refused: m.refused ? 'true' : 'false' });
  };
  diagnostics.subscribe(CHANNELS.validation, onValidation);

  return {
    registry,
    observe(ctx, durationMs, route) {
      const template = route === undefined || route.template === '' ? UNMATCHED : route.template;
      const method = route !== undefined && route.methods.includes(ctx.method) ? ctx.method : 'OTHER';
      const status = ctx.status;
      const statusClass = status >= 100 && status < 600 ? STATUS_CLASSES[Math.floor(status / 100) - 1]! : '5xx';
      const decision = ctx.decision ?? 'none';
      requests.inc({ route: template, method, status_class: statusClass, decision });
      duration.observe({ route: template }, durationMs / 1000);
      if (route !== undefined && route.upstream !== '') {
        if (ctx.upstreamMs >= 0) upstreamDuration.observe({ upstream: route.upstream }, ctx.upstreamMs / 1000);
        if (ctx.decision !== undefined && (ctx.decision.startsWith('proxy.') || ctx.decision === 'openapi.invalid_response')) upstreamErrors.inc({ upstream: route.upstream, code: ctx.decision });
      }
      if (ctx.decision !== undefined && status >= 400) {
        const dot = ctx.decision.indexOf('.');
        refusals.inc({ policy: dot === -1 ? ctx.decision : ctx.decision.slice(0, dot), code: ctx.decision });
      }
    },
    reloaded(outcome) {
      reloads.inc({ outcome });
    },
    close() {
      diagnostics.unsubscribe(CHANNELS.validation, onValidation);
    },
  };
}
