/**
 * Config of the ssrf policy: which request fields carry URLs the upstream will fetch later
 * (webhook targets, callback URLs, avatars by URL), and what such a URL may point at.
 */
import { Type, type Static } from '@sinclair/typebox';
import { durationMs, strictObject, stringEnum } from '../../core/schema-types.js';

/** Where a URL field sits in the request. */
export const FIELD_LOCATIONS = ['body', 'query', 'header'] as const;

/** A host name, or a suffix starting with a dot (`.example.com`); lower case, ASCII (punycode for IDNs). */
export const HOST_PATTERN = '^\\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$';

/**
 * One request field that holds a URL.
 *
 * @example
 * ```yaml
 * { in: body, name: /hooks/*\/url }
 * ```
 */
export const UrlFieldSchema = strictObject({
  in: stringEnum(FIELD_LOCATIONS, { description: 'Where the field is: body (a JSON body), query (a query parameter) or header.' }),
  name: Type.String({
    description: 'For body: a JSON pointer (RFC 6901) to the value, where a `*` segment stands for every element of an array or every member of an object (`/url`, `/hooks/*/url`). For query and header: the parameter or header name (headers case-insensitively; every occurrence is checked).',
    minLength: 1,
    maxLength: 512,
  }),
}, { description: 'A request field whose value is a URL the upstream will fetch.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(SsrfSchema);
 * const config = { fields: [{ in: 'body', name: '/url' }] };
 * validate(config); // true; config.schemes is now ['https']
 * ```
 */
export const SsrfSchema = strictObject({
  fields: Type.Array(UrlFieldSchema, {
    description: 'The request fields that carry URLs (at least one).',
    minItems: 1,
    maxItems: 50,
  }),
  schemes: Type.Array(stringEnum(['https', 'http'] as const, { description: 'A URL scheme.' }), {
    description: 'Schemes a URL may have. Default https only. These replace outbound.schemes for this check and apply to outbound.allow origins too.',
    default: ['https'],
    minItems: 1,
    uniqueItems: true,
  }),
  ports: Type.Array(Type.Integer({ description: 'A TCP port.', minimum: 1, maximum: 65535 }), {
    description: 'Ports a URL may name (a URL without a port uses its scheme\'s default). Default 443 only. These replace outbound.ports for this check and apply to outbound.allow origins too.',
    default: [443],
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
  }),
  allowHosts: Type.Array(Type.String({ description: 'A host name (`hooks.slack.com`) or a suffix with a leading dot (`.example.com`: its subdomains, not example.com itself).', pattern: HOST_PATTERN, minLength: 1, maxLength: 253 }), {
    description: 'When not empty, the only hosts a URL may name; others get 403 ssrf.blocked_address. This narrows, never widens: a listed host must still resolve to public addresses only (a deliberate internal target must also be an origin in outbound.allow). Empty (the default): any public host.',
    default: [],
    maxItems: 200,
    uniqueItems: true,
  }),
  resolve: Type.Boolean({
    description: 'Resolve each host name at request time through the gateway\'s outbound resolver and refuse it when any address is not public, or when it does not resolve within timeoutMs (default true). false checks only the URL, the name and literal addresses: the upstream must then check what the name resolves to when it connects.',
    default: true,
  }),
  timeoutMs: durationMs({ description: 'Deadline for resolving the URLs of one request, ms; a name not resolved in time is refused.', default: 2_000, maximum: 30_000 }),
  required: Type.Boolean({
    description: 'A request without a value in a listed field is refused (400 ssrf.invalid_url). Default false: absent fields (and JSON null) are skipped.',
    default: false,
  }),
  maxUrls: Type.Integer({
    description: 'Most URLs checked in one request (wildcards and repeated parameters can name many); more get 400 ssrf.too_many_urls, so one request cannot cost unbounded DNS lookups.',
    default: 10,
    minimum: 1,
    maximum: 100,
  }),
}, { description: 'SSRF guard for URLs in requests (OWASP API7:2023): fields declared as URLs must be absolute https URLs whose host resolves only to public addresses, checked by the gateway\'s own outbound rules and resolver.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: SsrfConfig = { fields: [{ in: 'body', name: '/url' }], schemes: ['https'], ports: [443], allowHosts: [], resolve: true, timeoutMs: 2000, required: false, maxUrls: 10 };
 * ```
 */
export type SsrfConfig = Static<typeof SsrfSchema>;

/** One entry of {@link SsrfConfig.fields}. */
export type UrlField = Static<typeof UrlFieldSchema>;
