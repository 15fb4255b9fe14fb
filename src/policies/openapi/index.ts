/**
 * openapi: request and response validation against the route's OpenAPI operation (OWASP
 * API3:2023 mass assignment and excessive data exposure, API8:2023 misconfiguration, and the
 * first line against injection: a value that must be an integer cannot carry SQL).
 *
 * Requests: a body where the operation documents none is 400 `openapi.unexpected_body`; an
 * undocumented Content-Type is 415 `openapi.unsupported_media_type`; then every parameter (path,
 * query, header, cookie, with their OpenAPI styles, coerced strictly) and the body (JSON, or
 * form-urlencoded) are validated and EVERY violation is listed in one 400
 * `openapi.invalid_request` (bounded by maxViolations): pointer, part, reason, never the value.
 * Properties marked readOnly may not be sent (the server owns `id`, `ownerId`, `createdAt`), and
 * on writes properties the schema does not declare are refused.
 *
 * Responses: the status must be documented (exact, `2XX`, `default`), the Content-Type one of its
 * media types, a JSON body valid against its schema with writeOnly properties absent. Enforced, a
 * mismatch is 502 `openapi.invalid_response` and nothing of the upstream's body is sent; the
 * violations go to the log only.
 *
 * `monitor` (per direction) logs `openapi_violation` and forwards. Either way each mismatch is
 * published on the validation channel, so metrics count what was or would have been refused.
 *
 * Every schema is turned into JSON Schema 2020-12 (dialect.ts) and compiled once, in compile(),
 * with one Ajv instance per operation; a request pays for lookups and the validators only.
 */
import { configError } from '../../core/config-error.js';
import { getChannels, type ValidationMessage } from '../../core/channels.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type ResponseBodyHandler } from '../../core/policy.js';
import type { Denial } from '../../core/problem.js';
import { compileBody } from './body.js';
import { SchemaError } from './dialect.js';
import { compileParameters } from './parameters.js';
import { compileResponses } from './response.js';
import { OpenApiSchema, type OpenApiConfig } from './schema.js';
import { createValidatorAjv, ViolationList } from './validators.js';

export { OpenApiSchema, JsonBoundsSchema, VALIDATION_MODES, type OpenApiConfig, type ValidationMode } from './schema.js';
export { normaliseSchema, SchemaError, FORBIDDEN_KEYWORDS, type NormaliseOptions, type NormalisedSchema } from './dialect.js';
export { ViolationList, reasonOf, createValidatorAjv, MAX_POINTER_LENGTH } from './validators.js';

/** Methods whose request bodies are writes (unknown properties refused under `writes`). */
const WRITE_METHODS = new Set(['post', 'put', 'patch']);

/**
 * The openapi policy. The config compiler adds it to routes generated from the OpenAPI document
 * (compile() needs `env.operation`).
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     openapi: { request: enforce, response: monitor }   # monitor responses while rolling out
 * ```
 */
export default definePolicy({
  name: 'openapi',
  phase: 'validate',
  perRoute: true,
  description: 'Request and response validation against the route\'s OpenAPI operation: parameters and their styles, Content-Type, bodies (readOnly properties refused, unknown ones on writes), documented response statuses and schemas.',
  schema: OpenApiSchema,
  errors: {
    invalid_request: {
      status: 400,
      title: 'Bad Request',
      description: 'The request does not match the API\'s OpenAPI description. `errors` lists every violation (up to openapi.maxViolations): `in` (path, query, header, cookie, body), a JSON pointer within it, and the reason (a missing or malformed parameter, a body property that is too long, unknown, or read-only and set by the server). Values are never echoed. Fix them all and retry.',
    },
    unexpected_body: {
      status: 400,
      title: 'Bad Request',
      description: 'The request carries a body (Content-Length above 0 or Transfer-Encoding) but the operation documents none. Send it without a body.',
    },
    unsupported_media_type: {
      status: 415,
      title: 'Unsupported Media Type',
      description: 'The request body\'s Content-Type (or its absence) is not one of the media types the operation documents for its request body. Send one of those (parameters such as charset do not matter).',
    },
    invalid_response: {
      status: 502,
      title: 'Bad Gateway',
      description: 'The upstream\'s response does not match the API\'s OpenAPI description (an undocumented status or Content-Type, or a body that breaks its schema or carries write-only properties), so nothing of it was sent. The violations are in the gateway\'s log (event openapi_violation) under the request id.',
    },
  },
  compile: compileOpenApi,
});

