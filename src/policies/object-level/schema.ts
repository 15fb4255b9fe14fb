/**
 * Config of the object-level policy: how the gateway learns who owns the object a request names
 * (a binding of a request value to the caller, a lookup of the object before forwarding, a check
 * of the upstream's response), how a refusal is answered, and who bypasses the check.
 */
import { Type, type Static } from '@sinclair/typebox';
import { bytes, durationMs, strictObject, stringEnum } from '../../core/schema-types.js';

/** The HTTP methods a block may be limited to (the route's own methods are a subset). */
export const OBJECT_LEVEL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Methods a response check applies to when `response.methods` is absent. */
export const DEFAULT_RESPONSE_METHODS = ['GET', 'HEAD'] as const;

/** A dotted path into a JSON object (`ownerId`, `meta.owner.id`): no `[` `]`, no empty segments. */
const DOTTED = '^[^.\\[\\]\\s]+(?:\\.[^.\\[\\]\\s]+)*$';

/** A reference to the caller: `user.id` or one of its attributes, `user.attributes.<name>`. */
const PRINCIPAL_REF = '^user\\.(?:id|attributes\\.[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*)$';

function methods(description: string) {
  return Type.Optional(Type.Array(stringEnum(OBJECT_LEVEL_METHODS, { description: 'An HTTP method.' }), { description, minItems: 1, uniqueItems: true }));
}

function dotted(description: string) {
  return Type.String({ description, pattern: DOTTED, minLength: 1, maxLength: 256 });
}

function principalRef(description: string) {
  return Type.String({ description, pattern: PRINCIPAL_REF, maxLength: 256, default: 'user.id' });
}

/**
 * A value of the request that must equal an attribute of the caller.
 *
 * @example
 * ```yaml
 * binding: { source: path, name: userId, equals: user.id }
 * ```
 */
export const BindingSchema = strictObject({
  source: stringEnum(['path', 'query', 'body'] as const, {
    description: 'Where the value is: a path parameter of the route, a query parameter (given exactly once; a repeated one is refused, as upstreams disagree on which copy counts), or a property of the JSON request body.',
    default: 'path',
  }),
  name: dotted('The path or query parameter\'s name, or a dotted path into the JSON body (`transfer.fromAccount`).'),
  equals: principalRef('The caller\'s attribute the value must equal: `user.id` or `user.attributes.<name>`. Strings and numbers are compared as text; a missing or empty value never matches.'),
  methods: methods('Methods the binding applies to. Absent: every method of the route.'),
}, { description: 'A value of the request (path, query or body) that must equal an attribute of the caller: `/users/{userId}` with userId == user.id.' });

/**
 * Fetch the object before forwarding and compare its owner with the caller.
 *
 * @example
 * ```yaml
 * lookup: { url: "http://127.0.0.1:3000/api/v1/tasks/{taskId}", ownerField: ownerId, cacheTtlSec: 5 }
 * ```
 */
export const LookupSchema = strictObject({
  url: Type.String({
    description: 'The object\'s URL, with `{param}` placeholders for path parameters of the route (URL-encoded when substituted; only in the path or query, never in the origin). Fetched with GET through the gateway\'s outbound client: https to a public address, or an origin listed in outbound.allow.',
    pattern: '^https?://[^\\s/?#{}]+/[^\\s#]*$',
    maxLength: 2048,
  }),
  ownerField: Type.Optional(dotted('Dotted path of the owner in the fetched object (`ownerId`). Absent: the lookup only fetches `attributes` for conditions (abac) and checks no owner.')),
  owner: principalRef('The caller\'s attribute the owner must equal: `user.id` or `user.attributes.<name>`.'),
  attributes: Type.Array(dotted('A dotted path in the fetched object; its value is stored under the path\'s last segment.'), {
    description: 'Fields of the fetched object copied into the request\'s `resource` (what abac conditions read as `resource.<name>`).',
    default: [],
    maxItems: 50,
    uniqueItems: true,
  }),
  cacheTtlSec: Type.Integer({ description: 'How long a fetched object is reused, in seconds (keyed by URL). Short: a change of owner is seen after at most this long. 0 disables the cache. Only objects found are cached; failures and 404s are asked again.', minimum: 0, maximum: 300, default: 5 }),
  cacheMaxEntries: Type.Integer({ description: 'Most objects held in the cache; the oldest goes first when it is full.', minimum: 1, maximum: 100_000, default: 1000 }),
  timeoutMs: durationMs({ description: 'Deadline of one lookup (connect and response). A lookup that does not answer in time denies (503).', default: 2000, maximum: 30_000 }),
  maxResponseBytes: bytes({ description: 'Largest lookup response accepted; a larger one denies (503).', default: 65_536, minimum: 256, maximum: 10_485_760 }),
  methods: methods('Methods the lookup applies to. Absent: every method of the route. A lookup answered 404 refuses the request, so leave out methods that create the object (PUT as upsert).'),
}, { description: 'Before forwarding, fetch the object the request names and compare its owner with the caller; optionally copy attributes into `resource` for conditions. A 404 from the lookup is the not-found refusal; an error or timeout denies with 503 (fail closed).' });

