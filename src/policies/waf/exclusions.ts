/**
 * Exclusions compiled into lookups: per location a map from field name to a bit mask of the rule
 * classes not applied there, and for bodies a tree of JSON pointer segments (`*` matches any one
 * key or index). A request only looks names up; nothing is built per request.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import { RULE_CLASSES, type RuleClass } from './detector.js';
import type { WafExclusion } from './schema.js';

/** The bit of each rule class in an exclusion mask. */
export const CLASS_BIT: Readonly<Record<RuleClass, number>> = Object.freeze(Object.fromEntries(RULE_CLASSES.map((c, i) => [c, 1 << i])) as Record<RuleClass, number>);

/** A mask with every class set: the field is not inspected at all. */
export const ALL_CLASSES = (1 << RULE_CLASSES.length) - 1;

/** One node of the body exclusion tree. */
export interface ExclusionNode {
  /** Classes excluded at this pointer and everything below it. */
  readonly mask: number;
  /** Exact child segments. */
  readonly children: ReadonlyMap<string, ExclusionNode>;
  /** The `*` child: any one key or index. */
  readonly any: ExclusionNode | undefined;
}

/** Exclusions of one policy instance, compiled. */
export interface CompiledExclusions {
  /** Classes excluded on every path segment. */
  readonly path: number;
  /** Query parameters by decoded name; `*` entries are in queryAll. */
  readonly query: ReadonlyMap<string, number>;
  /** Classes excluded on every query parameter. */
  readonly queryAll: number;
  /** Cookies by name. */
  readonly cookie: ReadonlyMap<string, number>;
  /** Classes excluded on every cookie. */
  readonly cookieAll: number;
  /** Headers by lower-case name (`*` folded in). */
  readonly header: ReadonlyMap<string, number>;
  /** Classes excluded on every header. */
  readonly headerAll: number;
  /** The body tree (its root's mask: the whole body), or undefined without body exclusions. */
  readonly body: ExclusionNode | undefined;
}

interface MutableNode {
  mask: number;
  children: Map<string, MutableNode>;
  any: MutableNode | undefined;
}

/**
 * Compiles the exclusions. Throws ConfigError (paths relative to the policy's config) for a body
 * field that is not a JSON pointer and a path field other than `*`.
 *
 * @example
 * ```ts
 * const ex = compileExclusions([{ location: 'body', field: '/description', classes: ['xss'] }]);
 * ex.body?.children.get('description')?.mask === CLASS_BIT.xss // true
 * ```
 */
export function compileExclusions(exclusions: readonly WafExclusion[]): CompiledExclusions {
  const issues: ConfigIssue[] = [];
  let path = 0;
  let queryAll = 0;
  let cookieAll = 0;
  let headerAll = 0;
  const query = new Map<string, number>();
  const cookie = new Map<string, number>();
  const header = new Map<string, number>();
  let body: MutableNode | undefined;
  exclusions.forEach((ex, i) => {
    const mask = ex.classes === undefined ? ALL_CLASSES : ex.classes.reduce((m, c) => m | CLASS_BIT[c], 0);
    const all = ex.field === '*';
    switch (ex.location) {
      case 'path':
        if (!all) issues.push({ path: ['exclusions', i, 'field'], message: 'a path exclusion takes field \'*\' (every segment)', severity: 'error' });
        path |= mask;
        break;
      case 'query':
        if (all) queryAll |= mask;
        else query.set(ex.field, (query.get(ex.field) ?? 0) | mask);
        break;
      case 'cookie':
        if (all) cookieAll |= mask;
        else cookie.set(ex.field, (cookie.get(ex.field) ?? 0) | mask);
        break;
      case 'header': {
        if (all) headerAll |= mask;
        const name = ex.field.toLowerCase();
        if (!all) header.set(name, (header.get(name) ?? 0) | mask);
        break;
      }
      case 'body': {
        body ??= { mask: 0, children: new Map(), any: undefined };
        if (all) {
          body.mask |= mask;
          break;
        }
        const segments = parsePointer(ex.field);
        if (segments === undefined) {
          issues.push({ path: ['exclusions', i, 'field'], message: 'a body field is a JSON pointer (/description, /items/*/note) or \'*\'', severity: 'error' });
          break;
        }
        let node = body;
        for (const s of segments) {
          if (s === '*') node = node.any ??= { mask: 0, children: new Map(), any: undefined };
          else {
            let next = node.children.get(s);
            if (next === undefined) node.children.set(s, next = { mask: 0, children: new Map(), any: undefined });
            node = next;
          }
        }
        node.mask |= mask;
        break;
      }
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { path, query, queryAll, cookie, cookieAll, header, headerAll, body };
}

/** Segments of a JSON pointer (`~1` is `/`, `~0` is `~`); undefined when it does not start with `/`. */
function parsePointer(pointer: string): string[] | undefined {
  if (!pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * The nodes one level below `nodes` for `key`, appended to `out`; returns the classes they
 * exclude (OR of their masks).
 *
 * @example
 * ```ts
 * const next: ExclusionNode[] = [];
 * const mask = descend([root], 'description', next);
 * ```
 */
export function descend(nodes: readonly ExclusionNode[], key: string, out: ExclusionNode[]): number {
  let mask = 0;
  for (const node of nodes) {
    const exact = node.children.get(key);
    if (exact !== undefined) {
      out.push(exact);
      mask |= exact.mask;
    }
    if (node.any !== undefined) {
      out.push(node.any);
      mask |= node.any.mask;
    }
  }
  return mask;
}
