/**
 * A byte cap on a streamed request body whose length was not declared (chunked encoding), so
 * the cap of size-limit holds for every body, not only those with a Content-Length.
 */
import { Readable } from 'node:stream';

/** Raised into the upstream request when the body passes its cap. */
export class BodyTooLargeError extends Error {
  /** Stable code. */
  readonly code = 'PORTCULLIS_BODY_TOO_LARGE';
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * A Readable that passes on the chunks of `source` and fails with BodyTooLargeError once more
 * than `maxBytes` have passed. The source is paused, not destroyed, so the gateway can still
 * answer 413 on the same connection (and then close it).
 *
 * @example
 * ```ts
 * pool.dispatch({ …, body: limitStream(req, 1_048_576) }, handler);
 * ```
 */
export function limitStream(source: Readable, maxBytes: number): Readable {
  let seen = 0;
  const out = new Readable({ read: () => { source.resume(); } });
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) {
      source.off('data', onData);
      source.pause();
      out.destroy(new BodyTooLargeError(maxBytes));
      return;
    }
    if (!out.push(chunk)) source.pause();
  };
  source.on('data', onData);
  source.once('end', () => out.push(null));
  source.once('error', (error) => out.destroy(error));
  return out;
}
