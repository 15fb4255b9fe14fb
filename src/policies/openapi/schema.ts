/**
 * Config of the openapi policy. `{}` is a complete config: requests and responses both enforced
 * (fail closed), unknown body properties refused on writes, 20 violations listed per refusal.
 * While rolling a document out, `response: monitor` logs what would have been refused instead.
 */
import { Type, type Static } from '@sinclair/typebox';
import { strictObject, stringEnum } from '../../core/schema-types.js';

/** What a direction's validation does with a mismatch. */
export const VALIDATION_MODES = ['enforce', 'monitor', 'off'] as const;

/** One of {@link VALIDATION_MODES}. */
export type ValidationMode = (typeof VALIDATION_MODES)[number];

/**
 * Optional bounds for the JSON body parser on this route (absent: the gateway's defaults).
 *
 * @example
 * ```yaml
 * json: { maxDepth: 16, maxStringLength: 10000 }
 * ```
 */
export const JsonBoundsSchema = strictObject({
  maxDepth: Type.Optional(Type.Integer({ description: 'Deepest nesting of arrays and objects in a JSON request body.', minimum: 1, maximum: 1000 })),
  maxKeys: Type.Optional(Type.Integer({ description: 'Most object keys in the whole JSON request body.', minimum: 0, maximum: 10_000_000 })),
  maxStringLength: Type.Optional(Type.Integer({ description: 'Longest string (key or value) in a JSON request body, in UTF-16 code units.', minimum: 0, maximum: 1 << 30 })),
  maxArrayItems: Type.Optional(Type.Integer({ description: 'Most array elements in the whole JSON request body.', minimum: 0, maximum: 10_000_000 })),
}, { description: 'Tighter bounds for the JSON body parser on this route (the strictest of the route\'s policies wins). Absent fields keep the gateway\'s defaults.', default: {} });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(OpenApiSchema);
 * const config = { response: 'monitor' };
 * validate(config); // true; config.request is now 'enforce'
 * ```
 */
export const OpenApiSchema = strictObject({
  request: stringEnum(VALIDATION_MODES, {
    description: 'Request validation (parameters, Content-Type, body) against the operation: enforce (400/415 with every violation listed), monitor (log and publish on the validation channel, then forward), or off.',
    default: 'enforce',
  }),
  response: stringEnum(VALIDATION_MODES, {
    description: 'Response validation (documented status, Content-Type, JSON body) against the operation: enforce (502 openapi.invalid_response, nothing of the upstream\'s body is sent; fail closed), monitor (log and forward; recommended while rolling a document out), or off (responses are not buffered).',
    default: 'enforce',
  }),
  rejectUnknownProperties: stringEnum(['writes', 'always', 'never'] as const, {
    description: 'Refuse body properties the schema does not declare (mass assignment, OWASP API3:2023): writes (request bodies of POST, PUT and PATCH), always (every request body and every response body: an upstream that returns undocumented properties is refused too), or never. Applies to object schemas that declare properties and say nothing about additionalProperties or unevaluatedProperties.',
    default: 'writes',
  }),
  rejectUnknownQueryParams: Type.Boolean({
    description: 'Refuse query parameters the operation does not document. Default false: unknown query parameters are forwarded (many clients add cache busters and tracking parameters).',
    default: false,
  }),
  maxQueryPairs: Type.Integer({
    description: 'Most name=value pairs read from a query string or a form-urlencoded body; more is a violation. Bounds the parsing work an attacker can cause.',
    default: 256,
    minimum: 1,
    maximum: 100_000,
  }),
  maxViolations: Type.Integer({
    description: 'Most violations listed in one refusal or log line (every violation still counts).',
    default: 20,
    minimum: 1,
    maximum: 1000,
  }),
  checkResponseContentType: Type.Boolean({
    description: 'Check that a response\'s Content-Type is one of the media types documented for its status.',
    default: true,
  }),
  json: JsonBoundsSchema,
}, { description: 'Request and response validation against the route\'s OpenAPI operation (OWASP API3/API8:2023): parameters with their styles, Content-Type, bodies against their schemas (readOnly properties refused in requests, writeOnly ones in responses), documented statuses.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: OpenApiConfig = { request: 'enforce', response: 'monitor', rejectUnknownProperties: 'writes', rejectUnknownQueryParams: false, maxQueryPairs: 256, maxViolations: 20, checkResponseContentType: true, json: {} };
 * ```
 */
export type OpenApiConfig = Static<typeof OpenApiSchema>;
