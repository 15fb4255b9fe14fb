/**
 * Parameters, media types and security requirements of an OpenAPI operation, read into the plain
 * shapes of core/operation.ts with the spec's defaults filled in.
 */
import type { OperationMedia, OperationParameter } from '../../core/operation.js';
import { child, show, type Problems, type Where } from './document-problems.js';
import { isMapping } from './refs-pointer.js';
import type { RefResolver } from './refs.js';

/** What the readers share while loading one document. */
export interface ReadContext {
  readonly problems: Problems;
  readonly refs: RefResolver;
  readonly dialect: '3.0' | '3.1';
}

/** A parameter and where it is defined (after its $ref), for messages. */
export interface ParameterEntry {
  readonly param: OperationParameter;
  readonly where: Where;
}

type In = OperationParameter['in'];
type Style = OperationParameter['style'];

const STYLES: Readonly<Record<In, readonly Style[]>> = {
  path: ['simple', 'label', 'matrix'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
};
const DEFAULT_STYLE: Readonly<Record<In, Style>> = { path: 'simple', query: 'form', header: 'simple', cookie: 'form' };
// The spec says these header parameters "SHALL be ignored": the request's own headers rule.
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const HEADER_NAME = new RegExp(`^${TOKEN}$`);
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\]*"))*$`);
/** Most parameters one operation may have. */
const MAX_PARAMETERS = 256;

/**
 * Identity of a parameter: name + location (header names without case).
 *
 * @example
 * ```ts
 * parameterKey({ name: 'X-Id', in: 'header' }) // 'header:x-id'
 * ```
 */
