import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { pino } from 'pino';
import { Ajv } from 'ajv';
import { CHANNELS, type ValidationMessage } from '../../core/channels.js';
import type { ApiOperation, OperationResponse } from '../../core/operation.js';
import type { CompiledPolicy, ResponseBody } from '../../core/policy.js';
import { problemBody, type Denial } from '../../core/problem.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy, { OpenApiSchema, type OpenApiConfig } from './index.js';

const fill = new Ajv({ useDefaults: true, strict: false }).compile(OpenApiSchema);

const TASK = {
  type: 'object',
  required: ['id', 'title'],
  properties: { id: { type: 'string', readOnly: true }, title: { type: 'string', maxLength: 200 }, priority: { enum: ['low', 'normal', 'high'] }, password: { type: 'string', writeOnly: true } },
};
const PROBLEM = { type: 'object', properties: { code: { type: 'string' } } };

const RESPONSES: OperationResponse[] = [
  { status: '200', content: [{ mediaType: 'application/json', schema: TASK }] },
  { status: '204', content: [] },
  { status: '2XX', content: [{ mediaType: 'application/json', schema: { type: 'object', required: ['accepted'] } }] },
  { status: 'default', content: [{ mediaType: 'application/problem+json', schema: PROBLEM }] },
];

function operation(responses: OperationResponse[] = RESPONSES): ApiOperation {
  return {
    method: 'get', path: '/api/v1/tasks/{taskId}/export', operationId: 'exportTask', tags: [], summary: undefined, deprecated: false, deprecatedAt: undefined, sunset: undefined,
    parameters: [], requestBody: undefined, responses, security: undefined, dialect: '3.1', components: {}, pointer: '/paths/~1api~1v1~1tasks~1{taskId}~1export/get',
  };
}

interface Harness {
  readonly compiled: CompiledPolicy;
  readonly logs: Array<Record<string, unknown>>;
  readonly warnings: string[];
}

function compile(overrides: Partial<OpenApiConfig> = {}, responses?: OperationResponse[]): Harness {
  const c = structuredClone(overrides) as OpenApiConfig;
  assert.equal(fill(c), true);
  const logs: Array<Record<string, unknown>> = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const compiled = policy.compile(c, compileEnvFor(policy, { operation: operation(responses), logger, warn: (_p, m) => warnings.push(m) }));
  return { compiled, logs, warnings };
}

interface Upstream {
  readonly status?: number;
  readonly contentType?: string | undefined;
  readonly json?: unknown;
  readonly raw?: string;
}

function respond(h: Harness, u: Upstream): Denial | undefined {
  const hook = h.compiled.onResponseBody;
  assert.ok(hook, 'expected a response hook');
  const headers = 'contentType' in u ? (u.contentType === undefined ? [] : ['content-type', u.contentType]) : ['content-type', 'application/json'];
  const raw = u.raw ?? (u.json === undefined ? '' : JSON.stringify(u.json));
  const isJson = u.json !== undefined;
  const body: ResponseBody = { isJson, value: isJson ? structuredClone(u.json) : undefined, raw: Buffer.from(raw), changed: false };
  return hook(fakeContext({ method: 'GET', url: '/api/v1/tasks/t1/export' }), { status: u.status ?? 200, headers }, body) ?? undefined;
}

const TASK_BODY = { id: 't1', title: 'Report', priority: 'high' };

test('a response that matches its documented status and schema passes', () => {
  assert.equal(respond(compile(), { json: TASK_BODY }), undefined);
});

test('a body that breaks its schema is refused with 502 openapi.invalid_response', () => {
  const denial = respond(compile(), { json: { id: 't1', priority: 'URGENT!!' } });
  assert.deepEqual([denial?.code, denial?.status], ['openapi.invalid_response', 502]);
});

test('the 502 carries neither the upstream\'s content nor the violations', () => {
  const denial = respond(compile(), { json: { id: 'leaked-secret', title: 5 } });
  assert.ok(denial);
  const body = problemBody(denial, 'r1');
  assert.deepEqual([body.includes('leaked-secret'), 'errors' in (JSON.parse(body) as object)], [false, false]);
});

