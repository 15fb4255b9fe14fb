import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALWAYS_REDACTED, REDACTED, createLogger, headerRedactionSet, redactHeaders } from './logger.js';

/** A logger writing into an array of parsed lines. */
function capture(redact: string[] = []) {
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  const logger = createLogger({ level: 'info', redactHeaders: redact }, {
    write(s: string) {
      raw += s;
      lines.push(JSON.parse(s) as Record<string, unknown>);
    },
  });
  return { logger, lines, raw: () => raw };
}

test('the credential headers are always redacted', () => {
  assert.deepEqual([...ALWAYS_REDACTED].sort(), ['authorization', 'cookie', 'proxy-authorization', 'set-cookie', 'x-api-key']);
});

test('configured names are added in lower case', () => {
  assert.ok(headerRedactionSet(['X-Session']).has('x-session'));
});

test('configured names do not remove the built-in ones', () => {
  assert.ok(headerRedactionSet(['x-session']).has('authorization'));
});

test('redactHeaders replaces the values of redacted names', () => {
  const out = redactHeaders({ authorization: 'Bearer t', cookie: 'a=b', accept: '*/*' }, headerRedactionSet([]));
  assert.deepEqual(out, { authorization: REDACTED, cookie: REDACTED, accept: '*/*' });
});

test('redactHeaders does not modify its input', () => {
  const headers = { authorization: 'Bearer t' };
  redactHeaders(headers, headerRedactionSet([]));
  assert.equal(headers.authorization, 'Bearer t');
});

test('a headers object logged directly is redacted by the logger itself', () => {
  const { logger, lines, raw } = capture();
  logger.info({ headers: { authorization: 'Bearer leak-4801', accept: 'x' } });
  assert.equal((lines[0]!.headers as Record<string, unknown>).authorization, REDACTED);
  assert.ok(!raw().includes('leak-4801'));
});

test('req.headers logged directly is redacted by the logger itself', () => {
  const { logger, raw } = capture();
  logger.info({ req: { headers: { 'x-api-key': 'leak-4802' } } });
  assert.ok(!raw().includes('leak-4802'));
});

test('a configured header logged directly is redacted by the logger itself', () => {
  const { logger, raw } = capture(['X-Session']);
  logger.info({ headers: { 'x-session': 'leak-4803' } });
  assert.ok(!raw().includes('leak-4803'));
});

test('lines carry no pid or hostname', () => {
  const { logger, lines } = capture();
  logger.info({ event: 'x' });
  assert.equal(lines[0]!.pid, undefined);
  assert.equal(lines[0]!.hostname, undefined);
});
