/**
 * Route path templates: `/api/v1/tasks/{taskId}`, with an optional trailing `/*`. Checked at load
 * and turned into the router's syntax.
 */

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/;
const LITERAL = /^[A-Za-z0-9._~!$&'+,;=@-]+$/; // no : ( ) *, which the router reads as syntax

/** A template that passed checking. */
export interface ParsedTemplate {
  /** The same path in find-my-way syntax (`/api/v1/tasks/:taskId`). */
  readonly routerPath: string;
  /** Parameter names in order. */
  readonly params: readonly string[];
}

/**
 * Parses a template or returns the reason it is invalid.
 *
 * @example
 * ```ts
 * parseTemplate('/api/v1/tasks/{taskId}') // { routerPath: '/api/v1/tasks/:taskId', params: ['taskId'] }
 * parseTemplate('/a/{}')                  // 'segment 2 ...'
 * ```
 */
export function parseTemplate(template: string): ParsedTemplate | string {
  if (!template.startsWith('/')) return 'must start with /';
  if (template === '/') return { routerPath: '/', params: [] };
  const segments = template.slice(1).split('/');
  const params: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '*') {
      if (i !== segments.length - 1) return 'a * wildcard may only be the last segment';
      out.push('*');
      continue;
    }
    if (seg === '' ) {
      if (i === segments.length - 1) return 'must not end with / (a trailing slash is a different path; list it without)';
      return 'must not contain empty segments (//)';
    }
    if (seg === '.' || seg === '..') return 'must not contain . or .. segments';
    const m = PARAM.exec(seg);
    if (m) {
      const name = m[1]!;
      if (params.includes(name)) return `parameter {${name}} appears twice`;
      params.push(name);
      out.push(`:${name}`);
      continue;
    }
    if (seg.includes('{') || seg.includes('}')) return `segment '${seg}': a parameter must be a whole segment like {name}`;
    if (!LITERAL.test(seg)) return `segment '${seg}' has characters that are not allowed in a path`;
    out.push(seg);
  }
  return { routerPath: `/${out.join('/')}`, params };
}
