/**
 * api-key: authenticates machine clients by a key in one request header (OWASP API2:2023,
 * broken authentication).
 *
 * The gateway never holds a key, only its prefix and SHA-256 hash (see key-format.ts for why a
 * fast hash is the right one here). compile() builds a map from prefix to a precomputed record:
 * the stored digest as a Buffer, the expiry as a number, the allowed routes as a Set and the
 * frozen principal. A request then costs one header read, one shape check, one SHA-256 and one
 * map lookup, synchronously.
 *
 * What is checked, in order, and the reason logged (the client always gets the same 401
 * `authenticate.invalid_credentials` with `WWW-Authenticate: ApiKey header="…"`):
 *
 * 1. `key_in_query`: a query parameter named like a key (`api_key`, `apikey`, `key` …) or any
 *    value shaped like one. Refused even when the header holds a valid key, and the key is never
 *    used: a URL is written to access logs, proxies and browser history and sent on in Referer
 *    headers, so a key that has travelled in one must be treated as leaked, and a client that
 *    does it must find out at once.
 * 2. No header: no credential of this kind (the route's next method is tried).
 * 3. `malformed`: not `pk_<prefix>_<secret>`.
 * 4. `unknown_key`: no key has this prefix. The digest is still compared, against a random
 *    dummy, so the answer takes the same time as for a known prefix.
 * 5. `bad_secret`: the SHA-256 of the presented key differs from the stored one. The comparison
 *    is `crypto.timingSafeEqual` over the two 32-byte digests, never the strings: its time does
 *    not depend on how many characters match, and an attacker who could learn digest bytes
 *    learns nothing about the key.
 * 6. `key_revoked`, `key_expired`, `route_not_allowed`: only for a caller that proved it holds
 *    the key, so the log says exactly what a legitimate client got wrong.
 */
import crypto from 'node:crypto';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { CORE_ERRORS } from '../../core/errors.js';
import { definePolicy, type AuthFailure, type AuthOutcome, type CompiledPolicy, type CompileEnv, type Policy } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { createDenial } from '../../core/problem.js';
import { keyDigest, keyPrefix } from './key-format.js';
import { readKeysFile } from './keys-file.js';
import { ApiKeySchema, type ApiKeyConfig, type ApiKeyEntry } from './schema.js';

export { ApiKeySchema, ApiKeyEntrySchema, DEFAULT_QUERY_PARAM_NAMES, type ApiKeyConfig, type ApiKeyEntry } from './schema.js';
export { generateApiKey, hashApiKey, keyPrefix, type GeneratedKey } from './key-format.js';

/** Why a key was refused (logs and audit only; the client gets invalid_credentials). */
export type ApiKeyFailureReason = 'key_in_query' | 'malformed' | 'unknown_key' | 'bad_secret' | 'key_revoked' | 'key_expired' | 'route_not_allowed';

/** Options of {@link createApiKeyPolicy}. */
export interface ApiKeyPolicyOptions {
  /** The clock for expiry, in ms since the epoch (tests inject a fixed one). Default Date.now. */
  readonly now?: () => number;
}

/** One key, ready for requests. */
interface CompiledKey {
  readonly digest: Buffer;
  readonly revoked: boolean;
  /** ms since the epoch; Infinity when the key does not expire. */
  readonly expiresAt: number;
  /** Where the key may be used; undefined: wherever the policy applies. */
  readonly routes: RouteAllowList | undefined;
  /** The success outcome, built once. */
  readonly success: { readonly principal: Principal };
}

/** Compared against when no key has the presented prefix, so that case costs the same. */
const DUMMY_DIGEST = crypto.randomBytes(32);

/**
 * Builds the api-key policy with its own clock. The default export is `createApiKeyPolicy()`.
 *
 * @example
 * ```ts
 * const policy = createApiKeyPolicy({ now: () => Date.parse('2030-01-01T00:00:00Z') });
 * const compiled = policy.compile(config, env);
 * ```
 */
