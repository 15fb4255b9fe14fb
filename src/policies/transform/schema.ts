/**
 * Config of the transform policy. For now it carries the caller's identity to the upstream;
 * header and body rewriting join it later.
 */
import { Type, type Static } from '@sinclair/typebox';
import { strictObject } from '../../core/schema-types.js';

/** A principal field: id, kind, roles, scopes, method, or attributes.<name>. */
const PRINCIPAL_FIELD = '^(?:id|kind|roles|scopes|method|credentialId|attributes\\.[A-Za-z_][A-Za-z0-9_-]{0,63})$';
const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$";

/**
 * The transform policy's config.
 *
 * @example
 * ```ts
 * const config: TransformConfig = { request: { identityHeaders: { 'x-user-id': 'id', 'x-user-department': 'attributes.department' } } };
 * ```
 */
export const TransformSchema = strictObject({
  request: strictObject({
    identityHeaders: Type.Record(Type.String({ pattern: HEADER_NAME }), Type.String({ pattern: PRINCIPAL_FIELD, description: 'A principal field.' }), {
      description: 'Headers the upstream receives with the authenticated caller\'s identity, as header name → principal field (id, kind, roles, scopes, method, credentialId, attributes.<name>; lists are joined with commas). A client-sent copy of each header is always removed first, so a client can never claim an identity; without a principal the header is absent.',
      default: {},
      maxProperties: 50,
    }),
  }, { description: 'Changes to the request forwarded upstream.', default: {} }),
}, { description: 'Request transformation.' });

/** Config type, inferred from {@link TransformSchema}. */
export type TransformConfig = Static<typeof TransformSchema>;
