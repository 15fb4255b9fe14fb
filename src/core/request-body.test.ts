import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { RequestContext } from './context.js';
import type { Denial } from './problem.js';
import { readBodyStep } from './request-body.js';
import type { JsonLimits } from './strict-json.js';

/** A context whose request streams `body` with `contentType`. */
function contextWith(body: string | Buffer, contentType = 'application/json'): RequestContext {
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  const stream = new PassThrough();
  const req = Object.assign(stream, {
    method: 'POST',
    url: '/api/x',
    headers: { 'content-type': contentType, 'content-length': String(raw.length) },
    rawHeaders: ['content-type', contentType, 'content-length', String(raw.length)],
    socket: { remoteAddress: '127.0.0.1' },
  });
  stream.end(raw);
  return new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse, 'http', '127.0.0.1', 'test-request-id', 0);
}

async function read(ctx: RequestContext, limits?: Partial<JsonLimits>): Promise<Denial | undefined> {
  return (await readBodyStep(limits).run(ctx)) ?? undefined;
}

/** The problem JSON of a denial (the renderer appends the request id and the closing brace). */
function problem(denial: Denial | undefined): Record<string, unknown> {
  assert.ok(denial, 'expected a refusal');
  return JSON.parse(`${denial.bodyPrefix}}`) as Record<string, unknown>;
}

test('a JSON body is parsed into ctx.body and its bytes kept for forwarding', async () => {
  const ctx = contextWith('{"title":"x","n":[1,2]}');
  assert.deepEqual([await read(ctx), ctx.body, ctx.rawBody?.toString()], [undefined, { title: 'x', n: [1, 2] }, '{"title":"x","n":[1,2]}']);
});

test('a body that breaks a limit is 400 request.invalid_json with the rule and the pointer', async () => {
  const p = problem(await read(contextWith('{"a":[[1]]}'), { maxDepth: 2 }));
  assert.deepEqual([p.status, p.code, p.errors], [400, 'request.invalid_json', [{ pointer: '/a/0', in: 'body', reason: 'depth' }]]);
});

test('the limits given to readBodyStep apply, the defaults otherwise', async () => {
  const body = '[[[1]]]';
  assert.deepEqual([(await read(contextWith(body), { maxDepth: 2 }))?.code, await read(contextWith(body))], ['request.invalid_json', undefined]);
});

test('a body nested deeper than the default depth is refused', async () => {
  assert.equal((await read(contextWith(`${'['.repeat(65)}${']'.repeat(65)}`)))?.code, 'request.invalid_json');
});

test('a refusal names keys, never values', async () => {
  const denial = await read(contextWith('{"note":"s3cr3t-value","note":"other"}'));
  assert.deepEqual([problem(denial).errors, denial?.bodyPrefix.includes('s3cr3t')], [[{ pointer: '/note', in: 'body', reason: 'duplicate_key' }], false]);
});

test('a refusal without a location has no errors member', async () => {
  const p = problem(await read(contextWith(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))));
  assert.deepEqual([p.code, p.errors], ['request.invalid_json', undefined]);
});

test('a body that is not JSON syntax is refused', async () => {
  assert.equal((await read(contextWith('{"title":')))?.code, 'request.invalid_json');
});

test('a non-JSON content type is buffered but not parsed', async () => {
  const ctx = contextWith('{"a":1,"a":2}', 'text/plain');
  assert.deepEqual([await read(ctx), ctx.body, ctx.rawBody?.toString()], [undefined, undefined, '{"a":1,"a":2}']);
});

test('an empty body sent as JSON is refused', async () => {
  assert.equal((await read(contextWith('')))?.code, 'request.invalid_json');
});

test('an empty body of another content type passes', async () => {
  assert.equal(await read(contextWith('', 'text/plain')), undefined);
});
