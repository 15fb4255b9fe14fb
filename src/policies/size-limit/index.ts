/**
 * size-limit: refuses requests too large to be worth reading (OWASP API4:2023, unrestricted
 * resource consumption). The request target and a declared Content-Length are checked before any
 * body byte is read; for bodies without a length (chunked), the cap is handed to the proxy in
 * `ctx.maxBodyBytes`, which cuts the stream off when it grows past it.
 */
import { definePolicy } from '../../core/policy.js';
import type { CompiledPolicy } from '../../core/policy.js';
import type { RequestContext } from '../../core/context.js';
import { SizeLimitSchema } from './schema.js';

export { SizeLimitSchema, type SizeLimitConfig } from './schema.js';

/**
 * The size-limit policy.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     size-limit: { maxBodyBytes: 65536, maxUrlLength: 2048 }
 * ```
 */
export default definePolicy({
  name: 'size-limit',
  phase: 'request',
  description: 'Caps the request body, the request-target length and the number of query parameters.',
  schema: SizeLimitSchema,
  errors: {
    body_too_large: {
      status: 413,
      title: 'Content Too Large',
      description: 'The request body is larger than the route\'s size-limit.maxBodyBytes, by its Content-Length or as it streamed in. Send a smaller body.',
    },
    url_too_long: {
      status: 414,
      title: 'URI Too Long',
      description: 'The request target (path and query string) is longer than the route\'s size-limit.maxUrlLength bytes. Move long parameters into the body.',
    },
    too_many_query_params: {
      status: 400,
      title: 'Bad Request',
      description: 'The query string has more parameters than the route\'s size-limit.maxQueryParams.',
    },
  },
  compile(config, env): CompiledPolicy {
    const { maxBodyBytes, maxUrlLength, maxQueryParams } = config;
    const bodyTooLarge = env.deny('body_too_large', { detail: `The request body exceeds ${maxBodyBytes} bytes.` });
    const urlTooLong = env.deny('url_too_long', { detail: `The request target exceeds ${maxUrlLength} bytes.` });
    const tooManyParams = env.deny('too_many_query_params', { detail: `The query string has more than ${maxQueryParams} parameters.` });
    return {
      onRequest(ctx: RequestContext) {
        // Node's HTTP parser turns the request target into a one-byte (latin1) string, so its
        // length is its size in bytes.
        const url = ctx.req.url;
        if (url !== undefined && url.length > maxUrlLength) return urlTooLong;
        // A query of n characters has at most n + 1 parameters: short ones need no counting.
        if (ctx.query.length >= maxQueryParams && countExceeds(ctx.query, maxQueryParams)) return tooManyParams;
        const declared = ctx.req.headers['content-length'];
        // Node's parser already refuses a malformed Content-Length; anything that still is not a
        // number gives NaN, compares false, and is left to the streaming cap below.
        if (declared !== undefined && Number(declared) > maxBodyBytes) return bodyTooLarge;
        // Lower, never raise, a cap set earlier in the pipeline.
        if (maxBodyBytes < ctx.maxBodyBytes) ctx.limitBody(maxBodyBytes, bodyTooLarge);
        return undefined;
      },
    };
  },
});

/** Whether the &-separated parameters of a non-empty query number more than max. */
function countExceeds(query: string, max: number): boolean {
  if (query.length === 0) return false;
  let count = 1;
  for (let i = query.indexOf('&'); i !== -1; i = query.indexOf('&', i + 1)) {
    if (++count > max) return true;
  }
  return count > max;
}
