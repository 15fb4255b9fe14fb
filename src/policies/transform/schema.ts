/**
 * Config of the transform policy: the request the upstream receives (identity headers, headers
 * set, removed and renamed, internal headers stripped, the path rewritten) and the response the
 * client receives (headers set, removed and renamed, internal headers stripped, JSON fields
 * removed or redacted). Every field has a safe default: an empty config only strips X-Internal-*.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PROPERTY_PATH_PATTERN } from '../../core/json-paths.js';
import { strictObject } from '../../core/schema-types.js';

/** A principal field: id, kind, roles, scopes, method, or attributes.<name>. */
const PRINCIPAL_FIELD = '^(?:id|kind|roles|scopes|method|credentialId|attributes\\.[A-Za-z_][A-Za-z0-9_-]{0,63})$';

/** An HTTP field name (RFC 9110 token). */
export const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$";

/** A header value written by the gateway: printable ASCII and spaces, no CR, LF or other control characters. */
export const HEADER_VALUE = '^[\\x20-\\x7e]{0,4096}$';

/** A path prefix: one or more `/segment`, no trailing slash, no percent-encoding (dot segments are refused by compile). */
const PATH_PREFIX = "^(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$";

const headerName = (description: string) => Type.String({ pattern: HEADER_NAME, description });
const headerValue = (description: string) => Type.String({ pattern: HEADER_VALUE, description });

function setHeaders(description: string) {
  return Type.Record(Type.String({ pattern: HEADER_NAME }), headerValue('The value: printable ASCII, no CR/LF or other control characters.'), {
    description,
    default: {},
    maxProperties: 50,
    additionalProperties: false,
  });
}

function removeHeaders(description: string) {
  return Type.Array(headerName('A header name (case-insensitive).'), { description, default: [], maxItems: 100, uniqueItems: true });
}

function renameHeaders(description: string) {
  return Type.Record(Type.String({ pattern: HEADER_NAME }), headerName('The new name.'), {
    description,
    default: {},
    maxProperties: 50,
    additionalProperties: false,
  });
}

function stripInternal(description: string) {
  return Type.Boolean({ description, default: true });
}

/**
 * The transform policy's config.
 *
 * @example
 * ```ts
 * const config: TransformConfig = {
 *   request: { identityHeaders: { 'x-user-id': 'id' }, setHeaders: {}, removeHeaders: [], renameHeaders: {}, stripInternalHeaders: true, rewritePath: { stripPrefix: '/api' } },
 *   response: { setHeaders: {}, removeHeaders: [], renameHeaders: {}, stripInternalHeaders: true, removeFields: ['users[].passwordHash'], redactFields: { 'items[].email': '***' } },
 * };
 * ```
 */
export const TransformSchema = strictObject({
  request: strictObject({
    identityHeaders: Type.Record(Type.String({ pattern: HEADER_NAME }), Type.String({ pattern: PRINCIPAL_FIELD, description: 'A principal field.' }), {
      description: 'Headers the upstream receives with the authenticated caller\'s identity, as header name → principal field (id, kind, roles, scopes, method, credentialId, attributes.<name>; lists are joined with commas). A client-sent copy of each header is always removed first, so a client can never claim an identity; without a principal the header is absent.',
      default: {},
      maxProperties: 50,
      additionalProperties: false,
    }),
    setHeaders: setHeaders('Headers the upstream receives with a fixed value, as name → value; a client-sent copy is removed first.'),
    removeHeaders: removeHeaders('Client headers never forwarded upstream.'),
    renameHeaders: renameHeaders('Client headers forwarded under another name, as from → to; a client-sent copy of the new name is removed first. Credential headers (Authorization, Proxy-Authorization, Cookie) cannot be renamed.'),
    stripInternalHeaders: stripInternal('Remove every client-sent X-Internal-* header before forwarding (headers this policy sets itself are kept).'),
    rewritePath: strictObject({
      stripPrefix: Type.Optional(Type.String({ pattern: PATH_PREFIX, maxLength: 512, description: 'Removed from the start of the path when the path is this prefix or continues with `/` after it (`/api` turns `/api/users` into `/users`, leaves `/apix` alone).' })),
      addPrefix: Type.Optional(Type.String({ pattern: PATH_PREFIX, maxLength: 512, description: 'Put in front of the path after stripPrefix (`/v2` turns `/users` into `/v2/users`); the upstream\'s own base path still comes first.' })),
    }, { description: 'How the path is rewritten for the upstream (the query string is kept as sent). Dot segments are never introduced, and a leading `//` is collapsed to `/`.', default: {} }),
  }, { description: 'Changes to the request forwarded upstream.', default: {} }),
  response: strictObject({
    setHeaders: setHeaders('Headers added to every response of the route (upstream or refusal), replacing an upstream copy.'),
    removeHeaders: removeHeaders('Upstream response headers never sent to the client (Server and X-Powered-By are already removed by security-headers).'),
    renameHeaders: renameHeaders('Upstream response headers sent under another name, as from → to; an upstream copy of the new name is removed first.'),
    stripInternalHeaders: stripInternal('Remove every X-Internal-* header from upstream responses.'),
    removeFields: Type.Array(Type.String({ pattern: PROPERTY_PATH_PATTERN, minLength: 1, maxLength: 512, description: 'A property path: dotted for nested objects (`meta.internal`), `[]` after an array\'s name (`users[].passwordHash`; arrays are traversed either way).' }), {
      description: 'Properties removed from JSON responses. Best effort: a non-JSON body passes unchanged; for security-critical removals use property-level, which fails closed.',
      default: [],
      maxItems: 200,
      uniqueItems: true,
    }),
    redactFields: Type.Record(Type.String({ pattern: PROPERTY_PATH_PATTERN, maxLength: 512 }), Type.String({ maxLength: 1024, description: 'The replacement value.' }), {
      description: 'Properties of JSON responses whose value is replaced, as path → replacement (`items[].email: "***"`). Best effort like removeFields.',
      default: {},
      maxProperties: 200,
      additionalProperties: false,
    }),
  }, { description: 'Changes to the upstream response sent to the client. Body changes only cost buffering on routes with removeFields or redactFields.', default: {} }),
}, { description: 'Request and response transformation.' });

/** Config type, inferred from {@link TransformSchema}. */
export type TransformConfig = Static<typeof TransformSchema>;