export function parameterKey(p: Pick<OperationParameter, 'name' | 'in'>): string {
  return `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
}

/**
 * Reads a `parameters` list (path item or operation). Header parameters named Accept,
 * Content-Type or Authorization are dropped, as the spec says; duplicates are refused.
 *
 * @example
 * ```ts
 * const params = readParameterList(item.parameters, child(where, 'parameters'), ctx, comps);
 * ```
 */
export function readParameterList(value: unknown, where: Where, ctx: ReadContext, comps: Set<string>): ParameterEntry[] {
  if (!Array.isArray(value)) {
    ctx.problems.add(where, 'parameters must be a list');
    return [];
  }
  if (value.length > MAX_PARAMETERS) ctx.problems.add(where, `more than ${MAX_PARAMETERS} parameters`);
  const out: ParameterEntry[] = [];
  const seen = new Set<string>();
  value.slice(0, MAX_PARAMETERS).forEach((raw, i) => {
    const entry = readParameter(raw, child(where, i), ctx, comps);
    if (entry === undefined) return;
    const key = parameterKey(entry.param);
    if (seen.has(key)) ctx.problems.add(child(where, i), `parameter ${show(entry.param.name)} in ${entry.param.in} is listed twice`);
    seen.add(key);
    out.push(entry);
  });
  return out;
}

/**
 * Path-item parameters overridden by the operation's (same name + in), in document order.
 *
 * @example
 * ```ts
 * mergeParameters(pathItemParams, operationParams)
 * ```
 */
export function mergeParameters(base: readonly ParameterEntry[], own: readonly ParameterEntry[]): ParameterEntry[] {
  const merged = new Map<string, ParameterEntry>();
  for (const entry of base) merged.set(parameterKey(entry.param), entry);
  for (const entry of own) merged.set(parameterKey(entry.param), entry);
  return [...merged.values()];
}

function readParameter(raw: unknown, where: Where, ctx: ReadContext, comps: Set<string>): ParameterEntry | undefined {
  const found = ctx.refs.follow(raw, where);
  if (found === undefined) return undefined;
  const { value: p, where: at } = found;
  const problems = ctx.problems;
  if (!isMapping(p)) return void problems.add(at, 'a parameter must be a mapping');
  const name = p.name;
  const place = p.in;
  if (typeof name !== 'string' || name === '') return void problems.add(child(at, 'name'), 'name must be a non-empty string');
  if (place !== 'path' && place !== 'query' && place !== 'header' && place !== 'cookie') return void problems.add(child(at, 'in'), 'in must be path, query, header or cookie');
  if (place === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) return undefined;
  if ((place === 'header' || place === 'cookie') && !HEADER_NAME.test(name)) problems.add(child(at, 'name'), `${show(name)} is not a valid ${place} name`);

  const required = bool(p, 'required', at, problems);
  if (place === 'path' && required === false) problems.add(child(at, 'required'), 'a path parameter is always required (required: true)');
  let style = DEFAULT_STYLE[place];
  if (p.style !== undefined) {
    const allowed = STYLES[place];
    if (typeof p.style === 'string' && (allowed as readonly string[]).includes(p.style)) style = p.style as Style;
    else problems.add(child(at, 'style'), `style ${typeof p.style === 'string' ? show(p.style) : '(not a string)'} is not allowed for a ${place} parameter (allowed: ${allowed.join(', ')})`);
  }
  const explode = bool(p, 'explode', at, problems) ?? style === 'form';
  const allowReserved = bool(p, 'allowReserved', at, problems) ?? false;
  const deprecated = bool(p, 'deprecated', at, problems) ?? false;

  const hasSchema = Object.hasOwn(p, 'schema');
  const hasContent = Object.hasOwn(p, 'content');
  let schema: Readonly<Record<string, unknown>> | undefined;
  let mediaType: string | undefined;
  if (hasSchema === hasContent) {
    problems.add(at, hasSchema ? 'a parameter must have either schema or content, not both' : 'a parameter must have a schema or a content');
  } else if (hasSchema) {
    schema = ctx.refs.schema(p.schema, child(at, 'schema'), comps);
  } else {
    const content = readContent(p.content, child(at, 'content'), ctx, comps);
    if (content.length !== 1 && isMapping(p.content)) problems.add(child(at, 'content'), 'a parameter\'s content must have exactly one media type');
    mediaType = content[0]?.mediaType;
    schema = content[0]?.schema;
  }
  const param: OperationParameter = {
    name,
    in: place,
    required: place === 'path' ? true : (required ?? false),
    style,
    explode,
    allowReserved: place === 'query' && allowReserved,
    schema,
    deprecated,
    ...(mediaType === undefined ? {} : { mediaType }),
  };
  return { param, where: at };
}

/**
 * Reads a `content` map (request body, response or parameter): media type keys must be
 * well-formed and distinct without case; each schema is resolved.
 *
 * @example
 * ```ts
 * readContent({ 'application/json': { schema: { type: 'object' } } }, where, ctx, comps)
 * // [{ mediaType: 'application/json', schema: { type: 'object' } }]
 * ```
 */
export function readContent(value: unknown, where: Where, ctx: ReadContext, comps: Set<string>): OperationMedia[] {
  if (!isMapping(value)) {
    ctx.problems.add(where, 'content must be a mapping of media types');
    return [];
  }
  const out: OperationMedia[] = [];
  const seen = new Set<string>();
  for (const [mediaType, media] of Object.entries(value)) {
    const at = child(where, mediaType);
    const m = mediaType.length <= 255 ? MEDIA_TYPE.exec(mediaType) : null;
    if (m === null || (m[1] === '*' && m[2] !== '*')) {
      ctx.problems.add(at, `${show(mediaType)} is not a media type (type/subtype, like application/json or text/*)`);
      continue;
    }
    const lower = mediaType.toLowerCase();
    if (seen.has(lower)) ctx.problems.add(at, `media type ${show(mediaType)} is listed twice (media types ignore case)`);
    seen.add(lower);
    if (!isMapping(media)) {
      ctx.problems.add(at, 'a media type entry must be a mapping (use {} for one without a schema)');
      continue;
    }
    const schema = Object.hasOwn(media, 'schema') ? ctx.refs.schema(media.schema, child(at, 'schema'), comps) : undefined;
    out.push({ mediaType, schema });
  }
  return out;
}

/**
 * Reads a list of security requirements; every scheme must be declared in
 * `components.securitySchemes`.
 *
 * @example
 * ```ts
 * readSecurity([{ oauth: ['tasks:write'] }], where, problems, new Set(['oauth']))
 * ```
 */
export function readSecurity(value: unknown, where: Where, problems: Problems, schemes: ReadonlySet<string>): Array<Record<string, readonly string[]>> {
  if (!Array.isArray(value)) {
    problems.add(where, 'security must be a list of security requirements');
    return [];
  }
  const out: Array<Record<string, readonly string[]>> = [];
  value.forEach((req, i) => {
    const at = child(where, i);
    if (!isMapping(req)) return problems.add(at, 'a security requirement must be a mapping of scheme names to scope lists');
    for (const [scheme, scopes] of Object.entries(req)) {
      if (!schemes.has(scheme)) problems.add(child(at, scheme), `security scheme ${show(scheme)} is not defined in components.securitySchemes`);
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) problems.add(child(at, scheme), 'scopes must be a list of strings');
    }
    out.push(Object.fromEntries(Object.entries(req).map(([k, v]) => [k, Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []])));
  });
  return out;
}

/** An optional boolean field: its value, undefined when absent, a problem when not a boolean. */
export function bool(obj: Record<string, unknown>, key: string, where: Where, problems: Problems): boolean | undefined {
  const value = obj[key];
  if (value === undefined || !Object.hasOwn(obj, key)) return undefined;
  if (typeof value !== 'boolean') problems.add(child(where, key), `${key} must be true or false`);
  return typeof value === 'boolean' ? value : undefined;
}