function compileOpenApi(config: OpenApiConfig, env: CompileEnv): CompiledPolicy {
  const op = env.operation;
  if (op === undefined) throw configError([], 'the openapi policy applies only to routes generated from the OpenAPI document');
  const ajv = createValidatorAjv();
  const closeRequests = config.rejectUnknownProperties === 'always' || (config.rejectUnknownProperties === 'writes' && WRITE_METHODS.has(op.method));
  let built;
  try {
    built = {
      params: config.request === 'off' ? undefined : compileParameters(op, ajv, { maxQueryPairs: config.maxQueryPairs, rejectUnknownQueryParams: config.rejectUnknownQueryParams }),
      body: config.request === 'off' ? undefined : compileBody(op, ajv, { closeObjects: closeRequests, maxFormPairs: config.maxQueryPairs }),
      responses: config.response === 'off' ? undefined : compileResponses(op, ajv, { closeObjects: config.rejectUnknownProperties === 'always', checkContentType: config.checkResponseContentType }),
    };
  } catch (error) {
    if (error instanceof SchemaError) throw configError([], `${op.pointer}${error.where}: the schema cannot be used: ${error.message}`);
    throw error;
  }
  const { params, body, responses } = built;
  const unknown = new Set([...(params?.unknownFormats ?? []), ...(body?.unknownFormats ?? []), ...(responses?.unknownFormats ?? [])]);
  for (const format of unknown) env.warn([], `${op.pointer}: format '${format}' is unknown to the validator and is not checked`);
  if (responses !== undefined && !responses.documented) env.warn(['response'], `${op.pointer} documents no responses: responses are not checked`);

  const channel = getChannels().validation;
  const publish = (ctx: RequestContext, kind: 'request' | 'response', refused: boolean, violations: number): void => {
    if (channel.hasSubscribers) channel.publish({ ctx, policy: 'openapi', kind, refused, violations } satisfies ValidationMessage);
  };
  const report = (ctx: RequestContext, kind: 'request' | 'response', refused: boolean, list: ViolationList): void => {
    env.logger.warn({ event: 'openapi_violation', kind, refused, route: env.routeName, requestId: ctx.requestId, method: ctx.method, count: list.count, violations: list.items },
      `${kind} does not match the OpenAPI operation ${op.pointer}${refused ? '' : ' (monitor: forwarded)'}`);
  };
  const max = config.maxViolations;
  const framingDenials = { unexpected_body: env.deny('unexpected_body'), unsupported_media_type: env.deny('unsupported_media_type') } as const;
  const framingReasons = { unexpected_body: 'a body is not documented for this operation', unsupported_media_type: 'the content type is not documented for this operation' } as const;
  const requestEnforced = config.request === 'enforce';

  const onRequest = params === undefined || body === undefined ? undefined : (ctx: RequestContext): Denial | undefined => {
    const framing = body.framing(ctx);
    if (framing !== undefined) {
      publish(ctx, 'request', requestEnforced, 1);
      if (requestEnforced) return framingDenials[framing];
      const list = new ViolationList(max);
      list.add('body', '', framingReasons[framing]);
      report(ctx, 'request', false, list);
      return undefined;
    }
    const list = new ViolationList(max);
    if (params.active) params.check(ctx, list);
    body.check(ctx, list);
    if (list.count === 0) return undefined;
    publish(ctx, 'request', requestEnforced, list.count);
    if (!requestEnforced) {
      report(ctx, 'request', false, list);
      return undefined;
    }
    const listed = list.items.length < list.count ? `, the first ${list.items.length} listed` : '';
    return env.deny('invalid_request', { detail: `The request does not match the API's OpenAPI description: ${list.count} ${list.count === 1 ? 'violation' : 'violations'}${listed}.`, errors: list.items });
  };

  const responseEnforced = config.response === 'enforce';
  const invalidResponse = env.deny('invalid_response');
  const onResponseBody: ResponseBodyHandler | undefined = responses === undefined || !responses.documented ? undefined : (ctx, head, responseBody) => {
    const list = new ViolationList(max);
    responses.check(ctx, head, responseBody, list);
    if (list.count === 0) return undefined;
    publish(ctx, 'response', responseEnforced, list.count);
    report(ctx, 'response', responseEnforced, list);
    return responseEnforced ? invalidResponse : undefined;
  };

  const jsonLimits = Object.keys(config.json).length > 0 ? config.json : undefined;
  return {
    onRequest,
    onResponseBody,
    requestBody: body?.documented === true ? 'json' : undefined,
    jsonLimits,
  };
}