export function createApiKeyPolicy(options: ApiKeyPolicyOptions = {}): Policy<typeof ApiKeySchema> {
  const now = options.now ?? Date.now;
  return definePolicy({
    name: 'api-key',
    phase: 'authenticate',
    description: 'Authenticates clients by an API key in a header, stored only as a SHA-256 hash and compared in constant time; per-key roles, scopes, routes, expiry and revocation.',
    schema: ApiKeySchema,
    errors: {},
    compile: (config, env) => compileApiKey(config, env, now),
  });
}

/**
 * The api-key policy.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     api-key:
 *       keys:
 *         - id: reporting-cli
 *           prefix: 7fQk2LmZp0Xa
 *           hash: sha256:3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855e
 *           roles: [reporter]
 *           scopes: [tasks:read]
 *           expiresAt: 2027-01-01T00:00:00Z
 *       keysFile: keys.yaml
 * ```
 */
export default createApiKeyPolicy();

function compileApiKey(config: ApiKeyConfig, env: CompileEnv, now: () => number): CompiledPolicy {
  const header = config.header.toLowerCase();
  const challenge = `ApiKey header="${config.header}"`;
  const denial = createDenial('authenticate.invalid_credentials', CORE_ERRORS['authenticate.invalid_credentials'], { headers: [['www-authenticate', challenge]] });
  const fail = (reason: ApiKeyFailureReason): AuthFailure => Object.freeze({ reason, denial });
  const KEY_IN_QUERY = fail('key_in_query');
  const MALFORMED = fail('malformed');
  const UNKNOWN_KEY = fail('unknown_key');
  const BAD_SECRET = fail('bad_secret');
  const REVOKED = fail('key_revoked');
  const EXPIRED = fail('key_expired');
  const ROUTE_NOT_ALLOWED = fail('route_not_allowed');

  const keys = buildKeyTable(config, env, now());
  const keyInQuery = queryMatcher([...config.queryParamNames, header]);

  const authenticate = (ctx: RequestContext): AuthOutcome => {
    if (ctx.query.length !== 0 && keyInQuery.test(ctx.query)) return KEY_IN_QUERY;
    const value = ctx.req.headers[header];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return MALFORMED;
    const prefix = keyPrefix(value);
    if (prefix === undefined) return MALFORMED;
    const digest = keyDigest(value);
    const key = keys.get(prefix);
    // timingSafeEqual is called through the module object (not a named import) so tests can
    // observe every comparison.
    if (key === undefined) {
      crypto.timingSafeEqual(digest, DUMMY_DIGEST);
      return UNKNOWN_KEY;
    }
    if (!crypto.timingSafeEqual(digest, key.digest)) return BAD_SECRET;
    if (key.revoked) return REVOKED;
    if (key.expiresAt !== Infinity && now() >= key.expiresAt) return EXPIRED;
    if (key.routes !== undefined && !routeAllowed(key.routes, ctx)) return ROUTE_NOT_ALLOWED;
    return key.success;
  };

  // The key is the gateway's business: it is redacted in logs and never forwarded upstream.
  return { authenticate, challenge, credentialHeaders: [config.header.toLowerCase()] };
}

