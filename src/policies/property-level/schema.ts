/**
 * Config of the property-level policy: properties a client may not write (server-owned, the
 * mass-assignment defence), optionally per role, and properties removed or masked from responses,
 * optionally per role.
 */
import { Type, type Static } from '@sinclair/typebox';
import { strictObject, stringEnum } from '../../core/schema-types.js';

/** The HTTP methods a rule may be limited to. */
export const PROPERTY_LEVEL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Methods whose bodies are checked for server-owned properties by default. */
export const DEFAULT_WRITE_METHODS = ['POST', 'PUT', 'PATCH'] as const;

/** A property path: names separated by dots, `[]` after the name of an array. */
export const PROPERTY_PATH = '^[^.\\[\\]\\s]+(?:\\[\\])*(?:\\.[^.\\[\\]\\s]+(?:\\[\\])*)*$';

const ROLE = Type.String({ description: 'A role name.', pattern: '^[!-~]+$', maxLength: 128 });

function pathList(description: string) {
  return Type.Array(Type.String({ description: 'A property path: dotted for nested objects (`owner.passwordHash`), `[]` after an array\'s name (`items[].secret`; arrays are traversed either way).', pattern: PROPERTY_PATH, minLength: 1, maxLength: 512 }), {
    description,
    default: [],
    maxItems: 500,
    uniqueItems: true,
  });
}

function maskMap(description: string) {
  return Type.Record(Type.String({ pattern: PROPERTY_PATH, maxLength: 512 }), Type.String({ description: 'What the value is replaced by.', maxLength: 256 }), {
    description,
    default: {},
    maxProperties: 200,
    additionalProperties: false,
  });
}

function methodItems() {
  return stringEnum(PROPERTY_LEVEL_METHODS, { description: 'An HTTP method.' });
}

/**
 * Write rules: server-owned properties a request body may not set.
 *
 * @example
 * ```yaml
 * write: { serverOwned: [id, ownerId, createdAt], allowForRoles: { admin: [ownerId] } }
 * ```
 */
export const WriteRulesSchema = strictObject({
  serverOwned: pathList('Properties only the server sets (`id`, `ownerId`, `createdAt`, `meta.createdBy`): a JSON body (an object, or an array of objects) that contains one is refused with 400 property-level.read_only_property, whose `errors` give a JSON pointer per property (names only, never values).'),
  allowForRoles: Type.Record(ROLE, pathList('Server-owned properties this role may set anyway.'), {
    description: 'Per role, server-owned properties its principals may set (`admin: [ownerId]` to reassign tasks). Each must be listed in serverOwned.',
    default: {},
    maxProperties: 50,
    additionalProperties: false,
  }),
  onViolation: stringEnum(['reject', 'strip'] as const, {
    description: 'What a body with server-owned properties gets: reject (400, the default) or strip (the properties are removed and the rest is forwarded).',
    default: 'reject',
  }),
  caseInsensitive: Type.Boolean({
    description: 'Match property names in request bodies without regard to case (`OwnerId` is `ownerId`), as upstreams that bind case-insensitively (ASP.NET, Jackson with that option) would read them.',
    default: true,
  }),
  allowNonJson: Type.Boolean({
    description: 'Forward request bodies that are not JSON unchecked. Default false: on the write methods a non-empty body that is not JSON is refused (400 property-level.uninspectable_body), since server-owned fields could hide in it.',
    default: false,
  }),
  methods: Type.Array(methodItems(), { description: 'Methods whose request bodies are checked.', minItems: 1, uniqueItems: true, default: [...DEFAULT_WRITE_METHODS] }),
}, { description: 'Write rules (mass assignment, OWASP API3:2023): properties a client may not set.' });

/**
 * Properties removed or masked in one variant of the read rules.
 *
 * @example
 * ```yaml
 * { remove: [passwordHash], mask: { email: '***' } }
 * ```
 */
export const ReadVariantSchema = strictObject({
  remove: pathList('Properties removed from responses.'),
  mask: maskMap('Properties whose value is replaced by the given string when present (`email: "***"`).'),
}, { description: 'What this role\'s principals get removed and masked instead of the route\'s base rules.' });

/**
 * Read rules: properties removed or masked from responses.
 *
 * @example
 * ```yaml
 * read: { remove: [passwordHash, internalNotes], perRole: { admin: { remove: [passwordHash] } } }
 * ```
 */
export const ReadRulesSchema = strictObject({
  remove: pathList('Properties removed from JSON responses (`passwordHash`, `owner.passwordHash`, `items[].secret`).'),
  mask: maskMap('Properties whose value is replaced by the given string when present (`email: "***"`).'),
  perRole: Type.Record(ROLE, ReadVariantSchema, {
    description: 'Rules that replace remove and mask for principals with the role; the first role listed here that the principal has decides (`admin: { remove: [] }` shows admins everything).',
    default: {},
    maxProperties: 50,
    additionalProperties: false,
  }),
  allowNonJson: Type.Boolean({
    description: 'Pass responses that are not JSON unfiltered. Default false: a non-empty response that is not JSON is refused (502 property-level.unverifiable), since it could carry what the rules remove.',
    default: false,
  }),
  methods: Type.Optional(Type.Array(methodItems(), { description: 'Methods whose responses are filtered. Absent: every method.', minItems: 1, uniqueItems: true })),
}, { description: 'Read rules (excessive data exposure, OWASP API3:2023): properties removed or masked from responses.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(PropertyLevelSchema);
 * const config = { write: { serverOwned: ['id'] } };
 * validate(config); // true; config.write.onViolation is now 'reject'
 * ```
 */
export const PropertyLevelSchema = strictObject({
  write: Type.Optional(WriteRulesSchema),
  read: Type.Optional(ReadRulesSchema),
}, { description: 'Property-level authorization (OWASP API3:2023): server-owned properties refused in request bodies (mass assignment), sensitive properties removed or masked from responses, per role.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: PropertyLevelConfig = { read: { remove: ['passwordHash'], mask: {}, perRole: {}, allowNonJson: false } };
 * ```
 */
export type PropertyLevelConfig = Static<typeof PropertyLevelSchema>;

/** {@link PropertyLevelConfig.write}. */
export type WriteRules = Static<typeof WriteRulesSchema>;

/** {@link PropertyLevelConfig.read}. */
export type ReadRules = Static<typeof ReadRulesSchema>;

/** One variant of the read rules. */
export type ReadVariant = Static<typeof ReadVariantSchema>;
