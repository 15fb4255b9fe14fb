/**
 * An operation's parameters, compiled once: how each is read (style, explode, shape), coerced
 * (strictly) and validated (one Ajv validator per parameter). Per request: path values from the
 * router, the query string split once, headers, the Cookie header split once when a cookie
 * parameter is documented.
 *
 * Beyond the schemas: a parameter that takes one value and comes twice is a violation (parameter
 * pollution: the gateway would check one value and the upstream might use the other), and so is
 * bracket notation on a documented query parameter that is not a deepObject (`limit[$gt]=0`, which
 * qs-style parsers turn into an object the gateway never checked).
 */
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type { RequestContext } from '../../core/context.js';
import type { ApiOperation, OperationParameter } from '../../core/operation.js';
import { SchemaError } from './dialect.js';
import { isJsonRange } from './body-media.js';
import { planFor, type Coercer, type ParamPlan, type ParamShape } from './parameters-coerce.js';
import { decodeCookie, Fault, fromLabel, fromMatrix, fromSimple, parseCookies, parsePairs, readQuery, type Pairs, type QueryReader, type RawValue } from './parameters-styles.js';
import { compileSchema, type ViolationIn, type ViolationList } from './validators.js';

/** Header parameters OpenAPI says to ignore (the protocol defines them). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

const VALID_STYLES: Readonly<Record<OperationParameter['in'], readonly string[]>> = {
  path: ['simple', 'label', 'matrix'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
};

/** Options of {@link compileParameters}. */
export interface ParameterOptions {
  /** Most pairs read from the query string (and cookies). */
  readonly maxQueryPairs: number;
  /** Undocumented query parameters are violations. */
  readonly rejectUnknownQueryParams: boolean;
}

/** The compiled parameters of an operation. */
export interface ParameterChecker {
  /** Whether the operation documents any parameter (or unknown ones are refused). */
  readonly active: boolean;
  /** Adds every parameter violation of the request to `list`. */
  check(ctx: RequestContext, list: ViolationList): void;
  /** Formats the schemas use that the validator does not know (not checked). */
  readonly unknownFormats: readonly string[];
}

