/**
 * Portcullis as Express middleware. Express is not imported: the middleware only needs node:http's
 * request and response, which Express's extend, so Express stays the app's own dependency.
 *
 * Mount it first, at the root (`app.use(expressMiddleware(guard))`): route paths in the config
 * are full paths, and a guard mounted under a prefix refuses to run. Mount body parsers after it:
 * on routes whose policies read the body the guard reads it (bounded by size-limit) and sets
 * `req.body` itself; a JSON body parsed before it is serialised once into the bytes checked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../core/principal.js';
import { ObjectAccessError } from './authorize-object.js';
import { engineOf, type Portcullis } from './portcullis.js';
import { runRaw, sendDenial, type PortcullisContext } from './raw.js';

declare global {
  // Express's documented way to type what middleware adds to a request.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller Portcullis authenticated; undefined on a public route without a credential. */
      principal?: Principal;
      /** Portcullis's view of the request (request id, route, parameters …). */
      portcullis?: PortcullisContext;
    }
  }
}

/** Middleware in Express's shape, typed on node:http so that Express is not needed to type it. */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Error middleware in Express's shape (four parameters). */
export type ExpressErrorMiddleware = (error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The guard as Express middleware: a refusal is answered as the gateway answers it; otherwise
 * `next()` with `req.principal` set, and the app's response passes the route's response rules.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(expressMiddleware(await portcullis(config)));
 * app.get('/api/tasks', (req, res) => res.json({ owner: req.principal?.id }));
 * ```
 */
export function expressMiddleware(guard: Portcullis): ExpressMiddleware {
  const engine = engineOf(guard);
  return (req, res, next) => {
    // Under a mount path Express strips the prefix from req.url: routes would be checked against
    // paths they do not name. Loud at the first request rather than unguarded.
    if ((req as { baseUrl?: string }).baseUrl) {
      next(new Error('the Portcullis middleware must be mounted at the root of the app (app.use(middleware)), not under a path'));
      return;
    }
    let result;
    try {
      result = runRaw(engine, req, res);
    } catch (error) {
      next(error);
      return;
    }
    if (result instanceof Promise) {
      result.then((r) => {
        if (r.outcome !== 'refused') next();
      }, next);
    } else if (result.outcome !== 'refused') {
      next();
    }
  };
}

/**
 * Error middleware that answers an {@link ObjectAccessError} (from assertObjectAccess) as the
 * gateway answers an object-level refusal, and passes every other error on.
 *
 * @example
 * ```ts
 * app.get('/api/tasks/:id', (req) => { assertObjectAccess(req.principal, load(req.params.id), TASK); … });
 * app.use(expressErrorHandler());
 * ```
 */
export function expressErrorHandler(): ExpressErrorMiddleware {
  return (error, _req, res, next) => {
    if (error instanceof ObjectAccessError) sendDenial(res, error.denial);
    else next(error);
  };
}

export { sendDenial };
