/**
 * Origins: normalising the configured ones, compiling subdomain patterns into anchored suffix
 * checks, and one matcher over both. The Origin a browser sends is the serialisation of an origin
 * (lower-case host, punycode, no default port, no trailing slash), so a configured origin is
 * brought to that form once and a request's Origin is compared with it byte for byte.
 */

/** The opaque origin's serialisation. */
export const NULL_ORIGIN = 'null';

/** A configured origin, as written: scheme, `://`, an authority without userinfo, at most a `/`. */
const ORIGIN_SHAPE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\\\s]+\/?$/;

/**
 * The serialised origin of a configured entry, or why it is not one.
 *
 * @example
 * ```ts
 * normalizeOrigin('HTTPS://App.Example.com:443/') // { origin: 'https://app.example.com' }
 * normalizeOrigin('https://app.example.com/login') // { error: '…' }
 * ```
 */
export function normalizeOrigin(raw: string): { readonly origin: string } | { readonly error: string } {
  if (!ORIGIN_SHAPE.test(raw)) return { error: `'${raw}' is not an origin: write scheme://host[:port], without path, query or credentials` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: `'${raw}' is not an origin: the host or port is invalid` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { error: `'${raw}' is not an http or https origin` };
  return { origin: url.origin };
}

/** A compiled `scheme://*.domain[:port]` pattern. */
export interface OriginPattern {
  /** `https` or `http`. */
  readonly scheme: string;
  /** `.example.com`: what the host must end with, after at least one label. */
  readonly suffix: string;
  /** The port as the browser serialises it ('' for the scheme's default). */
  readonly port: string;
}

const PATTERN_SHAPE = /^(https?):\/\/\*\.((?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?::(\d{1,5}))?$/;
const DEFAULT_PORT: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * Compiles a subdomain pattern, or says why it is not one. The domain needs at least two labels:
 * `https://*.com` would let in every .com site.
 *
 * @example
 * ```ts
 * compilePattern('https://*.Example.com:443') // { pattern: { scheme: 'https', suffix: '.example.com', port: '' } }
 * ```
 */
export function compilePattern(raw: string): { readonly pattern: OriginPattern } | { readonly error: string } {
  const m = PATTERN_SHAPE.exec(raw.toLowerCase());
  if (m === null) return { error: `'${raw}' is not an origin pattern: write http(s)://*.domain[:port], with * as the whole first label and an ASCII (punycode) domain of at least two labels` };
  const [, scheme, domain, port] = m as unknown as [string, string, string, string | undefined];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return { error: `'${raw}': port ${port} is out of range` };
  const serialisedPort = port === undefined || String(Number(port)) === DEFAULT_PORT[scheme] ? '' : String(Number(port));
  return { pattern: { scheme, suffix: `.${domain}`, port: serialisedPort } };
}

/** A serialised tuple origin as browsers send it (lower case, port only when not the default). */
const REQUEST_ORIGIN = /^(https?):\/\/([a-z0-9_.-]+)(?::([1-9]\d{0,4}))?$/;

/** One or more whole DNS labels (what `*` may stand for). */
const LABELS = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Whether a request's Origin matches a pattern: same scheme, same port, and a host that is the
 * pattern's domain preceded by one or more whole labels.
 *
 * @example
 * ```ts
 * matchesPattern('https://a.example.com', pattern) // true
 * matchesPattern('https://a.example.com.evil.io', pattern) // false
 * ```
 */
export function matchesPattern(origin: string, pattern: OriginPattern): boolean {
  const m = REQUEST_ORIGIN.exec(origin);
  if (m === null || m[1] !== pattern.scheme || (m[3] ?? '') !== pattern.port) return false;
  const host = m[2]!;
  if (host.length <= pattern.suffix.length || !host.endsWith(pattern.suffix)) return false;
  return LABELS.test(host.slice(0, host.length - pattern.suffix.length));
}

/** Which Origin values a route lets in. */
export interface OriginMatcher {
  /** Every origin (`origins: ['*']`). */
  readonly any: boolean;
  /** Whether this Origin header value is allowed. */
  allows(origin: string): boolean;
}

/**
 * A matcher over normalised exact origins, compiled patterns and the null origin.
 *
 * @example
 * ```ts
 * const m = originMatcher(['https://app.example.com'], [], false, false);
 * m.allows('https://app.example.com') // true
 * ```
 */
export function originMatcher(exact: readonly string[], patterns: readonly OriginPattern[], allowNull: boolean, any: boolean): OriginMatcher {
  const set = new Set(exact);
  return {
    any,
    allows(origin) {
      if (origin === NULL_ORIGIN) return allowNull;
      if (any || set.has(origin)) return true;
      for (let i = 0; i < patterns.length; i++) if (matchesPattern(origin, patterns[i]!)) return true;
      return false;
    },
  };
}
