/**
 * Object lookups: the URL template, parsed once, and a client that fetches an object through the
 * gateway's outbound client and keeps what it found in a bounded cache with a short expiry.
 *
 * - The template's placeholders are path parameters, URL-encoded when substituted, and may only
 *   sit in the path or query: the origin is fixed at load, so a request cannot steer a lookup to
 *   another host. A value of `.` or `..` is refused (it would name another path once resolved).
 * - A cached object is answered synchronously (no Promise, no microtask). Concurrent misses for
 *   one URL share one outbound request.
 * - Only objects found are cached. A 404 is asked again next time (an object just created is
 *   visible at once); an error is never cached (the next request tries again).
 */
import { OutboundError, type OutboundClient } from '../../core/outbound.js';
import { ResultCache } from '../../core/ttl-cache.js';

/** What one lookup concluded. */
export type LookupResult =
  | { readonly kind: 'found'; readonly object: FoundObject }
  | { readonly kind: 'missing'; readonly status: number }
  | { readonly kind: 'error'; readonly reason: string };

/** What is kept of a fetched object: its owner and the attributes the config asks for. */
export interface FoundObject {
  /** The owner field's value (undefined when absent or when no owner is checked). */
  readonly owner: unknown;
  /** Attributes for `ctx.resource`, frozen (undefined when none are configured). */
  readonly attributes: Readonly<Record<string, unknown>> | undefined;
}

/** A compiled URL template. */
export interface UrlTemplate {
  /** The placeholder names, in order. */
  readonly names: readonly string[];
  /** The URL for these parameters, or the name of the first one that is missing or unusable. */
  build(params: Readonly<Record<string, string | undefined>>): { readonly url: string } | { readonly bad: string };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a lookup URL template. Throws TypeError (with the reason) when it is malformed.
 *
 * @example
 * ```ts
 * const t = compileUrlTemplate('https://api.internal/tasks/{taskId}');
 * t.build({ taskId: 'a b' }) // { url: 'https://api.internal/tasks/a%20b' }
 * ```
 */
export function compileUrlTemplate(template: string): UrlTemplate {
  const literals: string[] = [];
  const names: string[] = [];
  let at = 0;
  for (;;) {
    const open = template.indexOf('{', at);
    const close = template.indexOf('}', at);
    if (open === -1) {
      if (close !== -1) throw new TypeError(`unbalanced '}' at character ${close + 1}`);
      literals.push(template.slice(at));
      break;
    }
    if (close !== -1 && close < open) throw new TypeError(`unbalanced '}' at character ${close + 1}`);
    const end = template.indexOf('}', open);
    if (end === -1) throw new TypeError(`unclosed '{' at character ${open + 1}`);
    const name = template.slice(open + 1, end);
    if (!NAME.test(name)) throw new TypeError(`'{${name}}' is not a placeholder: use {paramName} with letters, digits and _`);
    literals.push(template.slice(at, open));
    names.push(name);
    at = end + 1;
  }
  const probe = literals.reduce((out, lit, i) => out + lit + (i < names.length ? 'x' : ''), '');
  let parsed: URL;
  try {
    parsed = new URL(probe);
  } catch {
    throw new TypeError('is not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('must be an http or https URL');
  if (parsed.username !== '' || parsed.password !== '') throw new TypeError('must not carry credentials');
  const originEnd = template.indexOf('/', template.indexOf('//') + 2);
  if (names.length > 0 && (originEnd === -1 || template.indexOf('{') < originEnd)) throw new TypeError('placeholders may only be in the path or query, never in the host');

  const frozenLiterals = Object.freeze(literals);
  const frozenNames = Object.freeze(names);
  return Object.freeze({
    names: frozenNames,
    build(params: Readonly<Record<string, string | undefined>>) {
      let url = frozenLiterals[0]!;
      for (let i = 0; i < frozenNames.length; i++) {
        const name = frozenNames[i]!;
        const value = params[name];
        if (value === undefined || value === '' || value === '.' || value === '..') return { bad: name };
        url += encodeURIComponent(value) + frozenLiterals[i + 1]!;
      }
      return { url };
    },
  });
}

/** Options of {@link LookupClient}. */
export interface LookupClientOptions {
  /** The gateway's outbound client. */
  readonly outbound: OutboundClient;
  /** How long a found object is reused, ms (0: no cache). */
  readonly ttlMs: number;
  /** Most cached objects. */
  readonly maxEntries: number;
  /** Deadline of one lookup, ms. */
  readonly timeoutMs: number;
  /** Largest response accepted, bytes. */
  readonly maxBytes: number;
  /** Turns the parsed JSON object into what is kept. */
  readonly extract: (object: Readonly<Record<string, unknown>>) => FoundObject;
  /** Clock, ms since the epoch. */
  readonly now: () => number;
}

/**
 * Fetches objects, with the cache in front.
 *
 * @example
 * ```ts
 * const client = new LookupClient({ outbound, ttlMs: 5000, maxEntries: 1000, timeoutMs: 2000, maxBytes: 65536, extract, now: Date.now });
 * const r = client.get('https://api.internal/tasks/7'); // a LookupResult, or a Promise of one on a miss
 * ```
 */
export class LookupClient {
  readonly #options: LookupClientOptions;
  readonly #cache: ResultCache<LookupResult>;
  readonly #inFlight = new Map<string, Promise<LookupResult>>();

  constructor(options: LookupClientOptions) {
    this.#options = options;
    this.#cache = new ResultCache(options.maxEntries);
  }

  /** The result for `url`: synchronous from the cache, else a Promise (never rejects). */
  get(url: string): LookupResult | Promise<LookupResult> {
    const cached = this.#cache.get(url, this.#options.now());
    if (cached !== undefined) return cached;
    const pending = this.#inFlight.get(url);
    if (pending !== undefined) return pending;
    const fetching = this.#fetch(url).then((result) => {
      this.#inFlight.delete(url);
      if (result.kind === 'found' && this.#options.ttlMs > 0) this.#cache.set(url, result, this.#options.now() + this.#options.ttlMs);
      return result;
    });
    this.#inFlight.set(url, fetching);
    return fetching;
  }

  /** Cached objects (expired ones included until looked up or evicted). */
  get size(): number {
    return this.#cache.size;
  }

  /** Drops the cache (config replaced). */
  clear(): void {
    this.#cache.clear();
  }

  async #fetch(url: string): Promise<LookupResult> {
    const { outbound, timeoutMs, maxBytes, extract } = this.#options;
    let status: number;
    let body: Buffer;
    try {
      const res = await outbound.request({ url, method: 'GET', headers: { accept: 'application/json' }, timeoutMs, maxBytes });
      status = res.status;
      body = res.body;
    } catch (error) {
      return { kind: 'error', reason: `lookup_failed: ${error instanceof OutboundError ? error.code : 'outbound.failed'}` };
    }
    if (status === 404 || status === 410) return { kind: 'missing', status };
    if (status !== 200) return { kind: 'error', reason: `lookup_status: ${status}` };
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return { kind: 'error', reason: 'lookup_invalid_json' };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'error', reason: 'lookup_not_an_object' };
    try {
      return { kind: 'found', object: extract(value as Record<string, unknown>) };
    } catch {
      return { kind: 'error', reason: 'lookup_unreadable' };
    }
  }
}