/** Compiles inline and file keys into one prefix map; every mistake is reported together. */
function buildKeyTable(config: ApiKeyConfig, env: CompileEnv, loadTime: number): ReadonlyMap<string, CompiledKey> {
  const issues: ConfigIssue[] = [];
  const table = new Map<string, CompiledKey>();
  const seen = new Map<string, string>();
  const add = (entry: ApiKeyEntry, path: ConfigPath, where: string | undefined) => {
    const at = (field: string, message: string) => where === undefined
      ? issues.push({ path: [...path, field], message, severity: 'error' })
      : issues.push({ path, message: `${where}: ${field}: ${message}`, severity: 'error' });
    const previous = seen.get(entry.prefix);
    if (previous !== undefined) {
      at('prefix', `prefix '${entry.prefix}' is already used by ${previous}; every key needs its own prefix`);
      return;
    }
    seen.set(entry.prefix, where ?? `keys[${String(path[1])}]`);
    const expiresAt = entry.expiresAt === undefined ? Infinity : Date.parse(entry.expiresAt);
    if (Number.isNaN(expiresAt)) {
      at('expiresAt', `'${entry.expiresAt}' is not a date-time the gateway can read`);
      return;
    }
    const digest = parseHash(entry.hash);
    if (digest === undefined) {
      at('hash', 'must be sha256: and 64 lower-case hex digits (portcullis keys hash prints it)');
      return;
    }
    if (expiresAt <= loadTime) {
      const message = `key '${entry.prefix}' of '${entry.id}' expired at ${entry.expiresAt}; it is refused`;
      if (where === undefined) env.warn([...path, 'expiresAt'], message);
      else env.warn(path, `${where}: ${message}`);
    }
    table.set(entry.prefix, Object.freeze({
      digest,
      revoked: entry.revoked,
      expiresAt,
      routes: entry.routes === undefined ? undefined : routeAllowList(entry.routes),
      success: Object.freeze({ principal: principalOf(entry) }),
    }));
  };

  config.keys.forEach((entry, i) => add(entry, ['keys', i], undefined));
  if (config.keysFile !== undefined) {
    const file = readKeysFile(config.keysFile, env.baseDir);
    if (!file.ok) {
      for (const message of file.errors) issues.push({ path: ['keysFile'], message, severity: 'error' });
    } else {
      for (const warning of file.warnings) env.warn(['keysFile'], warning);
      for (const { entry, where } of file.entries) add(entry, ['keysFile'], where);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  if (table.size === 0) env.warn(config.keysFile === undefined ? ['keys'] : ['keysFile'], 'no keys are configured: every API key is refused');
  return table;
}

/**
 * A key's `routes`, split for lookups without allocation: templates open to every method, and
 * templates open to some methods. Matched against the route template (`ctx.route`), never the
 * concrete path. Route names are not used: one compiled instance of a policy in `defaults`
 * serves every route, so compile time cannot know which route a request is on.
 */
interface RouteAllowList {
  readonly anyMethod: ReadonlySet<string>;
  readonly byMethod: ReadonlyMap<string, ReadonlySet<string>>;
}

function routeAllowList(routes: readonly string[]): RouteAllowList {
  const anyMethod = new Set<string>();
  const byMethod = new Map<string, Set<string>>();
  for (const route of routes) {
    const space = route.indexOf(' ');
    if (space === -1) {
      anyMethod.add(route);
      continue;
    }
    const template = route.slice(space + 1);
    let methods = byMethod.get(template);
    if (methods === undefined) byMethod.set(template, (methods = new Set()));
    for (const method of route.slice(0, space).split(',')) methods.add(method);
  }
  return { anyMethod, byMethod };
}

function routeAllowed(routes: RouteAllowList, ctx: RequestContext): boolean {
  return routes.anyMethod.has(ctx.route) || routes.byMethod.get(ctx.route)?.has(ctx.method) === true;
}

function parseHash(hash: string): Buffer | undefined {
  const match = /^sha256:([0-9a-f]{64})$/.exec(hash);
  return match ? Buffer.from(match[1]!, 'hex') : undefined;
}

function principalOf(entry: ApiKeyEntry): Principal {
  return Object.freeze({
    id: entry.id,
    kind: 'service',
    roles: Object.freeze([...entry.roles]),
    scopes: Object.freeze([...entry.scopes]),
    attributes: deepFreeze(structuredClone(entry.attributes)),
    method: 'api-key',
    // The prefix identifies the key (not secret): audit shows which key of a client was used.
    credentialId: entry.prefix,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * One regular expression, tested only on non-empty query strings: a parameter with one of
 * `names` (as sent, case-insensitive), or any parameter value that starts like a key
 * (`pk_<prefix>_`, also with `_` percent-encoded).
 */
function queryMatcher(names: readonly string[]): RegExp {
  const unique = [...new Set(names.map((n) => n.toLowerCase()))];
  const byValue = '(?:^|[&=])pk(?:_|%5f)[a-z0-9]{8,12}(?:_|%5f)';
  if (unique.length === 0) return new RegExp(byValue, 'i');
  const byName = `(?:^|&)(?:${unique.map(escapeRegExp).join('|')})(?:[=&]|$)`;
  return new RegExp(`${byName}|${byValue}`, 'i');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
