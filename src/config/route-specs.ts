/**
 * The routes a configuration serves, in one shape whatever their source: written by hand under
 * `routes`, or generated from the operations of the OpenAPI document named under `openapi`. The
 * compiler compiles RouteSpecs; it never needs to know where a route came from, except to hand a
 * generated route's operation to its policies.
 */
import type { ConfigIssue, ConfigPath } from '../core/config-error.js';
import type { ApiOperation } from '../core/operation.js';
import type { GatewayConfig } from './schema.js';

/** One scope of policy settings, in the order they apply (defaults first, the most specific last). */
export interface PolicyLayer {
  /** Policy name → its config (or false: off). */
  readonly policies: Readonly<Record<string, unknown>>;
  /** Where this scope's `policies` mapping is in the file, for messages. */
  readonly path: ConfigPath;
}

/** A route to compile. */
export interface RouteSpec {
  /** Name for logs and messages. */
  readonly name: string;
  /** Path template (`/api/v1/tasks/{taskId}`). */
  readonly path: string;
  /** Methods, upper case. */
  readonly methods: readonly string[];
  /** Upstream name. */
  readonly upstream: string;
  /** Served without authentication. */
  readonly public: boolean;
  /** Policy scopes, least specific first (the defaults' scope is always first). */
  readonly layers: readonly PolicyLayer[];
  /** Where the route itself is declared (a routes[] entry, or openapi for generated routes). */
  readonly at: ConfigPath;
  /** For a generated route: the operation it serves. */
  readonly operation?: ApiOperation;
}

/**
 * The hand-written routes of a config as RouteSpecs.
 *
 * @example
 * ```ts
 * configRouteSpecs(config)[0].layers.map((l) => l.path) // [['defaults','policies'], ['routes',0,'policies']]
 * ```
 */
export function configRouteSpecs(config: GatewayConfig): RouteSpec[] {
  return config.routes.map((route, i) => ({
    name: route.name ?? `${route.methods.join(',')} ${route.path}`,
    path: route.path,
    methods: route.methods,
    upstream: route.upstream,
    public: route.public,
    layers: [
      { policies: config.defaults.policies, path: ['defaults', 'policies'] },
      { policies: route.policies, path: ['routes', i, 'policies'] },
    ],
    at: ['routes', i],
  }));
}

/** The `openapi` section as the schema fills it in. */
export type OpenApiSettings = NonNullable<GatewayConfig['openapi']>;

/**
 * Routes for the operations of a loaded document: one per operation, its upstream, publicity and
 * policy scopes from the `openapi.operations` entries that match it, in order. An entry that
 * matches nothing is reported as a warning (a typo would otherwise silently drop its policies).
 *
 * @example
 * ```ts
 * const { routes, issues } = operationRouteSpecs(config, config.openapi, document.operations);
 * ```
 */
export function operationRouteSpecs(config: GatewayConfig, settings: OpenApiSettings, operations: readonly ApiOperation[]): { routes: RouteSpec[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const used = new Set<number>();
  const routes = operations.map((operation) => {
    const layers: PolicyLayer[] = [{ policies: config.defaults.policies, path: ['defaults', 'policies'] }];
    let upstream = settings.upstream;
    let isPublic = false;
    settings.operations.forEach((entry, i) => {
      if (!matches(entry.match, operation)) return;
      used.add(i);
      if (entry.upstream !== undefined) upstream = entry.upstream;
      if (entry.public !== undefined) isPublic = entry.public;
      layers.push({ policies: entry.policies, path: ['openapi', 'operations', i, 'policies'] });
    });
    const method = operation.method.toUpperCase();
    return {
      name: operation.operationId ?? `${method} ${operation.path}`,
      path: operation.path,
      methods: [method],
      upstream,
      public: isPublic,
      layers,
      at: ['openapi'],
      operation,
    } satisfies RouteSpec;
  });
  settings.operations.forEach((_entry, i) => {
    if (!used.has(i)) issues.push({ path: ['openapi', 'operations', i, 'match'], message: 'matches no operation of the document: its settings apply nowhere', severity: 'warning' });
  });
  return { routes, issues };
}

function matches(match: OpenApiSettings['operations'][number]['match'], operation: ApiOperation): boolean {
  if (match.operationId !== undefined && match.operationId !== operation.operationId) return false;
  if (match.tag !== undefined && !operation.tags.includes(match.tag)) return false;
  if (match.pathPrefix !== undefined && !pathHasPrefix(operation.path, match.pathPrefix)) return false;
  if (match.methods !== undefined && !match.methods.includes(operation.method.toUpperCase() as never)) return false;
  return true;
}

// `/api/v1/reports` is a prefix of `/api/v1/reports/{department}` but not of `/api/v1/reportsX`.
function pathHasPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.length === prefix.length || path[prefix.length] === '/';
}

/**
 * A short label of a route for messages: `operation createTask (POST /api/v1/tasks)` or the
 * route's name.
 *
 * @example
 * ```ts
 * routeLabel(spec) // 'operation createTask (POST /api/v1/tasks)'
 * ```
 */
export function routeLabel(spec: RouteSpec): string {
  if (spec.operation === undefined) return spec.name;
  return `operation ${spec.operation.operationId ?? '(no operationId)'} (${spec.methods.join(',')} ${spec.path})`;
}
