/**
 * Config of the size-limit policy. `{}` is a complete config: a 1 MiB body, an 8 KiB request
 * target and 256 query parameters, generous for a JSON API and small enough that one client
 * cannot make the gateway or the upstream buffer much.
 */
import { Type, type Static } from '@sinclair/typebox';
import { bytes, strictObject } from '../../core/schema-types.js';

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(SizeLimitSchema);
 * const config = { maxBodyBytes: 65536 };
 * validate(config); // true; config.maxUrlLength is now 8192
 * ```
 */
export const SizeLimitSchema = strictObject({
  maxBodyBytes: bytes({
    description: 'Largest request body in bytes. A larger Content-Length is refused with 413 before any byte is forwarded; a chunked body is cut off when it grows past it. 0 allows no body.',
    default: 1_048_576,
  }),
  maxUrlLength: bytes({
    description: 'Longest request target (path and query string) in bytes; longer gets 414. The server\'s maxHeaderSize is the hard ceiling above this.',
    default: 8192,
    minimum: 1,
    maximum: 1_048_576,
  }),
  maxQueryParams: Type.Integer({
    description: 'Most query parameters (&-separated) a request may carry; more gets 400. Bounds the work of every query parser behind the gateway.',
    default: 256,
    minimum: 0,
    maximum: 100_000,
  }),
}, { description: 'Caps on request size: body bytes, request-target length and query parameter count (OWASP API4:2023, unrestricted resource consumption).' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: SizeLimitConfig = { maxBodyBytes: 65536, maxUrlLength: 2048, maxQueryParams: 50 };
 * ```
 */
export type SizeLimitConfig = Static<typeof SizeLimitSchema>;
