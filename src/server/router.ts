/**
 * Method + path → compiled route, with find-my-way (a radix tree, as in Fastify). A path that
 * exists with other methods answers 405 with Allow; anything else is 404.
 */
import FindMyWay from 'find-my-way';
import type { CompiledRoute } from '../config/compile.js';
import { parseTemplate } from '../config/route-template.js';

/** A matched route. */
export interface RouteMatch {
  /** The route. */
  readonly route: CompiledRoute;
  /** Decoded path parameters (`*` holds a wildcard's rest). */
  readonly params: Readonly<Record<string, string | undefined>>;
}

/** The router's answer: a match, the methods the path does take, or nothing. */
export type RouteLookup = RouteMatch | { readonly allow: string } | undefined;

/** A compiled routing table. */
export interface Router {
  /**
   * Looks a request up; never throws (a malformed path is a miss). `preflightFor` is the
   * Access-Control-Request-Method of an OPTIONS request: a CORS preflight goes to the route that
   * serves that method, when that route answers preflights (cors), whatever its own methods.
   */
  find(method: string, path: string, preflightFor?: string): RouteLookup;
}

/**
 * Builds the router for compiled routes (their templates were checked at load).
 *
 * @example
 * ```ts
 * const router = createRouter(compiled.routes, compiled.routes.map((r) => r.methods));
 * router.find('GET', '/api/v1/tasks/42') // { route, params: { taskId: '42' } }
 * ```
 */
export function createRouter(routes: readonly CompiledRoute[], methods: ReadonlyArray<readonly string[]>): Router {
  const options = { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true, maxParamLength: 1000 } as const;
  const byMethod = FindMyWay(options);
  const byPath = FindMyWay(options);
  const allowed = new Map<string, string[]>();
  routes.forEach((route, i) => {
    const parsed = parseTemplate(route.template);
    if (typeof parsed === 'string') throw new Error(`route ${route.name}: ${parsed}`);
    for (const method of methods[i] ?? []) byMethod.on(method as 'GET', parsed.routerPath, noop, route);
    const list = allowed.get(parsed.routerPath) ?? [];
    list.push(...(methods[i] ?? []));
    allowed.set(parsed.routerPath, list);
  });
  for (const [path, list] of allowed) byPath.on('GET', path, noop, { allow: [...new Set(list)].sort().join(', ') });

  return {
    find(method: string, path: string, preflightFor?: string): RouteLookup {
      if (preflightFor !== undefined) {
        try {
          const target = byMethod.find(preflightFor as 'GET', path);
          if (target && (target.store as CompiledRoute).answersPreflight && !hasEmptyParam(target.params)) return { route: target.store as CompiledRoute, params: target.params };
        } catch {
          // An unknown method or malformed path: route the OPTIONS request as any other.
        }
      }
      try {
        const hit = byMethod.find(method as 'GET', path);
        if (hit && !hasEmptyParam(hit.params)) return { route: hit.store as CompiledRoute, params: hit.params };
        const other = byPath.find('GET', path);
        if (other && !hasEmptyParam(other.params)) return other.store as { allow: string };
      } catch {
        // find-my-way throws on some malformed encodings: for us that is simply no route.
      }
      return undefined;
    },
  };
}

// find-my-way matches `/tasks/` against `/tasks/:id` with id ''. An upstream that ignores
// trailing slashes would serve that as `/tasks`, a different route with other methods and
// policies: a named parameter must not be empty (a trailing wildcard may).
function hasEmptyParam(params: Readonly<Record<string, string | undefined>>): boolean {
  for (const name in params) {
    if (name !== '*' && params[name] === '') return true;
  }
  return false;
}

function noop(): void {}
