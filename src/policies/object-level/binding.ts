/**
 * The binding rule: a value the request carries (path parameter, query parameter, JSON body
 * property) must equal an attribute of the caller. Compiled into one reader of that value.
 */
import type { RequestContext } from '../../core/context.js';
import { dottedPath, valueAt } from './owner.js';
import type { BindingConfig } from './schema.js';

/** The query parameter was given more than once: upstreams disagree on which copy counts. */
export const AMBIGUOUS = Symbol('ambiguous');

/** Reads the bound value of a request: the value, undefined when absent, or AMBIGUOUS. */
export type BindingReader = (ctx: RequestContext) => unknown;

/**
 * Compiles the reader of a binding's value.
 *
 * @example
 * ```ts
 * const read = bindingReader({ source: 'path', name: 'userId', equals: 'user.id' });
 * read(ctx) // ctx.params.userId
 * ```
 */
export function bindingReader(config: Pick<BindingConfig, 'source' | 'name'>): BindingReader {
  const name = config.name;
  switch (config.source) {
    case 'path':
      return (ctx) => ctx.params[name];
    case 'query':
      return (ctx) => {
        if (ctx.query === '') return undefined;
        const all = new URLSearchParams(ctx.query).getAll(name);
        if (all.length > 1) return AMBIGUOUS;
        return all[0];
      };
    case 'body': {
      const path = dottedPath(name);
      return (ctx) => valueAt(ctx.body, path);
    }
  }
}
