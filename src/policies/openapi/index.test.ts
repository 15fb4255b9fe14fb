import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { CHANNELS, type ValidationMessage } from '../../core/channels.js';
import { ConfigError } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import type { ApiOperation } from '../../core/operation.js';
import type { CompiledPolicy, CompileEnv } from '../../core/policy.js';
import { problemBody, type Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy, { OpenApiSchema, type OpenApiConfig } from './index.js';

const fill = new Ajv({ useDefaults: true, strict: false }).compile(OpenApiSchema);

function config(overrides: Partial<OpenApiConfig> = {}): OpenApiConfig {
  const c = structuredClone(overrides) as OpenApiConfig;
  assert.equal(fill(c), true);
  return c;
}

/** The demo's POST /api/v1/tasks, as the loader would hand it over. */
function createTask(overrides: Partial<ApiOperation> = {}): ApiOperation {
  return {
    method: 'post', path: '/api/v1/tasks', operationId: 'createTask', tags: ['tasks'], summary: 'Create a task', deprecated: false, deprecatedAt: undefined, sunset: undefined,
    parameters: [{ name: 'notify', in: 'query', required: false, style: 'form', explode: true, allowReserved: false, schema: { type: 'boolean' }, deprecated: false }],
    requestBody: { required: true, content: [{ mediaType: 'application/json', schema: { $ref: '#/components/schemas/Task' } }] },
    responses: [{ status: '201', content: [{ mediaType: 'application/json', schema: { $ref: '#/components/schemas/Task' } }] }],
    security: undefined, dialect: '3.1', pointer: '/paths/~1api~1v1~1tasks/post',
    components: {
      Task: {
        type: 'object',
        required: ['id', 'title', 'ownerId'],
        properties: {
          id: { type: 'string', readOnly: true },
          ownerId: { type: 'string', readOnly: true },
          createdAt: { type: 'string', format: 'date-time', readOnly: true },
          title: { type: 'string', minLength: 1, maxLength: 200, example: 'Write the report' },
          description: { type: 'string', maxLength: 2000 },
          priority: { type: 'string', enum: ['low', 'normal', 'high'], default: 'normal' },
          dueDate: { type: 'string', format: 'date' },
        },
      },
    },
    ...overrides,
  };
}

interface Harness {
  readonly compiled: CompiledPolicy;
  readonly warnings: string[];
  readonly logs: Array<Record<string, unknown>>;
}

function compile(op: ApiOperation | undefined, overrides: Partial<OpenApiConfig> = {}, env: Partial<CompileEnv> = {}): Harness {
  const warnings: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const compiled = policy.compile(config(overrides), compileEnvFor(policy, { ...(op === undefined ? {} : { operation: op }), logger, warn: (path, message) => warnings.push(path.length === 0 ? message : `${path.join('.')}: ${message}`), ...env }));
  return { compiled, warnings, logs };
}

interface Send {
  readonly method?: string;
  readonly query?: string;
  readonly headers?: Record<string, string>;
  /** A JSON body (parsed as the body step would). */
  readonly json?: unknown;
  /** A raw body that is not parsed. */
  readonly raw?: string;
}

function send(h: Harness, s: Send = {}): { denial: Denial | undefined; ctx: RequestContext } {
  const headers: Record<string, string> = { ...(s.json !== undefined ? { 'content-type': 'application/json' } : {}), ...s.headers };
  const bytes = s.json !== undefined ? JSON.stringify(s.json) : s.raw;
  if (bytes !== undefined) headers['content-length'] ??= String(Buffer.byteLength(bytes));
  const ctx = fakeContext({ method: s.method ?? 'POST', url: `/api/v1/tasks${s.query === undefined ? '' : `?${s.query}`}`, headers });
  if (bytes !== undefined) ctx.rawBody = Buffer.from(bytes);
  if (s.json !== undefined) ctx.body = structuredClone(s.json);
  const out = h.compiled.onRequest?.(ctx);
  assert.ok(!(out instanceof Promise), 'expected a synchronous answer');
  return { denial: out ?? undefined, ctx };
}

function problem(denial: Denial | undefined): Record<string, unknown> {
  assert.ok(denial, 'expected a denial');
  return JSON.parse(problemBody(denial, 'r1')) as Record<string, unknown>;
}

function errorsOf(denial: Denial | undefined): string[] {
  return (problem(denial)['errors'] as Array<{ in: string; pointer: string; reason: string }>).map((e) => `${e.in} ${e.pointer}: ${e.reason}`);
}

function captureValidation(): { messages: ValidationMessage[]; stop: () => void } {
  const messages: ValidationMessage[] = [];
  const onMessage = (m: unknown) => messages.push(m as ValidationMessage);
  diagnostics.subscribe(CHANNELS.validation, onMessage);
  return { messages, stop: () => diagnostics.unsubscribe(CHANNELS.validation, onMessage) };
}

const GOOD = { title: 'Write the report', description: 'Quarterly', priority: 'high', dueDate: '2026-03-31' };

// ── the policy ────────────────────────────────────────────────────────────────

test('the policy is openapi, validate phase, compiled per route, with its four codes', () => {
  assert.deepEqual([policy.name, policy.phase, policy.perRoute, Object.entries(policy.errors).map(([c, e]) => `${c} ${e.status}`)], ['openapi', 'validate', true, ['invalid_request 400', 'unexpected_body 400', 'unsupported_media_type 415', 'invalid_response 502']]);
});

test('a route without an operation is refused at load', () => {
  assert.throws(() => compile(undefined), (e: unknown) => e instanceof ConfigError && e.issues[0]?.message === 'the openapi policy applies only to routes generated from the OpenAPI document');
});

test('a schema Ajv refuses is a load error that names the operation\'s pointer', () => {
  const op = createTask({ requestBody: { required: true, content: [{ mediaType: 'application/json', schema: { type: 'string', pattern: '(' } }] } });
  assert.throws(() => compile(op), (e: unknown) => e instanceof ConfigError && (e.issues[0]?.message.startsWith('/paths/~1api~1v1~1tasks/post/requestBody/content/application~1json/schema: ') ?? false));
});

test('an unknown format loads with a warning', () => {
  const op = createTask({ requestBody: { required: true, content: [{ mediaType: 'application/json', schema: { type: 'string', format: 'isbn' } }] } });
  assert.deepEqual(compile(op).warnings, ['/paths/~1api~1v1~1tasks/post: format \'isbn\' is unknown to the validator and is not checked']);
});

test('the route buffers JSON bodies only when the operation documents a body', () => {
  assert.deepEqual([compile(createTask()).compiled.requestBody, compile(createTask({ method: 'get', requestBody: undefined })).compiled.requestBody], ['json', undefined]);
});

test('json bounds are handed to the body parser', () => {
  assert.deepEqual([compile(createTask(), { json: { maxDepth: 8 } }).compiled.jsonLimits, compile(createTask()).compiled.jsonLimits], [{ maxDepth: 8 }, undefined]);
});

test('request off installs no request handler; response off no response hook', () => {
  const h = compile(createTask(), { request: 'off', response: 'off' });
  assert.deepEqual([h.compiled.onRequest, h.compiled.onResponseBody, h.compiled.requestBody], [undefined, undefined, undefined]);
});

// ── the demo's task creation ─────────────────────────────────────────────────

test('a valid task passes', () => {
  assert.equal(send(compile(createTask()), { json: GOOD }).denial, undefined);
});

test('a title of 201 characters is refused with 400 openapi.invalid_request', () => {
  const { denial } = send(compile(createTask()), { json: { ...GOOD, title: 'x'.repeat(201) } });
  assert.deepEqual([denial?.code, denial?.status, errorsOf(denial)], ['openapi.invalid_request', 400, ['body /title: must be at most 200 characters']]);
});

test('an empty title, a long description, an unknown priority and a bad date are all listed', () => {
  const { denial } = send(compile(createTask()), { json: { title: '', description: 'd'.repeat(2001), priority: 'urgent', dueDate: '31/03/2026' } });
  assert.deepEqual(errorsOf(denial), ['body /title: must be at least 1 character', 'body /description: must be at most 2000 characters', 'body /priority: must be one of the allowed values', 'body /dueDate: must be a valid date']);
});

test('id, ownerId and createdAt are read-only: a body that sets them is refused (mass assignment)', () => {
  const { denial } = send(compile(createTask()), { json: { ...GOOD, id: 't1', ownerId: 'bob', createdAt: '2020-01-01T00:00:00Z' } });
  assert.deepEqual(errorsOf(denial), ['body /id: read-only property', 'body /ownerId: read-only property', 'body /createdAt: read-only property']);
});

test('a missing title is reported at its pointer', () => {
  assert.deepEqual(errorsOf(send(compile(createTask()), { json: { priority: 'low' } }).denial), ['body /title: is required']);
});

test('violations of the parameters and of the body are listed together', () => {
  const { denial } = send(compile(createTask()), { json: { title: 5 }, query: 'notify=maybe' });
  assert.deepEqual(errorsOf(denial), ['query /notify: must be of type boolean', 'body /title: must be of type string']);
});

test('the refusal never echoes the values sent', () => {
  const body = JSON.stringify(problem(send(compile(createTask()), { json: { title: 'secret-title-value'.repeat(20), priority: 'secret-priority' } }).denial));
  assert.deepEqual([body.includes('secret-title-value'), body.includes('secret-priority')], [false, false]);
});

test('at most maxViolations are listed, and the detail counts them all', () => {
  const op = createTask({ requestBody: { required: true, content: [{ mediaType: 'application/json', schema: { type: 'array', items: { type: 'integer' } } }] } });
  const p = problem(send(compile(op, { maxViolations: 3 }), { json: ['a', 'b', 'c', 'd', 'e'] }).denial);
  assert.deepEqual([(p['errors'] as unknown[]).length, p['detail']], [3, 'The request does not match the API\'s OpenAPI description: 5 violations, the first 3 listed.']);
});

// ── unknown properties ───────────────────────────────────────────────────────

test('an unknown property is refused on a write', () => {
  assert.deepEqual(errorsOf(send(compile(createTask()), { json: { ...GOOD, isAdmin: true } }).denial), ['body /isAdmin: unknown property']);
});

test('an unknown property passes on a method that is not a write', () => {
  assert.equal(send(compile(createTask({ method: 'delete' })), { method: 'DELETE', json: { ...GOOD, isAdmin: true } }).denial, undefined);
});

test('with rejectUnknownProperties never an unknown property passes on a write', () => {
  assert.equal(send(compile(createTask(), { rejectUnknownProperties: 'never' }), { json: { ...GOOD, isAdmin: true } }).denial, undefined);
});

test('with rejectUnknownProperties always an unknown property is refused on any method', () => {
  assert.equal(send(compile(createTask({ method: 'delete' }), { rejectUnknownProperties: 'always' }), { method: 'DELETE', json: { ...GOOD, isAdmin: true } }).denial?.code, 'openapi.invalid_request');
});

// ── 3.0 ──────────────────────────────────────────────────────────────────────

test('3.0 nullable accepts null; without it null is refused', () => {
  const op = (nullable: boolean) => createTask({ dialect: '3.0', requestBody: { required: true, content: [{ mediaType: 'application/json', schema: { type: 'object', properties: { dueDate: { type: 'string', format: 'date', nullable } } } }] } });
  assert.deepEqual([send(compile(op(true)), { json: { dueDate: null } }).denial, errorsOf(send(compile(op(false)), { json: { dueDate: null } }).denial)], [undefined, ['body /dueDate: must be of type string']]);
});

// ── framing: body presence and Content-Type ───────────────────────────────────

test('a Content-Type the operation does not document is 415', () => {
  const { denial } = send(compile(createTask()), { raw: 'title=x', headers: { 'content-type': 'text/plain' } });
  assert.deepEqual([denial?.code, denial?.status], ['openapi.unsupported_media_type', 415]);
});

test('a body without a Content-Type is 415', () => {
  assert.equal(send(compile(createTask()), { raw: '{}' }).denial?.code, 'openapi.unsupported_media_type');
});

test('Content-Type parameters and case do not matter', () => {
  assert.equal(send(compile(createTask()), { json: GOOD, headers: { 'content-type': 'Application/JSON; charset=utf-8' } }).denial, undefined);
});

test('a documented application/*+json range takes a structured-syntax JSON type', () => {
  const op = createTask({ requestBody: { required: true, content: [{ mediaType: 'application/*+json', schema: { type: 'object', properties: { title: { type: 'string' } } } }] } });
  assert.deepEqual([send(compile(op), { json: { title: 1 }, headers: { 'content-type': 'application/merge-patch+json' } }).denial?.code, send(compile(op), { json: { title: 'x' }, headers: { 'content-type': 'application/merge-patch+json' } }).denial], ['openapi.invalid_request', undefined]);
});

test('a required body that is missing is reported', () => {
  assert.deepEqual(errorsOf(send(compile(createTask())).denial), ['body : is required']);
});

test('an optional body may be left out', () => {
  assert.equal(send(compile(createTask({ requestBody: { required: false, content: createTask().requestBody!.content } }))).denial, undefined);
});

test('a body on an operation that documents none is 400 openapi.unexpected_body', () => {
  const { denial } = send(compile(createTask({ method: 'get', requestBody: undefined })), { method: 'GET', raw: '{}', headers: { 'content-type': 'application/json' } });
  assert.deepEqual([denial?.code, denial?.status], ['openapi.unexpected_body', 400]);
});

test('a chunked body on an operation that documents none is refused too', () => {
  assert.equal(send(compile(createTask({ method: 'get', requestBody: undefined })), { method: 'GET', headers: { 'transfer-encoding': 'chunked' } }).denial?.code, 'openapi.unexpected_body');
});

test('Content-Length 0 is no body', () => {
  assert.equal(send(compile(createTask({ method: 'get', requestBody: undefined })), { method: 'GET', headers: { 'content-length': '0' } }).denial, undefined);
});

// ── form bodies ──────────────────────────────────────────────────────────────

const FORM = createTask({
  requestBody: { required: true, content: [{ mediaType: 'application/x-www-form-urlencoded', schema: { type: 'object', required: ['title'], properties: { title: { type: 'string', maxLength: 5 }, count: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } }, id: { type: 'string', readOnly: true } } } }] },
});
const formType = { 'content-type': 'application/x-www-form-urlencoded' };

