/**
 * Portcullis around a plain node:http request listener: refused requests never reach the
 * handler; the others reach it with `req.principal` set and, on routes whose policies read the
 * body, `req.body` (parsed JSON, else the raw bytes) since the stream was consumed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../core/context.js';
import { coreDenial, internalFailure, type Engine } from './engine.js';
import { engineOf, type Portcullis } from './portcullis.js';
import { runRaw, sendDenial, type GuardedRequest, type RunResult } from './raw.js';

/** The app's handler: called for every request the guard lets through (and unmatched ones with `unmatched: 'next'`). */
export type GuardedHandler = (req: GuardedRequest, res: ServerResponse) => unknown;

/** A node:http request listener. */
export type NodeRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps a handler in the guard. A handler that throws or rejects is logged and, if it had not
 * started its response, answered 500 `gateway.internal_error`.
 *
 * @example
 * ```ts
 * const guard = await portcullis(config);
 * http.createServer(nodeHttpHandler(guard, (req, res) => res.end(req.principal?.id))).listen(3000);
 * ```
 */
export function nodeHttpHandler(guard: Portcullis, handler: GuardedHandler): NodeRequestListener {
  const engine = engineOf(guard);
  return (req, res) => {
    const result = runRaw(engine, req, res);
    if (result instanceof Promise) {
      result.then((r) => proceed(engine, handler, req as GuardedRequest, res, r)).catch((error: unknown) => {
        engine.logger.error({ event: 'internal_error', source: 'guard', err: error }, 'request failed inside Portcullis');
        res.destroy();
      });
    } else {
      proceed(engine, handler, req, res, result);
    }
  };
}

function proceed(engine: Engine, handler: GuardedHandler, req: GuardedRequest, res: ServerResponse, result: RunResult): void {
  if (result.outcome === 'refused') return;
  const failed = (error: unknown) => {
    const ctx = req.portcullis;
    if (ctx === undefined) engine.logger.error({ event: 'internal_error', source: 'handler', err: error }, 'the app\'s handler failed');
    else internalFailure(engine, ctx as RequestContext, 'handler', error);
    if (!res.headersSent) sendDenial(res, coreDenial('gateway.internal_error'));
    else res.destroy();
  };
  try {
    const out = handler(req, res);
    if (out instanceof Promise) out.catch(failed);
  } catch (error) {
    failed(error);
  }
}
