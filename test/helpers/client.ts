/**
 * Clients for integration tests: one request over node:http(s) on a fresh connection, a raw
 * socket exchange for what a well-behaved client would never send, and the problem+json check
 * every refusal test uses. Every call is bounded by a timeout.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/** A complete response. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly text: string;
}

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** CA to trust for https URLs. */
  readonly ca?: string;
  /** Upper bound on the whole exchange (default 5000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Sends one request on a new connection and reads the whole response.
 *
 * @example
 * ```ts
 * const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
 * ```
 */
export function send(url: string, options: SendOptions = {}): Promise<Reply> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((ok, fail) => {
    const req = lib.request(target, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
      ca: options.ca,
      // Verify against the certificate's name even when a test sends another Host header.
      servername: target.protocol === 'https:' ? 'localhost' : undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', fail);
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        ok({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString('utf8') });
      });
    });
    req.once('error', fail);
    req.end(options.body);
  });
}

/** What a raw exchange saw. */
export interface RawResult {
  /** Everything the server sent. */
  readonly text: string;
  /** The socket error, when the connection ended with one (reset …). */
  readonly error: NodeJS.ErrnoException | undefined;
  /** Milliseconds from connect to close. */
  readonly elapsedMs: number;
}

/** Options of {@link rawExchange}. */
export interface RawOptions {
  readonly port: number;
  /** Connect with TLS, trusting this CA. */
  readonly ca?: string;
  /** Writes the request; may keep writing later (slow clients). Called once connected. */
  readonly write: (socket: net.Socket) => void;
  /** The connection is destroyed after this long if the server has not closed it (default 5000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Opens a connection, lets `write` talk, and collects what comes back until the server closes
 * the connection (or the timeout destroys it, which rejects).
 *
 * @example
 * ```ts
 * const r = await rawExchange({ port, write: (s) => s.write('GET / HTTP/1.1\r\n\r\n') });
 * ```
 */
export function rawExchange(options: RawOptions): Promise<RawResult> {
  return new Promise((ok, fail) => {
    const started = performance.now();
    const socket: net.Socket = options.ca !== undefined
      ? tls.connect({ host: '127.0.0.1', port: options.port, ca: options.ca, servername: 'localhost' }, () => options.write(socket))
      : net.connect({ host: '127.0.0.1', port: options.port }, () => options.write(socket));
    const chunks: Buffer[] = [];
    let error: NodeJS.ErrnoException | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`server did not close the connection within ${options.timeoutMs ?? 5000} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
    }, options.timeoutMs ?? 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e; });
    socket.once('close', () => {
      clearTimeout(timer);
      ok({ text: Buffer.concat(chunks).toString('latin1'), error, elapsedMs: performance.now() - started });
    });
  });
}

/** A response parsed from raw text (Content-Length, chunked, or read to close). */
export interface ParsedResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/**
 * Parses the first response of a raw exchange.
 *
 * @example
 * ```ts
 * parseResponse('HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}').status // 400
 * ```
 */
export function parseResponse(text: string): ParsedResponse {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end !== -1, `no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '');
  assert.ok(match, `not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = text.slice(end + 4);
  const length = headers.get('content-length');
  if (length !== undefined) body = body.slice(0, Number(length));
  else if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status: Number(match[1]), headers, body };
}

function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol === -1) return out;
    const size = parseInt(text.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/**
 * Asserts a problem+json refusal: status, content type and `code` (never the wording).
 * Returns the parsed body for further checks.
 *
 * @example
 * ```ts
 * assertProblem(reply, 404, 'route.not_found');
 * ```
 */
export function assertProblem(reply: { readonly status: number; readonly body: string | Buffer; readonly contentType: string | undefined }, status: number, code: string): Record<string, unknown> {
  assert.equal(reply.status, status);
  assert.match(reply.contentType ?? '', /^application\/problem\+json\b/);
  const body = JSON.parse(reply.body.toString()) as Record<string, unknown>;
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  return body;
}

/**
 * {@link assertProblem} for a {@link Reply}.
 *
 * @example
 * ```ts
 * problemOf(await send(url), 404, 'route.not_found');
 * ```
 */
export function problemOf(reply: Reply, status: number, code: string): Record<string, unknown> {
  return assertProblem({ status: reply.status, body: reply.body, contentType: reply.headers['content-type'] }, status, code);
}

/**
 * {@link assertProblem} for a raw response.
 *
 * @example
 * ```ts
 * rawProblemOf(parseResponse(r.text), 431, 'request.headers_too_large');
 * ```
 */
export function rawProblemOf(reply: ParsedResponse, status: number, code: string): Record<string, unknown> {
  return assertProblem({ status: reply.status, body: reply.body, contentType: reply.headers.get('content-type') }, status, code);
}
