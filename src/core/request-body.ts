/**
 * Reading a request body into memory, for routes whose policies inspect it (mass assignment,
 * schema validation, WAF). Bounded by the route's size limit; JSON parsed once into ctx.body by
 * the strict, bounded parser (strict-json.ts); the proxy then forwards exactly the bytes that
 * were inspected.
 */
import type { RequestContext } from './context.js';
import { CORE_ERRORS } from './errors.js';
import type { NamedHandler } from './pipeline.js';
import { createDenial, type Denial } from './problem.js';
import { parseJsonStrict, strictestJsonLimits, type JsonFailureReason, type JsonLimits } from './strict-json.js';

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

/** What each refusal of the JSON parser says (the rule, never the payload). */
function invalidJsonDetails(limits: JsonLimits): Readonly<Record<JsonFailureReason, string>> {
  return {
    syntax: 'The body is not valid JSON (RFC 8259).',
    encoding: 'The body is not UTF-8 JSON: it has a byte order mark, invalid UTF-8, or an escaped unpaired surrogate.',
    depth: `Arrays and objects are nested more than ${limits.maxDepth} deep.`,
    keys: `The body has more than ${limits.maxKeys} object keys.`,
    string_length: `A string is longer than ${limits.maxStringLength} characters.`,
    array_items: `The body has more than ${limits.maxArrayItems} array elements.`,
    duplicate_key: 'An object has the same key twice.',
    forbidden_key: 'An object has a __proto__ key.',
  };
}

/**
 * The pipeline step that buffers the body. A JSON content type must parse strictly within
 * `limits` (defaults for fields left out), else 400 `request.invalid_json` whose detail names the
 * rule and whose `errors` hold the JSON pointer where it broke; an empty body (Content-Length: 0)
 * sent as JSON is refused too. Other content types are buffered but left unparsed (ctx.body stays
 * undefined); a request without a body passes.
 *
 * @example
 * ```ts
 * handlers.splice(i, 0, readBodyStep({ maxDepth: 16 }));
 * ```
 */
export function readBodyStep(limits?: Partial<JsonLimits>): NamedHandler {
  const resolved = strictestJsonLimits([limits]);
  const details = invalidJsonDetails(resolved);
  const spec = CORE_ERRORS['request.invalid_json'];
  // Refusals without a pointer are the same every time: built once.
  const plain = new Map<JsonFailureReason, Denial>();
  for (const [reason, detail] of Object.entries(details) as Array<[JsonFailureReason, string]>) plain.set(reason, createDenial('request.invalid_json', spec, { detail }));
  const invalid = (reason: JsonFailureReason, pointer: string | undefined): Denial => {
    if (pointer === undefined) return plain.get(reason)!;
    // The pointer names keys of the body (bounded in length), never its values.
    return createDenial('request.invalid_json', spec, { detail: `${details[reason]} At ${pointer === '' ? 'the top level' : pointer}.`, errors: [{ pointer, in: 'body', reason }] });
  };
  return { policy: 'body', run: (ctx) => readBody(ctx, resolved, invalid) };
}

function readBody(ctx: RequestContext, limits: JsonLimits, invalid: (reason: JsonFailureReason, pointer: string | undefined) => Denial): undefined | Denial | Promise<undefined | Denial> {
  const req = ctx.req;
  const length = req.headers['content-length'];
  if (length === undefined ? req.headers['transfer-encoding'] === undefined : length === '0') {
    // No body; but an empty one sent as JSON is not JSON (RFC 8259 has no empty document).
    return length === '0' && isJsonContentType(req.headers['content-type']) ? invalid('syntax', undefined) : undefined;
  }
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
      const parsed = parseJsonStrict(raw, limits);
      if (!parsed.ok) return resolve(invalid(parsed.reason, parsed.pointer));
      ctx.body = parsed.value;
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
