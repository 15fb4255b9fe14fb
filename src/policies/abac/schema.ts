/**
 * Config of the abac policy: one CEL condition per route over `user`, `resource`, `request` and
 * `time`, the time zone `time` is read in, what counts as business hours, static attributes of
 * the route's resources, and whether a refusal says 403 or 404.
 */
import { Type, type Static } from '@sinclair/typebox';
import { strictObject, stringEnum } from '../../core/schema-types.js';

const CLOCK = '^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';

/**
 * What `time.businessHours` means.
 *
 * @example
 * ```yaml
 * businessHours: { days: [1, 2, 3, 4, 5], start: '08:30', end: '18:00' }
 * ```
 */
export const BusinessHoursSchema = strictObject({
  days: Type.Array(Type.Integer({ description: 'A day of the week, 0 = Sunday … 6 = Saturday.', minimum: 0, maximum: 6 }), {
    description: 'Days that have business hours (0 = Sunday … 6 = Saturday).',
    default: [1, 2, 3, 4, 5],
    maxItems: 7,
    uniqueItems: true,
  }),
  start: Type.String({ description: 'First minute of business hours, HH:MM (24-hour clock) in timeZone, inclusive.', pattern: CLOCK, default: '09:00' }),
  end: Type.String({ description: 'End of business hours, HH:MM in timeZone, exclusive (24:00 for midnight); after start.', pattern: CLOCK, default: '17:00' }),
}, { description: 'When `time.businessHours` is true: these days, from start (inclusive) to end (exclusive), in timeZone.', default: {} });

/** A static resource attribute: a scalar or a list of strings. */
const ResourceValue = Type.Union([
  Type.String({ maxLength: 1024 }),
  Type.Number(),
  Type.Boolean(),
  Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 1000 }),
], { description: 'A string, number, boolean or list of strings.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(AbacSchema);
 * const config = { condition: 'user.department == resource.department' };
 * validate(config); // true; config.timeZone is now 'UTC'
 * ```
 */
export const AbacSchema = strictObject({
  condition: Type.String({
    description: 'A CEL expression that must be true for the request to pass, e.g. `user.department == resource.department && time.businessHours`. Variables: user (the principal: id, kind, roles, scopes, method, its attributes as top-level fields, and attributes), resource (path parameters, then `resource` below, then what an object lookup found), request (method, path, route, params, query, headers with lower-case names, clientIp), time (now, hour, minute, dayOfWeek 0 = Sunday, date YYYY-MM-DD, businessHours, all in timeZone). Compiled and type-checked at load; an error while evaluating denies.',
    minLength: 1,
    maxLength: 4096,
  }),
  timeZone: Type.String({ description: 'IANA time zone of the `time` variable (Europe/Berlin, America/New_York).', default: 'UTC', minLength: 1, maxLength: 64 }),
  businessHours: BusinessHoursSchema,
  resource: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), ResourceValue, {
    description: 'Attributes of every resource of this route, known from config (e.g. classification: 2); names are CEL identifiers. They override path parameters of the same name; what an object lookup finds overrides them.',
    default: {},
    maxProperties: 100,
    additionalProperties: false,
  }),
  denyAs: stringEnum(['forbidden', 'not_found'] as const, {
    description: 'How a refusal is answered: forbidden (403 abac.forbidden) or not_found (404 abac.not_found, so a caller cannot tell a resource it may not see from one that does not exist).',
    default: 'forbidden',
  }),
}, { description: 'Attribute-based access control: a CEL condition over the caller, the resource, the request and the time must hold (OWASP API1/API5:2023).' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: AbacConfig = { condition: 'time.businessHours', timeZone: 'Europe/Berlin', businessHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }, resource: {}, denyAs: 'forbidden' };
 * ```
 */
export type AbacConfig = Static<typeof AbacSchema>;

/** {@link AbacConfig.businessHours}. */
export type BusinessHours = Static<typeof BusinessHoursSchema>;
