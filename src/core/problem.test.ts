import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDenial, problemBody, rawProblemResponse } from './problem.js';

const spec = { status: 413, title: 'Content Too Large', description: 'too big' };

test('a problem body is RFC 9457 JSON with type, title, status, code and requestId', () => {
  const body = JSON.parse(problemBody(createDenial('size-limit.body_too_large', spec), 'req-12345678')) as Record<string, unknown>;
  assert.deepEqual(body, { type: 'urn:portcullis:error:size-limit.body_too_large', title: 'Content Too Large', status: 413, code: 'size-limit.body_too_large', requestId: 'req-12345678' });
});

test('detail and violations are included when given', () => {
  const denial = createDenial('v.bad', { status: 400, title: 'Bad Request', description: '' }, { detail: 'two problems', errors: [{ pointer: '/title', in: 'body', reason: 'required' }] });
  const body = JSON.parse(problemBody(denial, 'r-12345678')) as { detail: string; errors: unknown[] };
  assert.equal(body.detail, 'two problems');
  assert.deepEqual(body.errors, [{ pointer: '/title', in: 'body', reason: 'required' }]);
});

test('a detail with quotes and newlines stays valid JSON', () => {
  const denial = createDenial('x.y', spec, { detail: 'a "quoted"\nline' });
  assert.equal((JSON.parse(problemBody(denial, 'r-12345678')) as { detail: string }).detail, 'a "quoted"\nline');
});

test('denial headers are kept flat as name, value pairs', () => {
  const denial = createDenial('x.y', spec, { headers: [['retry-after', '30'], ['allow', 'GET']] });
  assert.deepEqual(denial.headers, ['retry-after', '30', 'allow', 'GET']);
});

test('denials are frozen so a shared static denial cannot be altered per request', () => {
  const denial = createDenial('x.y', spec);
  assert.ok(Object.isFrozen(denial));
  assert.ok(Object.isFrozen(denial.headers));
});

test('a raw response is a complete HTTP/1.1 message with a correct content-length', () => {
  const raw = rawProblemResponse(createDenial('request.timeout', { status: 408, title: 'Request Timeout', description: '' }), 'r-12345678', ['x-content-type-options', 'nosniff']);
  const [head, body] = raw.split('\r\n\r\n') as [string, string];
  assert.match(head, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(head, /\r\ncontent-type: application\/problem\+json\r\n/);
  assert.match(head, /\r\nx-content-type-options: nosniff/);
  assert.match(head, new RegExp(`\\r\\ncontent-length: ${Buffer.byteLength(body)}(\\r\\n|$)`));
  assert.equal((JSON.parse(body) as { code: string }).code, 'request.timeout');
});