test('a form body is parsed, coerced and validated', () => {
  assert.equal(send(compile(FORM), { raw: 'title=a+b&count=3&tags=x&tags=y', headers: formType }).denial, undefined);
});

test('a form body\'s violations are listed with pointers', () => {
  assert.deepEqual(errorsOf(send(compile(FORM), { raw: 'title=toolong&count=x&id=1&extra=1', headers: formType }).denial), ['body /title: must be at most 5 characters', 'body /count: must be of type integer', 'body /id: read-only property', 'body /extra: unknown property']);
});

test('a form field that is not an array may not repeat', () => {
  assert.deepEqual(errorsOf(send(compile(FORM), { raw: 'title=a&title=b', headers: formType }).denial), ['body /title: must not be repeated']);
});

// ── monitor and the channel ──────────────────────────────────────────────────

test('request monitor forwards, logs the violations without values and publishes refused false', () => {
  const h = compile(createTask(), { request: 'monitor' });
  const cap = captureValidation();
  try {
    const { denial } = send(h, { json: { ...GOOD, ownerId: 'bob-secret' } });
    const line = h.logs[0] ?? {};
    assert.deepEqual([denial, line['event'], line['kind'], line['violations'], JSON.stringify(line).includes('bob-secret'), cap.messages.map((m) => [m.policy, m.kind, m.refused, m.violations])],
      [undefined, 'openapi_violation', 'request', [{ pointer: '/ownerId', in: 'body', reason: 'read-only property' }], false, [['openapi', 'request', false, 1]]]);
  } finally {
    cap.stop();
  }
});

test('an enforced refusal is published with refused true and not logged', () => {
  const h = compile(createTask());
  const cap = captureValidation();
  try {
    send(h, { json: { title: '' } });
    assert.deepEqual([cap.messages.map((m) => [m.kind, m.refused, m.violations]), h.logs.length], [[['request', true, 1]], 0]);
  } finally {
    cap.stop();
  }
});

test('request monitor lets an unexpected body through and logs it', () => {
  const h = compile(createTask({ method: 'get', requestBody: undefined }), { request: 'monitor' });
  assert.deepEqual([send(h, { method: 'GET', raw: 'x' }).denial, h.logs.length], [undefined, 1]);
});