test('the violations of a refused response are logged with pointers and reasons, never values', () => {
  const h = compile();
  respond(h, { json: { id: 'leaked-secret', priority: 'URGENT!!' } });
  const line = h.logs[0] ?? {};
  assert.deepEqual([line['event'], line['kind'], line['refused'], line['violations'], JSON.stringify(line).includes('leaked-secret')],
    ['openapi_violation', 'response', true, [{ pointer: '/title', in: 'body', reason: 'is required' }, { pointer: '/priority', in: 'body', reason: 'must be one of the allowed values' }], false]);
});

test('a writeOnly property in a response is refused', () => {
  const h = compile();
  respond(h, { json: { ...TASK_BODY, password: 'hunter2' } });
  assert.deepEqual(h.logs[0]?.['violations'], [{ pointer: '/password', in: 'body', reason: 'write-only property' }]);
});

test('a status in a documented range is checked against the range\'s schema', () => {
  const h = compile();
  assert.deepEqual([respond(h, { status: 202, json: { accepted: true } }), respond(h, { status: 202, json: {} })?.code], [undefined, 'openapi.invalid_response']);
});

test('the exact status wins over its range', () => {
  assert.equal(respond(compile(), { status: 200, json: { accepted: true } })?.code, 'openapi.invalid_response');
});

test('other statuses fall back to default', () => {
  assert.equal(respond(compile(), { status: 404, contentType: 'application/problem+json', json: { code: 'not_found' } }), undefined);
});

test('an undocumented status is refused when there is no default', () => {
  const h = compile({}, [RESPONSES[0]!]);
  respond(h, { status: 500, json: {} });
  assert.deepEqual(h.logs[0]?.['violations'], [{ pointer: '', in: 'body', reason: 'status 500 is not documented' }]);
});

test('a Content-Type not documented for the status is refused', () => {
  assert.equal(respond(compile(), { contentType: 'text/html', raw: '<p>' })?.code, 'openapi.invalid_response');
});

test('a body without a Content-Type is refused', () => {
  assert.equal(respond(compile(), { contentType: undefined, raw: '{}' })?.code, 'openapi.invalid_response');
});

test('with checkResponseContentType false the Content-Type is not checked', () => {
  assert.equal(respond(compile({ checkResponseContentType: false }), { contentType: 'text/html', raw: '<p>' }), undefined);
});

test('with checkResponseContentType false a JSON body is still checked against the JSON schema', () => {
  assert.equal(respond(compile({ checkResponseContentType: false }), { contentType: 'text/plain', json: { title: 5 } })?.code, 'openapi.invalid_response');
});

test('a documented JSON response that does not parse is refused', () => {
  assert.equal(respond(compile(), { raw: '{"id":' })?.code, 'openapi.invalid_response');
});

test('an empty body is not checked beyond its status (HEAD, 204)', () => {
  assert.deepEqual([respond(compile(), { status: 200, raw: '' }), respond(compile(), { status: 204, contentType: undefined, raw: '' })], [undefined, undefined]);
});

test('undocumented properties pass by default and are refused with rejectUnknownProperties always', () => {
  assert.deepEqual([respond(compile(), { json: { ...TASK_BODY, internalNotes: 'x' } }), respond(compile({ rejectUnknownProperties: 'always' }), { json: { ...TASK_BODY, internalNotes: 'x' } })?.code], [undefined, 'openapi.invalid_response']);
});

test('response monitor forwards, logs and publishes refused false', () => {
  const h = compile({ response: 'monitor' });
  const messages: ValidationMessage[] = [];
  const onMessage = (m: unknown) => messages.push(m as ValidationMessage);
  diagnostics.subscribe(CHANNELS.validation, onMessage);
  try {
    const denial = respond(h, { json: { id: 't1', priority: 'URGENT!!' } });
    assert.deepEqual([denial, h.logs[0]?.['refused'], messages.map((m) => [m.kind, m.refused, m.violations])], [undefined, false, [['response', false, 2]]]);
  } finally {
    diagnostics.unsubscribe(CHANNELS.validation, onMessage);
  }
});

test('an operation without documented responses gets no response hook and a warning', () => {
  const h = compile({}, []);
  assert.deepEqual([h.compiled.onResponseBody, h.warnings], [undefined, ['/paths/~1api~1v1~1tasks~1{taskId}~1export/get documents no responses: responses are not checked']]);
});
