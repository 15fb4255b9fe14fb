/**
 * Matching a Content-Type against the media ranges an operation documents (`application/json`,
 * `application/*+json`, `text/*`, `*\/*`), the most specific range winning. Parameters (charset)
 * are ignored on both sides. Built once per operation; a match is a map lookup and a few string
 * comparisons.
 */

/**
 * A media type's essence: `type/subtype`, lower case, parameters dropped. '' when absent.
 *
 * @example
 * ```ts
 * essence('Application/JSON; charset=utf-8') // 'application/json'
 * ```
 */
export function essence(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);

/**
 * Finds the value of the most specific documented range a Content-Type falls in: exact type, then
 * `type/*+suffix`, then `type/*`, then `*\/*`.
 *
 * @example
 * ```ts
 * const match = mediaMatcher([['application/json', 'json'], ['*\/*', 'any']]);
 * match('application/json; charset=utf-8') // 'json'
 * match('text/plain') // 'any'
 * ```
 */
export function mediaMatcher<T>(entries: ReadonlyArray<readonly [string, T]>): (contentType: string | undefined) => T | undefined {
  const exact = new Map<string, T>();
  const suffixed: Array<readonly [string, string, T]> = [];
  const typeWide = new Map<string, T>();
  let any: T | undefined;
  for (const [range, value] of entries) {
    const e = essence(range);
    const slash = e.indexOf('/');
    const type = e.slice(0, slash);
    const sub = e.slice(slash + 1);
    if (e === '*/*') any ??= value;
    else if (sub === '*') { if (!typeWide.has(type)) typeWide.set(type, value); }
    else if (sub.startsWith('*+')) suffixed.push([`${type}/`, sub.slice(1), value]);
    else if (!exact.has(e)) exact.set(e, value);
  }
  return (contentType) => {
    const e = essence(contentType);
    if (!MEDIA_TYPE.test(e)) return undefined;
    const hit = exact.get(e);
    if (hit !== undefined) return hit;
    for (const [prefix, suffix, value] of suffixed) if (e.startsWith(prefix) && e.endsWith(suffix)) return value;
    const wide = typeWide.get(e.slice(0, e.indexOf('/')));
    return wide !== undefined ? wide : any;
  };
}

/**
 * Whether a documented range means JSON bodies (`application/json`, `application/*+json`,
 * `application/vnd.api+json`).
 *
 * @example
 * ```ts
 * isJsonRange('application/*+json') // true
 * ```
 */
export function isJsonRange(range: string): boolean {
  const e = essence(range);
  return e === 'application/json' || (e.startsWith('application/') && e.endsWith('+json'));
}
