/**
 * A fake RFC 7662 authorization server on 127.0.0.1 for the introspection tests: it counts
 * requests, records the last one, and answers with whatever the test sets. Test-only.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { OutboundClient } from '../../core/outbound.js';
import { createOutboundClient } from '../../outbound/client.js';
import { IntrospectionSchema, type IntrospectionConfig } from './schema.js';

/** One request the fake server received. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What the fake server answers. */
export interface FakeAnswer {
  readonly status?: number;
  readonly contentType?: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  readonly body: unknown;
  /** Send without Content-Length (chunked). */
  readonly chunked?: boolean;
  /** Wait this long before answering, ms. */
  readonly delayMs?: number;
}

/** A running fake authorization server. */
export interface FakeAuthorizationServer {
  /** `http://127.0.0.1:<port>/introspect`. */
  readonly endpoint: string;
  /** An outbound client that allows this server's origin. */
  readonly outbound: OutboundClient;
  /** Requests received so far. */
  readonly requests: SeenRequest[];
  /** Sets the answer for the token in the request (`answer(token)`). */
  answer: (token: string) => FakeAnswer;
  close(): Promise<void>;
}

/**
 * Starts the fake server; by default every token is inactive.
 *
 * @example
 * ```ts
 * const as = await startFakeAuthorizationServer();
 * as.answer = () => ({ body: { active: true, sub: 'alice' } });
 * ```
 */
export async function startFakeAuthorizationServer(): Promise<FakeAuthorizationServer> {
  const requests: SeenRequest[] = [];
  const state: { answer: (token: string) => FakeAnswer } = { answer: () => ({ body: { active: false } }) };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const answer = state.answer(new URLSearchParams(body).get('token') ?? '');
      const payload = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json; charset=utf-8', ...(answer.chunked === true ? {} : { 'content-length': payload.length }) });
        if (answer.chunked === true) {
          res.write(payload.subarray(0, 512));
          res.end(payload.subarray(512));
        } else {
          res.end(payload);
        }
      };
      if (answer.delayMs === undefined) send();
      else setTimeout(send, answer.delayMs).unref();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const outbound = createOutboundClient({ timeoutMs: 5000, maxResponseBytes: 1_048_576, allow: [origin] });
  return {
    endpoint: `${origin}/introspect`,
    outbound,
    requests,
    get answer() {
      return state.answer;
    },
    set answer(fn) {
      state.answer = fn;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await outbound.close();
    },
  };
}

/**
 * A complete config: the schema's defaults under `partial`.
 *
 * @example
 * ```ts
 * introspectionConfig({ endpoint, clientId: 'gw', clientSecret: 's' }).cacheTtlSec // 60
 * ```
 */
export function introspectionConfig(partial: Readonly<Record<string, unknown>>): IntrospectionConfig {
  const config: Record<string, unknown> = structuredClone(partial);
  if (!validate(config)) throw new Error(`invalid test config: ${JSON.stringify(validate.errors)}`);
  return config;
}

const validate = (() => {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile<IntrospectionConfig>(IntrospectionSchema);
})();
