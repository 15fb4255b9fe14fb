/**
 * The gateway's logger: pino, JSON lines. Secrets never reach it: request headers are copied
 * through {@link redactHeaders} (Authorization, Cookie, Set-Cookie, X-API-Key,
 * Proxy-Authorization always, plus configured names), and pino's own redaction covers the same
 * names wherever else a headers object is logged.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { IncomingHttpHeaders } from 'node:http';

/** Header names redacted in every log line, whatever the config says. */
export const ALWAYS_REDACTED = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'] as const;

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

/** Logger settings (the config's `log` section). */
export interface LoggerOptions {
  /** Lowest level written. */
  readonly level: string;
  /** Extra header names to redact. */
  readonly redactHeaders: readonly string[];
}

/**
 * Creates the logger. `destination` defaults to stdout (asynchronous, flushed on exit).
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info', redactHeaders: ['x-session'] });
 * logger.info({ event: 'started' }, 'listening');
 * ```
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  const names = headerRedactionSet(options.redactHeaders);
  const paths: string[] = [];
  for (const n of names) paths.push(`headers["${n}"]`, `req.headers["${n}"]`, `res.headers["${n}"]`);
  return pino({ level: options.level, base: null, redact: { paths, censor: REDACTED }, messageKey: 'msg' }, destination ?? pino.destination({ sync: false }));
}

/**
 * The lower-case set of header names to redact.
 *
 * @example
 * ```ts
 * headerRedactionSet(['X-Session']).has('x-session') // true
 * ```
 */
export function headerRedactionSet(extra: readonly string[]): ReadonlySet<string> {
  return new Set([...ALWAYS_REDACTED, ...extra.map((h) => h.toLowerCase())]);
}

/**
 * A copy of request headers safe to log.
 *
 * @example
 * ```ts
 * redactHeaders({ authorization: 'Bearer x', accept: '*' }, headerRedactionSet([])) // { authorization: '[REDACTED]', accept: '*' }
 * ```
 */
export function redactHeaders(headers: IncomingHttpHeaders, redact: ReadonlySet<string>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const name in headers) out[name] = redact.has(name) ? REDACTED : headers[name];
  return out;
}
