import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from './context.js';
import { PolicyFailure, runPipeline, type NamedHandler } from './pipeline.js';
import { createDenial } from './problem.js';

const denied = createDenial('test.denied', { status: 403, title: 'Forbidden', description: 'test' });

function ctx(): RequestContext {
  return new RequestContext({ method: 'GET', url: '/x', headers: {} } as IncomingMessage, {} as ServerResponse, 'https', '127.0.0.1', 'req-12345678', 0);
}

function handler(run: NamedHandler['run'], policy = 'p'): NamedHandler {
  return { policy, run };
}

test('synchronous handlers that all continue give undefined synchronously', () => {
  const calls: number[] = [];
  const out = runPipeline([handler(() => void calls.push(1)), handler(() => void calls.push(2))], ctx());
  assert.equal(out, undefined);
  assert.deepEqual(calls, [1, 2]);
});

test('a synchronous denial stops the chain and is returned as is', () => {
  let after = false;
  const out = runPipeline([handler(() => denied), handler(() => void (after = true))], ctx());
  assert.equal(out, denied);
  assert.equal(after, false);
});

test('an asynchronous handler makes the result a Promise that continues with the rest', async () => {
  const calls: string[] = [];
  const out = runPipeline([handler(() => Promise.resolve(void calls.push('a'))), handler(() => void calls.push('b'))], ctx());
  assert.ok(out instanceof Promise);
  assert.equal(await out, undefined);
  assert.deepEqual(calls, ['a', 'b']);
});

test('an asynchronous denial stops the chain', async () => {
  let after = false;
  const out = await runPipeline([handler(() => Promise.resolve(denied)), handler(() => void (after = true))], ctx());
  assert.equal(out, denied);
  assert.equal(after, false);
});

test('a throwing handler becomes a PolicyFailure naming its policy (fail closed)', () => {
  const out = runPipeline([handler(() => { throw new Error('boom'); }, 'broken')], ctx());
  assert.ok(out instanceof PolicyFailure);
  assert.equal(out.policy, 'broken');
});

test('a rejecting handler becomes a PolicyFailure naming its policy', async () => {
  const out = await runPipeline([handler(() => Promise.reject(new Error('boom')), 'remote')], ctx());
  assert.ok(out instanceof PolicyFailure);
  assert.equal(out.policy, 'remote');
});

test('a synchronous throw after an asynchronous handler is still a PolicyFailure', async () => {
  const out = await runPipeline([handler(() => Promise.resolve(undefined)), handler(() => { throw new Error('late'); }, 'second')], ctx());
  assert.ok(out instanceof PolicyFailure);
  assert.equal(out.policy, 'second');
});