interface Compiled {
  readonly p: OperationParameter;
  readonly key: string;
  readonly shape: ParamShape;
  readonly coerce: Coercer;
  readonly validate: ValidateFunction | undefined;
  readonly locate: (instancePath: string) => readonly [ViolationIn, string];
  readonly pointer: string;
  /** How to read it from query or cookie pairs. */
  readonly reader: QueryReader;
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');
const NOT_JSON = new Fault('must be valid JSON');

/** A parameter given with `content`: one string, parsed when its media type is JSON. */
function contentPlan(mediaType: string): ParamPlan {
  const json = isJsonRange(mediaType);
  return {
    shape: { kind: 'primitive' },
    coerce: (v) => {
      if (!json || typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return NOT_JSON;
      }
    },
  };
}

/**
 * Compiles an operation's parameters. Throws SchemaError (pointer relative to the operation) when
 * a parameter's schema or style cannot be used.
 *
 * @example
 * ```ts
 * const params = compileParameters(operation, createValidatorAjv(), { maxQueryPairs: 256, rejectUnknownQueryParams: false });
 * params.check(ctx, violations);
 * ```
 */
export function compileParameters(op: ApiOperation, ajv: Ajv2020, options: ParameterOptions): ParameterChecker {
  const byIn: Record<OperationParameter['in'], Compiled[]> = { path: [], query: [], header: [], cookie: [] };
  const unknownFormats = new Set<string>();
  op.parameters.forEach((p, i) => {
    const where = `/parameters/${i}`;
    if (p.in === 'header' && IGNORED_HEADERS.has(p.name.toLowerCase())) return;
    if (!VALID_STYLES[p.in].includes(p.style)) throw new SchemaError(`${where}/style`, `style ${p.style} is not valid for a ${p.in} parameter`);
    let validate: ValidateFunction | undefined;
    // A parameter given with a non-JSON media type is checked for presence only.
    if (p.schema !== undefined && (p.mediaType === undefined || isJsonRange(p.mediaType))) {
      try {
        const compiled = compileSchema(ajv, p.schema, { dialect: op.dialect, components: op.components, direction: 'request', closeObjects: false });
        validate = compiled.validate;
        for (const f of compiled.unknownFormats) unknownFormats.add(f);
      } catch (error) {
        if (error instanceof SchemaError) throw new SchemaError(`${where}/schema${error.where}`, error.message);
        throw error;
      }
    }
    const plan = p.mediaType === undefined ? planFor(p.schema, op.components) : contentPlan(p.mediaType);
    const pointer = `/${escapePointer(p.name)}`;
    const where2: ViolationIn = p.in;
    byIn[p.in].push({
      p, key: p.in === 'header' ? p.name.toLowerCase() : p.name, shape: plan.shape, coerce: plan.coerce, validate, pointer,
      locate: (instancePath) => [where2, `${pointer}${instancePath}`],
      reader: { name: p.name, style: p.in === 'query' ? (p.style as QueryReader['style']) : 'form', explode: p.explode, shape: plan.shape },
    });
  });
  const { path, query, header, cookie } = byIn;
  const queryStyles = new Map(query.map((c) => [c.p.name, c.p.style]));
  const used = new Set<string>();
  const active = path.length + query.length + header.length + cookie.length > 0 || options.rejectUnknownQueryParams;

  const accept = (c: Compiled, value: RawValue | Fault | undefined, list: ViolationList): void => {
    if (value === undefined) {
      if (c.p.required) list.add(c.p.in, c.pointer, 'is required');
      return;
    }
    if (value instanceof Fault) {
      list.add(c.p.in, c.pointer, value.reason);
      return;
    }
    if (c.validate === undefined) return;
    const coerced = c.coerce(value);
    if (coerced instanceof Fault) list.add(c.p.in, c.pointer, coerced.reason);
    else if (!c.validate(coerced)) list.addAjvErrors(c.validate.errors, c.locate);
  };

  const checkQuery = (ctx: RequestContext, list: ViolationList): void => {
    if (ctx.query === '') {
      for (const c of query) if (c.p.required) list.add('query', c.pointer, 'is required');
      return;
    }
    const pairs = parsePairs(ctx.query, options.maxQueryPairs);
    if (pairs instanceof Fault) {
      list.add('query', '', pairs.reason);
      return;
    }
    used.clear();
    for (const c of query) accept(c, readQuery(pairs, c.reader, used), list);
    for (const key of pairs.keys()) {
      const bracket = key.indexOf('[');
      if (bracket > 0) {
        const base = key.slice(0, bracket);
        const style = queryStyles.get(base);
        if (style !== undefined && style !== 'deepObject') list.add('query', `/${escapePointer(base)}`, 'must not use bracket notation');
      }
      if (options.rejectUnknownQueryParams && !used.has(key)) list.add('query', `/${escapePointer(key)}`, 'unknown query parameter');
    }
  };

  const checkCookies = (ctx: RequestContext, list: ViolationList): void => {
    const header = ctx.req.headers.cookie;
    const pairs: Pairs | Fault = header === undefined ? new Map() : parseCookies(header, options.maxQueryPairs);
    if (pairs instanceof Fault) {
      list.add('cookie', '', pairs.reason);
      return;
    }
    used.clear();
    for (const c of cookie) accept(c, readQuery(pairs, c.reader, used, decodeCookie), list);
  };

  return {
    active,
    unknownFormats: [...unknownFormats],
    check(ctx, list) {
      for (const c of path) {
        const raw = ctx.params[c.p.name];
        accept(c, raw === undefined ? undefined : c.p.style === 'label' ? fromLabel(raw, c.shape, c.p.explode) : c.p.style === 'matrix' ? fromMatrix(raw, c.p.name, c.shape, c.p.explode) : fromSimple(raw, c.shape, c.p.explode), list);
      }
      if (query.length > 0 || options.rejectUnknownQueryParams) checkQuery(ctx, list);
      for (const c of header) {
        const raw = ctx.req.headers[c.key];
        accept(c, raw === undefined ? undefined : fromSimple(Array.isArray(raw) ? raw.join(', ') : raw, c.shape, c.p.explode, true), list);
      }
      if (cookie.length > 0) checkCookies(ctx, list);
    },
  };
}
