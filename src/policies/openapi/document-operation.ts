/**
 * One OpenAPI operation (method + path) read into an ApiOperation: parameters merged with the
 * path item's, request body, responses, effective security, lifecycle dates.
 */
import type { ApiOperation, OperationMethod, OperationRequestBody, OperationResponse } from '../../core/operation.js';
import { child, show, type Where } from './document-problems.js';
import type { PathTemplate } from './document-paths.js';
import { bool, mergeParameters, readContent, readParameterList, readSecurity, type ParameterEntry, type ReadContext } from './document-parameters.js';
import { isMapping } from './refs-pointer.js';

/** What an operation inherits from its document and path item. */
export interface OperationScope {
  /** The path key as written, and its parsed template. */
  readonly path: string;
  readonly template: PathTemplate;
  /** The path item's parameters, and the component schemas their schemas name. */
  readonly pathParameters: readonly ParameterEntry[];
  readonly pathComponents: ReadonlySet<string>;
  /** The root `security`, when the document declares one. */
  readonly rootSecurity: ReadonlyArray<Readonly<Record<string, readonly string[]>>> | undefined;
  /** Names under components.securitySchemes. */
  readonly schemes: ReadonlySet<string>;
}

const STATUS = /^(default|[1-5]XX|[1-5][0-9]{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Reads the operation `value` found at `where` (its pointer in the first document is `pointer`).
 * Problems go to `ctx.problems`; the result is undefined only when `value` is not a mapping.
 *
 * @example
 * ```ts
 * const op = readOperation('post', item.post, child(itemWhere, 'post'), '/paths/~1tasks/post', scope, ctx);
 * ```
 */
export function readOperation(method: OperationMethod, value: unknown, where: Where, pointer: string, scope: OperationScope, ctx: ReadContext): ApiOperation | undefined {
  const problems = ctx.problems;
  if (!isMapping(value)) return void problems.add(where, 'an operation must be a mapping');
  const comps = new Set<string>(scope.pathComponents);
  const operationId = optionalString(value, 'operationId', where, ctx);
  const summary = optionalString(value, 'summary', where, ctx);
  let tags: string[] = [];
  if (value.tags !== undefined) {
    if (Array.isArray(value.tags) && value.tags.every((t) => typeof t === 'string')) tags = value.tags;
    else problems.add(child(where, 'tags'), 'tags must be a list of strings');
  }
  const deprecated = bool(value, 'deprecated', where, problems) ?? false;
  const deprecatedAt = optionalDate(value, 'x-deprecated-at', where, ctx);
  const sunset = optionalDate(value, 'x-sunset', where, ctx);

  const own = value.parameters === undefined ? [] : readParameterList(value.parameters, child(where, 'parameters'), ctx, comps);
  const parameters = mergeParameters(scope.pathParameters, own);
  checkPathParameters(parameters, scope, where, ctx);

  let requestBody: OperationRequestBody | undefined;
  if (value.requestBody !== undefined) requestBody = readRequestBody(value.requestBody, child(where, 'requestBody'), ctx, comps);
  let responses: OperationResponse[] = [];
  if (value.responses !== undefined) responses = readResponses(value.responses, child(where, 'responses'), ctx, comps);
  else if (ctx.dialect === '3.0') problems.add(where, 'responses is required in OpenAPI 3.0');
  const security = value.security !== undefined ? readSecurity(value.security, child(where, 'security'), problems, scope.schemes) : scope.rootSecurity;

  return {
    method,
    path: scope.path,
    operationId,
    tags,
    summary,
    deprecated,
    deprecatedAt,
    sunset,
    parameters: parameters.map((e) => e.param),
    requestBody,
    responses,
    security,
    dialect: ctx.dialect,
    components: ctx.refs.components(comps),
    pointer,
  };
}

// Every {name} of the template needs an `in: path` parameter, and every path parameter a {name}.
function checkPathParameters(parameters: readonly ParameterEntry[], scope: OperationScope, where: Where, ctx: ReadContext): void {
  const declared = new Set<string>();
  for (const { param, where: at } of parameters) {
    if (param.in !== 'path') continue;
    declared.add(param.name);
    if (!scope.template.params.includes(param.name)) ctx.problems.add(at, `path parameter ${show(param.name)} does not appear in the path template ${show(scope.path)}`);
  }
  for (const name of scope.template.params) {
    if (!declared.has(name)) ctx.problems.add(where, `path parameter {${name}} of the template is not declared (add a parameter with in: path and name: ${name})`);
  }
}

function readRequestBody(raw: unknown, where: Where, ctx: ReadContext, comps: Set<string>): OperationRequestBody | undefined {
  const found = ctx.refs.follow(raw, where);
  if (found === undefined) return undefined;
  const { value, where: at } = found;
  if (!isMapping(value)) return void ctx.problems.add(at, 'requestBody must be a mapping');
  const required = bool(value, 'required', at, ctx.problems) ?? false;
  const content = readContent(value.content, child(at, 'content'), ctx, comps);
  return { required, content };
}

function readResponses(raw: unknown, where: Where, ctx: ReadContext, comps: Set<string>): OperationResponse[] {
  if (!isMapping(raw)) {
    ctx.problems.add(where, 'responses must be a mapping of status codes');
    return [];
  }
  const out: OperationResponse[] = [];
  for (const [status, response] of Object.entries(raw)) {
    if (status.startsWith('x-')) continue;
    const at = child(where, status);
    if (!STATUS.test(status)) {
      ctx.problems.add(at, `${show(status)} is not a response status (like 200, 2XX or default)`);
      continue;
    }
    const found = ctx.refs.follow(response, at);
    if (found === undefined) continue;
    if (!isMapping(found.value)) {
      ctx.problems.add(found.where, 'a response must be a mapping');
      continue;
    }
    const content = found.value.content === undefined ? [] : readContent(found.value.content, child(found.where, 'content'), ctx, comps);
    out.push({ status, content });
  }
  return out;
}

function optionalString(obj: Record<string, unknown>, key: string, where: Where, ctx: ReadContext): string | undefined {
  const value = obj[key];
  if (value === undefined || !Object.hasOwn(obj, key)) return undefined;
  if (typeof value === 'string') return value;
  ctx.problems.add(child(where, key), `${key} must be a string`);
  return undefined;
}

// `x-deprecated-at` / `x-sunset`: an RFC 3339 full-date or date-time that exists on the calendar.
function optionalDate(obj: Record<string, unknown>, key: string, where: Where, ctx: ReadContext): string | undefined {
  const value = optionalString(obj, key, where, ctx);
  if (value === undefined) return undefined;
  const time = DATE_TIME.exec(value);
  const date = time === null ? value : time[1]!;
  const day = DATE.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  // Date.parse rolls 2026-02-30 over to March: the round trip catches days that do not exist.
  const valid = !Number.isNaN(day)
    && new Date(day).toISOString().slice(0, 10) === date
    && (time === null || (Number(time[2]) < 24 && Number(time[3]) < 60 && Number(time[4]) < 61 && Number(time[7] ?? 0) < 24 && Number(time[8] ?? 0) < 60));
  if (valid) return value;
  ctx.problems.add(child(where, key), `${key} must be an RFC 3339 date (2026-06-30) or date-time (2026-06-30T00:00:00Z)`);
  return undefined;
}
