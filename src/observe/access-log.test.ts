import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../core/context.js';
import { createAccessLogger } from './access-log.js';
import { createLogger, headerRedactionSet } from './logger.js';

function capture(includeHeaders: boolean) {
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  const logger = createLogger({ level: 'info', redactHeaders: [] }, {
    write(s: string) {
      raw += s;
      lines.push(JSON.parse(s) as Record<string, unknown>);
    },
  });
  return { log: createAccessLogger(logger, { includeHeaders, redact: headerRedactionSet([]) }), lines, raw: () => raw };
}

function context(url: string, headers: Record<string, string> = {}): RequestContext {
  const req = { method: 'GET', url, headers };
  return new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse, 'https', '203.0.113.9', 'req-12345678', 0);
}

test('a line has the request id, method, path, status, duration, client IP and completion', () => {
  const { log, lines } = capture(false);
  const ctx = context('/api/tasks/1');
  ctx.route = '/api/tasks/{taskId}';
  ctx.status = 200;
  log(ctx, 1.23456, true);
  assert.deepEqual(
    { ...lines[0], time: undefined, level: undefined },
    { time: undefined, level: undefined, event: 'request', requestId: 'req-12345678', method: 'GET', route: '/api/tasks/{taskId}', path: '/api/tasks/1', status: 200, durationMs: 1.235, clientIp: '203.0.113.9', completed: true },
  );
});

test('a refusal carries its decision', () => {
  const { log, lines } = capture(false);
  const ctx = context('/x');
  ctx.decision = 'route.not_found';
  ctx.status = 404;
  log(ctx, 1, true);
  assert.equal(lines[0]!.decision, 'route.not_found');
});

test('the query string is not logged', () => {
  const { log, raw } = capture(true);
  log(context('/api/x?token=q-4901'), 1, true);
  assert.ok(!raw().includes('q-4901'));
});

test('credential headers are redacted when headers are included', () => {
  const { log, raw } = capture(true);
  log(context('/api/x', { authorization: 'Bearer h-4902', cookie: 'c-4903', 'x-api-key': 'k-4904', 'proxy-authorization': 'p-4905' }), 1, true);
  assert.doesNotMatch(raw(), /h-4902|c-4903|k-4904|p-4905/);
});

test('headers are left out unless included', () => {
  const { log, lines } = capture(false);
  log(context('/api/x', { accept: '*/*' }), 1, true);
  assert.equal(lines[0]!.headers, undefined);
});
