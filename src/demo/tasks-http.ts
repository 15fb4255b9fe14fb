/**
 * Request and response helpers of the sample Tasks API: JSON out, JSON in with a hard size cap, and
 * an error type that carries the status to answer with.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the sample API reads, in bytes; larger ones get 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A failure the sample API answers with `status` and `{ error: message }`.
 *
 * @example
 * ```ts
 * throw new HttpError(404, 'task not found');
 * ```
 */
export class HttpError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/**
 * Sends `body` as JSON with a Content-Length.
 *
 * @example
 * ```ts
 * sendJson(res, 200, { ok: true });
 * ```
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

/**
 * Parses a query parameter as an integer clamped to [min, max]; `min` when absent or not a number.
 *
 * @example
 * ```ts
 * clampInt('90000', 0, 60000) // 60000
 * clampInt(null, 0, 10)       // 0
 * ```
 */
export function clampInt(text: string | null, min: number, max: number): number {
  const n = Math.trunc(Number(text ?? min));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : min;
}

/**
 * Reads the body as a JSON object; an empty body is `{}`. Throws HttpError 400 for anything that
 * is not a JSON object and 413 past {@link MAX_BODY_BYTES}.
 *
 * @example
 * ```ts
 * const body = await readJsonObject(req); // { title: 'x', ownerId: 'bob' }
 * ```
 */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'body must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Reads the whole body, refusing (HttpError 413) a declared or actual size over
 * {@link MAX_BODY_BYTES} as soon as it is known.
 *
 * @example
 * ```ts
 * const bytes = await readBody(req);
 * ```
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return Promise.reject(new HttpError(413, 'body too large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | undefined): void => {
      req.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      if (err === undefined) resolve(Buffer.concat(chunks));
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) settle(new HttpError(413, 'body too large'));
      else chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined);
    const onClose = (): void => settle(new HttpError(400, 'request aborted'));
    req.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose);
  });
}
