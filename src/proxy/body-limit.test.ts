import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { BodyTooLargeError, limitStream } from './body-limit.js';

/** Reads `stream` to its end or error. */
function drain(stream: Readable): Promise<{ bytes: number; error: unknown }> {
  return new Promise((ok) => {
    let bytes = 0;
    stream.on('data', (c: Buffer) => { bytes += c.length; });
    stream.once('end', () => ok({ bytes, error: undefined }));
    stream.once('error', (error) => ok({ bytes, error }));
  });
}

test('a body within the cap passes through whole', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 10));
  source.write('12345');
  source.end('67890');
  assert.deepEqual(await out, { bytes: 10, error: undefined });
});

test('a body one byte over the cap fails with BodyTooLargeError', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 10));
  source.write('12345');
  source.end('678901');
  const { error } = await out;
  assert.ok(error instanceof BodyTooLargeError);
  assert.equal(error.code, 'PORTCULLIS_BODY_TOO_LARGE');
});

test('no byte past the cap is passed on', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 10));
  source.write('12345');
  source.write('6789012345');
  assert.equal((await out).bytes, 5);
});

test('the source is paused, not destroyed, when the cap is passed (the 413 still needs its socket)', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 4));
  source.write('12345');
  await out;
  assert.equal(source.destroyed, false);
  assert.equal(source.isPaused(), true);
});

test('a cap of 0 refuses the first byte', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 0));
  source.end('1');
  assert.ok((await out).error instanceof BodyTooLargeError);
});

test('an empty body with a cap of 0 ends normally', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 0));
  source.end();
  assert.deepEqual(await out, { bytes: 0, error: undefined });
});

test('a source error is passed on', async () => {
  const source = new PassThrough();
  const out = drain(limitStream(source, 100));
  const boom = new Error('client aborted');
  source.destroy(boom);
  assert.equal((await out).error, boom);
});
