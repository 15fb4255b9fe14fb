/**
 * An operation's documented responses, compiled once: per status (exact, then the `2XX` range,
 * then `default`) its media types and a validator per JSON media type, with writeOnly properties
 * forbidden. Per response: one map lookup, a Content-Type match and, for JSON, one validation.
 *
 * A response whose documented entry has no content is not checked beyond its status (documents
 * routinely describe error responses without a body schema); an empty body (HEAD, 204, 304) is
 * not checked beyond its status either.
 */
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type { RequestContext } from '../../core/context.js';
import type { ApiOperation } from '../../core/operation.js';
import type { ResponseBody, ResponseHead } from '../../core/policy.js';
import { SchemaError } from './dialect.js';
import { isJsonRange, mediaMatcher } from './body-media.js';
import { compileSchema, type ViolationIn, type ViolationList } from './validators.js';

/** Options of {@link compileResponses}. */
export interface ResponseOptions {
  /** Close object schemas (undocumented properties refused). */
  readonly closeObjects: boolean;
  /** Check the Content-Type against the documented media types. */
  readonly checkContentType: boolean;
}

/** The compiled responses of an operation. */
export interface ResponseChecker {
  /** Whether the operation documents any response (none: nothing is checked). */
  readonly documented: boolean;
  /** Adds the response's violations to `list`. */
  check(ctx: RequestContext, head: ResponseHead, body: ResponseBody, list: ViolationList): void;
  /** Formats the schemas use that the validator does not know (not checked). */
  readonly unknownFormats: readonly string[];
}

interface Media {
  readonly validate: ValidateFunction | undefined;
}

interface Documented {
  /** Undefined when the entry documents no content. */
  readonly match: ((contentType: string | undefined) => Media | undefined) | undefined;
  /** The first JSON media type with a schema, used when the Content-Type is not checked. */
  readonly json: Media | undefined;
}

const locateBody = (instancePath: string): readonly [ViolationIn, string] => ['body', instancePath];
const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');
const RANGE = /^[1-5]xx$/i;
const EXACT = /^[1-5][0-9][0-9]$/;

function contentTypeOf(headers: readonly string[]): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'content-type') return headers[i + 1];
  return undefined;
}

/**
 * Compiles an operation's responses. Throws SchemaError (pointer relative to the operation).
 *
 * @example
 * ```ts
 * const responses = compileResponses(operation, createValidatorAjv(), { closeObjects: false, checkContentType: true });
 * responses.check(ctx, head, body, violations);
 * ```
 */
export function compileResponses(op: ApiOperation, ajv: Ajv2020, options: ResponseOptions): ResponseChecker {
  const exact = new Map<number, Documented>();
  const ranges: Array<Documented | undefined> = [];
  let fallback: Documented | undefined;
  const unknownFormats = new Set<string>();
  for (const r of op.responses) {
    const entries = r.content.map((m): readonly [string, Media] => {
      if (!isJsonRange(m.mediaType) || m.schema === undefined) return [m.mediaType, { validate: undefined }];
      try {
        const compiled = compileSchema(ajv, m.schema, { dialect: op.dialect, components: op.components, direction: 'response', closeObjects: options.closeObjects });
        for (const f of compiled.unknownFormats) unknownFormats.add(f);
        return [m.mediaType, { validate: compiled.validate }];
      } catch (error) {
        if (error instanceof SchemaError) throw new SchemaError(`/responses/${r.status}/content/${escapePointer(m.mediaType)}/schema${error.where}`, error.message);
        throw error;
      }
    });
    const documented: Documented = {
      match: entries.length === 0 ? undefined : mediaMatcher(entries),
      json: entries.find(([range, m]) => isJsonRange(range) && m.validate !== undefined)?.[1],
    };
    if (EXACT.test(r.status)) { if (!exact.has(Number(r.status))) exact.set(Number(r.status), documented); }
    else if (RANGE.test(r.status)) ranges[Number(r.status[0])] ??= documented;
    else if (r.status === 'default') fallback ??= documented;
    else throw new SchemaError(`/responses/${escapePointer(r.status)}`, 'is not a status code, a range like 2XX, or default');
  }

  return {
    documented: op.responses.length > 0,
    unknownFormats: [...unknownFormats],
    check(_ctx, head, body, list) {
      const documented = exact.get(head.status) ?? ranges[Math.floor(head.status / 100)] ?? fallback;
      if (documented === undefined) {
        list.add('body', '', `status ${head.status} is not documented`);
        return;
      }
      if (documented.match === undefined || body.raw.length === 0) return;
      const contentType = contentTypeOf(head.headers);
      let media = documented.match(contentType);
      if (media === undefined) {
        if (options.checkContentType) {
          list.add('body', '', contentType === undefined ? 'has no content type' : 'has a content type not documented for its status');
          return;
        }
        media = body.isJson ? documented.json : undefined;
      }
      if (media?.validate === undefined) return;
      if (!body.isJson) {
        list.add('body', '', 'must be valid JSON');
        return;
      }
      if (!media.validate(body.value)) list.addAjvErrors(media.validate.errors, locateBody);
    },
  };
}
