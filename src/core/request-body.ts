/**
 * Reading a request body into memory, for routes whose policies inspect it (mass assignment,
 * schema validation, WAF). Bounded by the route's size limit; JSON parsed once into ctx.body;
 * the proxy then forwards exactly the bytes that were inspected.
 */
import type { RequestContext } from './context.js';
import { CORE_ERRORS } from './errors.js';
import type { NamedHandler } from './pipeline.js';
import { createDenial, type Denial } from './problem.js';

const INVALID_JSON = createDenial('request.invalid_json', CORE_ERRORS['request.invalid_json']);
const TOO_LARGE = createDenial('request.body_too_large', CORE_ERRORS['request.body_too_large']);

/** The body cap when size-limit is switched off on a route that buffers bodies. */
export const DEFAULT_BUFFER_LIMIT = 1_048_576;

/**
 * Whether a content type is JSON (`application/json`, `application/problem+json`, …).
 *
 * @example
 * ```ts
 * isJsonContentType('application/json; charset=utf-8') // true
 * ```
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * The pipeline step that buffers the body. A JSON content type must parse (else 400); other
 * content types are buffered but left unparsed (ctx.body stays undefined).
 *
 * @example
 * ```ts
 * handlers.splice(i, 0, readBodyStep());
 * ```
 */
export function readBodyStep(): NamedHandler {
  return { policy: 'body', run: readBody };
}

function readBody(ctx: RequestContext): undefined | Denial | Promise<undefined | Denial> {
  const req = ctx.req;
  const length = req.headers['content-length'];
  if (length === undefined ? req.headers['transfer-encoding'] === undefined : length === '0') return undefined;
  const limit = Number.isFinite(ctx.maxBodyBytes) ? ctx.maxBodyBytes : DEFAULT_BUFFER_LIMIT;
  const tooLarge = ctx.bodyTooLarge ?? TOO_LARGE;
  if (length !== undefined && Number(length) > limit) return tooLarge;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop reading; the refusal closes the connection (the rest of the body is unread).
        req.pause();
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      const raw = Buffer.concat(chunks, size);
      ctx.rawBody = raw;
      if (!isJsonContentType(req.headers['content-type'])) return resolve(undefined);
      try {
        ctx.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return resolve(INVALID_JSON);
      }
      resolve(undefined);
    };
    const onError = () => {
      cleanup();
      resolve(createDenial('request.invalid_body', CORE_ERRORS['request.invalid_body']));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}
