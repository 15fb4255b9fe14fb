/**
 * The exposed surface of a compiled configuration: per route, what guards it — authentication,
 * authorization, limits, validation — read from the compiled routes, so it shows exactly what
 * runs, defaults and OpenAPI-generated routes included. `portcullis inventory` prints it; the
 * security checklist (`portcullis audit`) reads it.
 */
import type { CompiledRoute } from './compile.js';

/** What guards one route. */
export interface RouteSurface {
  /** Methods, upper case. */
  readonly methods: readonly string[];
  /** Path template. */
  readonly path: string;
  /** `openapi` for a route generated from the document, `config` for a hand-written one. */
  readonly source: 'openapi' | 'config';
  /** The route's name (operationId for generated routes, when the document gives one). */
  readonly name: string;
  /** Served without authentication. */
  readonly public: boolean;
  /** Marked deprecated in the document. */
  readonly deprecated: boolean;
  /** Authentication methods (api-key, jwt, introspection). */
  readonly authentication: readonly string[];
  /** Authorization checks, each summarised (`rbac require write`, `object-level`). */
  readonly authorization: readonly string[];
  /** Rate limits and size caps (`per-principal 100/min by principal`, `body ≤ 65536 B`). */
  readonly limits: readonly string[];
  /** Input and output checks (`openapi request enforce, response monitor`, `waf block PL1`). */
  readonly validation: readonly string[];
  /** Every policy that runs, in order. */
  readonly policies: readonly string[];
}

/**
 * The surface of every route, in routing-table order.
 *
 * @example
 * ```ts
 * describeSurface(compiled.routes).filter((r) => r.public).map((r) => r.path) // ['/api/v1/signup']
 * ```
 */
export function describeSurface(routes: readonly CompiledRoute[]): RouteSurface[] {
  return routes.map((route) => {
    const authentication: string[] = [];
    const authorization: string[] = [];
    const limits: string[] = [];
    const validation: string[] = [];
    for (const { name, phase, config } of route.policies) {
      const summary = summarise(name, asRecord(config));
      if (phase === 'authenticate') authentication.push(name);
      else if (phase === 'authorize') authorization.push(summary);
      else if (phase === 'limit' || name === 'size-limit') limits.push(...(name === 'rate-limit' ? rateLimits(asRecord(config)) : [summary]));
      // transform runs in the validate phase (after the checks) but rewrites rather than checks.
      else if (phase === 'validate' && name !== 'transform') validation.push(summary);
    }
    return {
      methods: route.methods,
      path: route.template,
      source: route.operation === undefined ? 'config' : 'openapi',
      name: route.name,
      public: route.public,
      deprecated: route.operation?.deprecated === true,
      authentication,
      authorization,
      limits,
      validation,
      policies: route.policies.map((p) => p.name),
    } satisfies RouteSurface;
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function summarise(name: string, config: Record<string, unknown>): string {
  switch (name) {
    case 'rbac': {
      const required = Array.isArray(config.require) ? (config.require as unknown[]).map(String) : undefined;
      if (required === undefined) return 'rbac (roles only)';
      return required.length === 0 ? 'rbac any role' : `rbac require ${required.join('+')}`;
    }
    case 'size-limit':
      return typeof config.maxBodyBytes === 'number' ? `body <= ${config.maxBodyBytes} B` : 'size-limit';
    case 'openapi':
      return `openapi request ${text(config.request, 'enforce')}, response ${text(config.response, 'enforce')}`;
    case 'waf':
      return `waf ${text(config.mode, 'block')} PL${text(config.paranoia, '1')}`;
    default:
      return name;
  }
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

function rateLimits(config: Record<string, unknown>): string[] {
  const list = Array.isArray(config.limits) ? (config.limits as unknown[]).map(asRecord) : [];
  if (list.length === 0) return ['rate-limit'];
  return list.map((l) => `${text(l.name, 'limit')} ${text(l.rate, '')} by ${text(l.key, 'ip')}`.trim());
}

/**
 * The surface as a plain-text table, one line per route and method.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSurface(describeSurface(compiled.routes)));
 * ```
 */
export function formatSurface(surface: readonly RouteSurface[]): string {
  const header = ['METHOD', 'PATH', 'FROM', 'AUTHENTICATION', 'AUTHORIZATION', 'LIMITS', 'VALIDATION'];
  const rows = surface.map((r) => [
    r.methods.join(','),
    r.path + (r.deprecated ? ' (deprecated)' : ''),
    r.source === 'openapi' ? `openapi:${r.name}` : 'config',
    r.public ? `PUBLIC${r.authentication.length > 0 ? ` (${r.authentication.join(', ')} if sent)` : ''}` : r.authentication.join(', ') || 'NONE',
    r.authorization.join('; ') || '-',
    r.limits.join('; ') || '-',
    r.validation.join('; ') || '-',
  ]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((row) => row[i]!.length))));
  const line = (cells: readonly string[]) => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`;
  const publicCount = surface.filter((r) => r.public).length;
  return line(header) + rows.map(line).join('') + `\n${surface.length} routes, ${publicCount} public; anything else answers 404.\n`;
}
