/**
 * Micro-benchmark of the openapi policy: the per-request cost of validating the demo's task
 * creation (POST /api/v1/tasks: a query parameter and the JSON body against the Task schema,
 * readOnly properties forbidden, unknown ones refused), against a handler that does nothing, in
 * ns per request (median of 5 runs, after a warm-up). Also a refused request (the problem JSON is
 * built per refusal) and a response validation. Not a test.
 *
 *   node --import tsx bench/openapi.bench.ts [iterations]
 *
 * The body arrives parsed (ctx.body), as the pipeline's body step leaves it; parsing is not
 * measured here.
 */
import { performance } from 'node:perf_hooks';
import type { ApiOperation } from '../src/core/operation.js';
import type { RequestContext } from '../src/core/context.js';
import type { ResponseBody } from '../src/core/policy.js';
import { compileEnvFor, fakeContext } from '../src/policies/test-helpers.js';
import openapi, { type OpenApiConfig } from '../src/policies/openapi/index.js';

const N = Number(process.argv[2] ?? 200_000);
const RUNS = 5;
const WARMUP = 50_000;

const TASK = {
  type: 'object',
  required: ['id', 'title', 'ownerId'],
  properties: {
    id: { type: 'string', readOnly: true },
    ownerId: { type: 'string', readOnly: true },
    createdAt: { type: 'string', format: 'date-time', readOnly: true },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 2000 },
    priority: { type: 'string', enum: ['low', 'normal', 'high'] },
    dueDate: { type: 'string', format: 'date' },
  },
};

const operation: ApiOperation = {
  method: 'post', path: '/api/v1/tasks', operationId: 'createTask', tags: ['tasks'], summary: undefined, deprecated: false, deprecatedAt: undefined, sunset: undefined,
  parameters: [{ name: 'notify', in: 'query', required: false, style: 'form', explode: true, allowReserved: false, schema: { type: 'boolean' }, deprecated: false }],
  requestBody: { required: true, content: [{ mediaType: 'application/json', schema: { $ref: '#/components/schemas/Task' } }] },
  responses: [{ status: '201', content: [{ mediaType: 'application/json', schema: { $ref: '#/components/schemas/Task' } }] }],
  security: undefined, dialect: '3.1', components: { Task: TASK }, pointer: '/paths/~1api~1v1~1tasks/post',
};

const config: OpenApiConfig = { request: 'enforce', response: 'enforce', rejectUnknownProperties: 'writes', rejectUnknownQueryParams: false, maxQueryPairs: 256, maxViolations: 20, checkResponseContentType: true, json: {} };
const compiled = openapi.compile(config, compileEnvFor(openapi, { operation }));
const onRequest = compiled.onRequest!;
const onResponseBody = compiled.onResponseBody!;

function request(body: unknown): RequestContext {
  const raw = JSON.stringify(body);
  const ctx = fakeContext({ method: 'POST', url: '/api/v1/tasks?notify=true', headers: { 'content-type': 'application/json', 'content-length': String(raw.length) } });
  ctx.rawBody = Buffer.from(raw);
  ctx.body = body;
  return ctx;
}

/** Median ns per call over RUNS runs of N calls; checks the expected answer first. */
function measure(name: string, run: () => unknown, expect: (result: unknown) => boolean): number {
  if (!expect(run())) throw new Error(`${name}: unexpected answer`);
  for (let i = 0; i < WARMUP; i++) run();
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    for (let i = 0; i < N; i++) run();
    samples.push(((performance.now() - start) * 1e6) / N);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(RUNS / 2)]!;
  process.stdout.write(`${name.padEnd(58)} ${median.toFixed(0).padStart(7)} ns/op  (min ${samples[0]!.toFixed(0)}, max ${samples[RUNS - 1]!.toFixed(0)}; ${RUNS}×${N})\n`);
  return median;
}

const allowed = (r: unknown) => r === undefined;
const refused = (r: unknown) => typeof r === 'object' && r !== null && 'status' in r;

const valid = request({ title: 'Write the quarterly report', description: 'Numbers for Q3, with the charts.', priority: 'high', dueDate: '2026-03-31' });
const invalid = request({ title: '', priority: 'urgent', dueDate: 'tomorrow', ownerId: 'bob', isAdmin: true });
const noop = (_ctx: RequestContext): undefined => undefined;

process.stdout.write('openapi: POST /api/v1/tasks (query notify + Task body)\n');
const base = measure('no validation (a handler that does nothing)', () => noop(valid), allowed);
const ok = measure('valid request: params + body validated', () => onRequest(valid), allowed);
measure('invalid request: 5 violations, problem JSON built', () => onRequest(invalid), refused);

const responseCtx = request({});
const head = { status: 201, headers: ['content-type', 'application/json'] };
const responseBody: ResponseBody = { isJson: true, value: { id: 'task-1', ownerId: 'alice', createdAt: '2026-01-01T09:00:00.000Z', title: 'Write the quarterly report', priority: 'high', dueDate: '2026-03-31' }, raw: Buffer.from('{}'), changed: false };
measure('valid response: status, content type, Task body', () => onResponseBody(responseCtx, head, responseBody), allowed);

process.stdout.write(`\nvalidation cost per valid request: ${(ok - base).toFixed(0)} ns\n`);