/**
 * Inspect the upstream's response and refuse, or filter list items, that the caller may not see.
 *
 * @example
 * ```yaml
 * response: { ownerField: ownerId, listPath: tasks, onList: filter }
 * ```
 */
export const ResponseCheckSchema = strictObject({
  ownerField: dotted('Dotted path of the owner in the object, or in each list item (`ownerId`).'),
  owner: principalRef('The caller\'s attribute the owner must equal: `user.id` or `user.attributes.<name>`.'),
  listPath: Type.Optional(dotted('Dotted path of the array of items in the response (`tasks`, `data.items`). Absent: a response that is a JSON array is a list, any other JSON value is one object.')),
  onList: stringEnum(['filter', 'deny'] as const, {
    description: 'What a list with items of others gets: filter (those items are removed) or deny (the whole response is refused).',
    default: 'filter',
  }),
  methods: methods('Methods the check applies to. Absent: GET and HEAD. A HEAD response has no body to check, so it is refused (502) unless HEAD is left out here and covered by a lookup.'),
}, { description: 'For reads: inspect the upstream\'s JSON response; an object of another owner is replaced by the refusal (its content never reaches the client), a list is filtered. A response that is not JSON is refused (502, fail closed). An upstream 404 or 410 gets the same refusal as an object of another owner.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(ObjectLevelSchema);
 * const config = { binding: { name: 'userId' } };
 * validate(config); // true; config.denyAs is now 'not_found'
 * ```
 */
export const ObjectLevelSchema = strictObject({
  binding: Type.Optional(BindingSchema),
  lookup: Type.Optional(LookupSchema),
  response: Type.Optional(ResponseCheckSchema),
  denyAs: stringEnum(['not_found', 'forbidden'] as const, {
    description: 'How a refusal is answered: not_found (404 object-level.not_found, the default: a caller cannot tell another\'s object from one that does not exist) or forbidden (403 object-level.forbidden).',
    default: 'not_found',
  }),
  bypassRoles: Type.Array(Type.String({ description: 'A role name.', pattern: '^[!-~]+$', maxLength: 128 }), {
    description: 'Principals with any of these roles skip the ownership checks (admin override); a lookup with `attributes` still runs for them, to fill `resource`. Every bypass is audited.',
    default: [],
    maxItems: 50,
    uniqueItems: true,
  }),
  bypassPermissions: Type.Array(Type.String({ description: 'A permission name.', pattern: '^[!-~]+$', maxLength: 128 }), {
    description: 'Principals whose roles grant any of these permissions in rbac\'s role table skip the ownership checks (admin override by permission). Without rbac on the route nothing is granted. Every bypass is audited.',
    default: [],
    maxItems: 50,
    uniqueItems: true,
  }),
}, { description: 'Object-level authorization (OWASP API1:2023, BOLA): the caller must own the object a request names, learned from a request binding, a lookup before forwarding, or the upstream\'s response; refusals are 404 by default, fail closed.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: ObjectLevelConfig = { binding: { source: 'path', name: 'userId', equals: 'user.id' }, denyAs: 'not_found', bypassRoles: [], bypassPermissions: [] };
 * ```
 */
export type ObjectLevelConfig = Static<typeof ObjectLevelSchema>;

/** {@link ObjectLevelConfig.binding}. */
export type BindingConfig = Static<typeof BindingSchema>;

/** {@link ObjectLevelConfig.lookup}. */
export type LookupConfig = Static<typeof LookupSchema>;

/** {@link ObjectLevelConfig.response}. */
export type ResponseCheckConfig = Static<typeof ResponseCheckSchema>;
