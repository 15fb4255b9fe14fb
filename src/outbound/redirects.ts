/**
 * Following a redirect (RFC 9110 §15.4), for the outbound client when `outbound.redirects` > 0:
 * the Location is resolved against the current URL, 303 (and 301/302 after a POST, as browsers
 * do) turns the next request into a bodiless GET, 307/308 keep method and body, and credentials
 * headers are dropped once a hop leaves the origin. The caller checks the next URL exactly like
 * the first one.
 */

/** Statuses whose Location is followed. */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

/** Headers that carry credentials: never sent to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Headers that describe a body: dropped with it. */
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']);

/** One request of a redirect chain. */
export interface Hop {
  /** Absolute URL. */
  readonly url: string;
  /** Method. */
  readonly method: 'GET' | 'POST';
  /** Headers (names as the caller gave them). */
  readonly headers: Readonly<Record<string, string>>;
  /** Body, if any. */
  readonly body: string | undefined;
}

/**
 * The request that follows `current` after a response with `status` and `location`, or undefined
 * when the response is not a followable redirect (the caller returns it as it is). Throws
 * TypeError when the Location is not a URL.
 *
 * @example
 * ```ts
 * nextHop({ url: 'https://a.example/x', method: 'POST', headers: {}, body: '{}' }, 303, '/done')
 * // { url: 'https://a.example/done', method: 'GET', headers: {}, body: undefined }
 * ```
 */
export function nextHop(current: Hop, status: number, location: string | string[] | undefined): Hop | undefined {
  if (!FOLLOWED.has(status) || typeof location !== 'string') return undefined;
  const from = new URL(current.url);
  const to = new URL(location, from);
  const toGet = status === 303 || ((status === 301 || status === 302) && current.method === 'POST');
  const crossOrigin = to.origin !== from.origin;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(current.headers)) {
    const lower = name.toLowerCase();
    if (crossOrigin && CREDENTIAL_HEADERS.has(lower)) continue;
    if (toGet && BODY_HEADERS.has(lower)) continue;
    headers[name] = value;
  }
  return { url: to.href, method: toGet ? 'GET' : current.method, headers, body: toGet ? undefined : current.body };
}
