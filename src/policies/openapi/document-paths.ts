/**
 * OpenAPI path templates as the gateway can route them: the same rules as a route's `path` in the
 * config (src/config/route-template.ts, which this layer may not import), so every operation
 * loaded here becomes a valid route.
 */

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/;
const LITERAL = /^[A-Za-z0-9._~!$&'+,;=@-]+$/; // no : ( ) *, which the router reads as syntax
const MAX_PATH_LENGTH = 2048;

/** A template that passed checking. */
export interface PathTemplate {
  /** Parameter names in order. */
  readonly params: readonly string[];
  /** The template with every parameter written `{}`: two templates with one shape collide. */
  readonly shape: string;
}

/**
 * Checks an OpenAPI path key, or says why the gateway cannot route it.
 *
 * @example
 * ```ts
 * parsePathTemplate('/tasks/{taskId}')     // { params: ['taskId'], shape: '/tasks/{}' }
 * parsePathTemplate('/files/{name}.json')  // 'segment "{name}.json": …'
 * ```
 */
export function parsePathTemplate(path: string): PathTemplate | string {
  if (!path.startsWith('/')) return 'a path must start with /';
  if (path.length > MAX_PATH_LENGTH) return `a path must be at most ${MAX_PATH_LENGTH} characters`;
  if (path === '/') return { params: [], shape: '/' };
  const segments = path.slice(1).split('/');
  const params: string[] = [];
  const shape: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '') {
      return i === segments.length - 1
        ? 'a path must not end with / (the gateway routes a trailing slash as a different path)'
        : 'a path must not contain empty segments (//)';
    }
    if (seg === '.' || seg === '..') return 'a path must not contain . or .. segments';
    const m = PARAM.exec(seg);
    if (m !== null) {
      const name = m[1]!;
      if (params.includes(name)) return `path parameter {${name}} appears twice`;
      params.push(name);
      shape.push('{}');
      continue;
    }
    if (seg.includes('{') || seg.includes('}')) {
      return `segment ${JSON.stringify(seg.slice(0, 80))}: the gateway supports only whole-segment parameters named with letters, digits and _ (like /files/{name}), not a parameter inside a segment`;
    }
    if (!LITERAL.test(seg)) return `segment ${JSON.stringify(seg.slice(0, 80))} has characters the gateway's router cannot match literally (: ( ) * or non-ASCII)`;
    shape.push(seg);
  }
  return { params, shape: `/${shape.join('/')}` };
}
