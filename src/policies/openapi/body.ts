/**
 * An operation's request body, compiled once: whether one may be sent at all, which Content-Types
 * are documented, and a validator per documented JSON or form-urlencoded media type. JSON bodies
 * arrive parsed (ctx.body, by the pipeline's body step); form bodies are parsed here from
 * ctx.rawBody (form style, exploded; `encoding` is not read) and coerced like query parameters.
 * Other media types (multipart, binary, text) are checked for their Content-Type only.
 */
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type { RequestContext } from '../../core/context.js';
import type { ApiOperation } from '../../core/operation.js';
import { SchemaError } from './dialect.js';
import { essence, isJsonRange, mediaMatcher } from './body-media.js';
import { arrayProperties, planFor, type Coercer } from './parameters-coerce.js';
import { BAD_ENCODING, decodeForm, Fault, parsePairs, REPEATED } from './parameters-styles.js';
import { compileSchema, type ViolationIn, type ViolationList } from './validators.js';

/** Options of {@link compileBody}. */
export interface BodyOptions {
  /** Close object schemas (unknown properties refused). */
  readonly closeObjects: boolean;
  /** Most pairs read from a form body. */
  readonly maxFormPairs: number;
}

/** Why a request's body framing is refused before its content is looked at. */
export type BodyFraming = 'unexpected_body' | 'unsupported_media_type' | undefined;

/** The compiled request body of an operation. */
export interface BodyChecker {
  /** Whether the operation documents a request body (the route must then buffer bodies). */
  readonly documented: boolean;
  /** A body where none is documented, or a Content-Type that is not documented. */
  framing(ctx: RequestContext): BodyFraming;
  /** Adds the body's violations to `list` (after framing passed). */
  check(ctx: RequestContext, list: ViolationList): void;
  /** Formats the schemas use that the validator does not know (not checked). */
  readonly unknownFormats: readonly string[];
}

interface Media {
  readonly kind: 'json' | 'form' | 'other';
  readonly validate: ValidateFunction | undefined;
  /** Form bodies: how fields are read and coerced. */
  readonly form: FormPlan | undefined;
}

interface FormPlan {
  /** Fields whose schema is an array (they may repeat). */
  readonly arrays: ReadonlySet<string>;
  readonly coerce: Coercer;
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

const locateBody = (instancePath: string): readonly [ViolationIn, string] => ['body', instancePath];

/**
 * Whether a request carries a body, from its framing headers (for routes that do not buffer).
 *
 * @example
 * ```ts
 * announcesBody(ctx) // true for Content-Length: 12 or Transfer-Encoding: chunked
 * ```
 */
export function announcesBody(ctx: RequestContext): boolean {
  const length = ctx.req.headers['content-length'];
  if (length !== undefined) return length !== '0' && Number(length) !== 0;
  return ctx.req.headers['transfer-encoding'] !== undefined;
}

/**
 * Compiles an operation's request body. Throws SchemaError (pointer relative to the operation).
 *
 * @example
 * ```ts
 * const body = compileBody(operation, createValidatorAjv(), { closeObjects: true, maxFormPairs: 256 });
 * if (body.framing(ctx) === undefined) body.check(ctx, violations);
 * ```
 */
export function compileBody(op: ApiOperation, ajv: Ajv2020, options: BodyOptions): BodyChecker {
  const rb = op.requestBody;
  const unknownFormats = new Set<string>();
  if (rb === undefined) {
    return { documented: false, unknownFormats: [], framing: (ctx) => (announcesBody(ctx) ? 'unexpected_body' : undefined), check: () => undefined };
  }
  const entries = rb.content.map((m): readonly [string, Media] => {
    const kind = isJsonRange(m.mediaType) ? 'json' : essence(m.mediaType) === 'application/x-www-form-urlencoded' ? 'form' : 'other';
    if (kind === 'other' || m.schema === undefined) return [m.mediaType, { kind, validate: undefined, form: undefined }];
    try {
      const compiled = compileSchema(ajv, m.schema, { dialect: op.dialect, components: op.components, direction: 'request', closeObjects: options.closeObjects });
      for (const f of compiled.unknownFormats) unknownFormats.add(f);
      const form = kind === 'form' ? { arrays: arrayProperties(m.schema, op.components), coerce: planFor(m.schema, op.components).coerce } : undefined;
      return [m.mediaType, { kind, validate: compiled.validate, form }];
    } catch (error) {
      if (error instanceof SchemaError) throw new SchemaError(`/requestBody/content/${escapePointer(m.mediaType)}/schema${error.where}`, error.message);
      throw error;
    }
  });
  const match = mediaMatcher(entries);
  const hasBody = (ctx: RequestContext): boolean => (ctx.rawBody !== undefined ? ctx.rawBody.length > 0 : announcesBody(ctx));

  return {
    documented: true,
    unknownFormats: [...unknownFormats],
    framing(ctx) {
      if (!hasBody(ctx)) return undefined;
      return match(ctx.req.headers['content-type']) === undefined ? 'unsupported_media_type' : undefined;
    },
    check(ctx, list) {
      if (!hasBody(ctx)) {
        if (rb.required) list.add('body', '', 'is required');
        return;
      }
      const media = match(ctx.req.headers['content-type']);
      if (media === undefined || media.validate === undefined) return;
      if (media.kind === 'json') {
        if (ctx.body === undefined) {
          list.add('body', '', 'must be valid JSON');
          return;
        }
        if (!media.validate(ctx.body)) list.addAjvErrors(media.validate.errors, locateBody);
        return;
      }
      const form = readForm(ctx.rawBody, media.form!, options.maxFormPairs, list);
      if (form !== undefined && !media.validate(form)) list.addAjvErrors(media.validate.errors, locateBody);
    },
  };
}

/**
 * A form-urlencoded body as an object of coerced fields (a field documented as an array collects
 * every occurrence; any other field may come once). Undefined after a violation.
 */
function readForm(raw: Buffer | undefined, plan: FormPlan, maxPairs: number, list: ViolationList): Record<string, unknown> | undefined {
  const pairs = parsePairs(raw === undefined ? '' : raw.toString('utf8'), maxPairs);
  if (pairs instanceof Fault) {
    list.add('body', '', pairs.reason);
    return undefined;
  }
  const out = Object.create(null) as Record<string, unknown>;
  let ok = true;
  for (const [name, values] of pairs) {
    const pointer = `/${escapePointer(name)}`;
    const isArray = plan.arrays.has(name);
    if (!isArray && values.length > 1) {
      list.add('body', pointer, REPEATED.reason);
      ok = false;
      continue;
    }
    const decoded: string[] = [];
    for (const v of values) {
      const d = decodeForm(v);
      if (d === undefined) break;
      decoded.push(d);
    }
    if (decoded.length < values.length) {
      list.add('body', pointer, BAD_ENCODING.reason);
      ok = false;
      continue;
    }
    out[name] = isArray ? decoded : decoded[0];
  }
  return ok ? (plan.coerce(out) as Record<string, unknown>) : undefined;
}
