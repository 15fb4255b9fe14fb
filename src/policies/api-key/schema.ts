/**
 * Config of the api-key policy: the header the key travels in, and the keys, stored only as
 * their prefix and SHA-256 hash (inline, in a separate keys file, or both). `portcullis keys
 * create --id NAME` prints a new key once and the entry to paste here.
 */
import { Type, type Static } from '@sinclair/typebox';
import { headerName, strictObject } from '../../core/schema-types.js';

/** Most keys inline in one policy config; a larger fleet belongs in a keysFile. */
export const MAX_INLINE_KEYS = 10_000;

/** Most keys in a keysFile. */
export const MAX_FILE_KEYS = 100_000;

/** Query parameter names refused by default (a key in a URL ends up in logs, caches and Referer headers). */
export const DEFAULT_QUERY_PARAM_NAMES = ['api_key', 'apikey', 'api-key', 'x-api-key', 'key'] as const;

const TOKEN = '^[!-~]+$';

/**
 * One key, as stored in config: never the key itself, only what identifies it (the prefix) and
 * what verifies it (the hash).
 *
 * @example
 * ```yaml
 * - id: reporting-cli
 *   prefix: 7fQk2LmZp0Xa
 *   hash: sha256:3b0c…e1
 *   roles: [reporter]
 *   scopes: [tasks:read]
 *   expiresAt: 2027-01-01T00:00:00Z
 * ```
 */
export const ApiKeyEntrySchema = strictObject({
  id: Type.String({
    description: 'The client this key belongs to; becomes the principal id. Several keys may share an id (rotation: add the new key, move the client over, then revoke or remove the old one).',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]*$',
    minLength: 1,
    maxLength: 128,
  }),
  prefix: Type.String({
    description: 'The public part of the key that identifies it (`pk_<prefix>_<secret>`): 8 to 12 letters and digits. Unique across the policy\'s keys. Not secret; safe in logs.',
    pattern: '^[A-Za-z0-9]{8,12}$',
  }),
  hash: Type.String({
    description: 'SHA-256 of the whole key (`pk_<prefix>_<secret>`, UTF-8), as `sha256:` and 64 lower-case hex digits. The key has 256 random bits, so a fast hash cannot be reversed by guessing; the key itself is never stored.',
    pattern: '^sha256:[0-9a-f]{64}$',
  }),
  roles: Type.Array(Type.String({ description: 'A role name.', pattern: TOKEN, maxLength: 128 }), { description: 'Roles of the principal, for RBAC.', default: [], maxItems: 100, uniqueItems: true }),
  scopes: Type.Array(Type.String({ description: 'A scope.', pattern: TOKEN, maxLength: 256 }), { description: 'OAuth-style scopes granted to the key.', default: [], maxItems: 200, uniqueItems: true }),
  routes: Type.Optional(Type.Array(Type.String({
    description: 'A path template exactly as in a route\'s `path` (`/tasks/{taskId}`), optionally preceded by methods (`GET,HEAD /tasks/{taskId}`); a route\'s default name has this form.',
    pattern: '^(?:[A-Z]+(?:,[A-Z]+)* )?/\\S*$',
    maxLength: 2048,
  }), {
    description: 'Routes this key may be used on, by path template, optionally limited to methods. Absent: every route where the policy applies. On any other route, or with another method, the key is refused (401).',
    minItems: 1,
    maxItems: 1000,
    uniqueItems: true,
  })),
  expiresAt: Type.Optional(Type.String({
    description: 'When the key stops working, as an RFC 3339 date-time with a time zone (`2027-01-01T00:00:00Z`). Absent: no expiry.',
    format: 'date-time',
    maxLength: 64,
  })),
  revoked: Type.Boolean({ description: 'true refuses the key at once (401) while keeping the entry as a record; a reload applies it.', default: false }),
  attributes: Type.Record(Type.String({ maxLength: 128 }), Type.Unknown(), { description: 'Further attributes of the principal (team, tenant …) for authorization conditions.', default: {}, maxProperties: 100 }),
}, { description: 'One API key, stored as its prefix and hash.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(ApiKeySchema);
 * const config = { keysFile: 'keys.yaml' };
 * validate(config); // true; config.header is now 'X-API-Key'
 * ```
 */
export const ApiKeySchema = strictObject({
  header: headerName({
    description: 'The request header that carries the key (case-insensitive); also named in the WWW-Authenticate challenge. Only this header is read.',
    default: 'X-API-Key',
  }),
  keys: Type.Array(ApiKeyEntrySchema, { description: 'Keys, stored as prefix and hash.', default: [], maxItems: MAX_INLINE_KEYS }),
  keysFile: Type.Optional(Type.String({
    description: 'A YAML or JSON file (relative to the config file) with more keys: a list of entries like those of `keys`, or `{ keys: [...] }`. Read whenever the config is loaded or reloaded.',
    minLength: 1,
    maxLength: 4096,
  })),
  queryParamNames: Type.Array(Type.String({ description: 'A query parameter name (compared case-insensitively).', pattern: '^[A-Za-z0-9._~-]+$', maxLength: 64 }), {
    description: 'Query parameters that mark a key sent in the URL. A request with one of them (or with any parameter value shaped like a key) is refused with 401 and the key is never used: a URL leaks into access logs, proxies and Referer headers. Remove `key` if the API uses a parameter of that name.',
    default: [...DEFAULT_QUERY_PARAM_NAMES],
    maxItems: 32,
    uniqueItems: true,
  }),
}, { description: 'API keys in a request header, stored as SHA-256 hashes and looked up by prefix, with per-key roles, scopes, routes, expiry and revocation (OWASP API2:2023, broken authentication).' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: ApiKeyConfig = { header: 'X-API-Key', keys: [], keysFile: 'keys.yaml', queryParamNames: ['api_key'] };
 * ```
 */
export type ApiKeyConfig = Static<typeof ApiKeySchema>;

/**
 * One key entry (defaults filled in).
 *
 * @example
 * ```ts
 * const entry: ApiKeyEntry = { id: 'ci', prefix: '7fQk2LmZp0Xa', hash: 'sha256:…', roles: [], scopes: [], revoked: false, attributes: {} };
 * ```
 */
export type ApiKeyEntry = Static<typeof ApiKeyEntrySchema>;
