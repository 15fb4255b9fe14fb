/**
 * The upstream (or app) response body as response-body hooks see it, built the same way by the
 * gateway's buffering proxy and by the in-app adapters: parsed when it says JSON and is not
 * compressed; a body that says JSON and is not gets isJson false, and the hooks decide.
 */
import type { ResponseBody } from './policy.js';
import { isJsonContentType } from './request-body.js';

/**
 * The first value of a header in a flat, lower-case list.
 *
 * @example
 * ```ts
 * headerValue(['content-type', 'application/json'], 'content-type') // 'application/json'
 * ```
 */
export function headerValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/**
 * The ResponseBody of bytes received with a head.
 *
 * @example
 * ```ts
 * const body = responseBodyOf(head.headers, Buffer.concat(chunks));
 * ```
 */
export function responseBodyOf(headers: readonly string[], raw: Buffer): ResponseBody {
  let isJson = false;
  let value: unknown = undefined;
  if (isJsonContentType(headerValue(headers, 'content-type')) && headerValue(headers, 'content-encoding') === undefined && raw.length > 0) {
    try {
      value = JSON.parse(raw.toString('utf8'));
      isJson = true;
    } catch {
      // Said JSON, sent something else: hooks see isJson false and decide (they fail closed).
    }
  }
  return { isJson, value, raw, changed: false };
}
