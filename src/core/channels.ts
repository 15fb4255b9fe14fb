/**
 * Decisions are published on node:diagnostics_channel; the logger, audit trail, metrics and
 * alerts subscribe. No policy imports a sink. Channel names are stable API.
 */
import diagnostics from 'node:diagnostics_channel';
import type { RequestContext } from './context.js';

/** Published when a request is refused by a policy or fails in the gateway. */
export interface DecisionMessage {
  /** The request. */
  readonly ctx: RequestContext;
  /** The policy that decided (`size-limit`), or `gateway` / `proxy` / `route`. */
  readonly policy: string;
  /** The stable code (`size-limit.body_too_large`). */
  readonly code: string;
  /** HTTP status sent. */
  readonly status: number;
}

/** Published once per request when its response has finished (or the client went away). */
export interface RequestEndMessage {
  /** The request. */
  readonly ctx: RequestContext;
  /** Milliseconds from arrival to the end of the response. */
  readonly durationMs: number;
  /** False when the connection closed before the response was complete. */
  readonly completed: boolean;
}

/** Published for every security-relevant decision (authentication successes and failures …). */
export interface AuditMessage {
  /** The request. */
  readonly ctx: RequestContext;
  /** What kind of decision (`authentication`). */
  readonly type: string;
  /** success or failure. */
  readonly outcome: 'success' | 'failure';
  /** The policy or method that decided. */
  readonly method: string;
  /** The exact reason of a failure (never a secret). */
  readonly reason: string | undefined;
  /** The rule that decided, for authorization decisions. */
  readonly rule?: string;
}

/** Published when a policy throws or an internal error is caught on the request path. */
export interface InternalErrorMessage {
  /** The request, when there is one. */
  readonly ctx: RequestContext | undefined;
  /** Where it happened (policy name or component). */
  readonly source: string;
  /** The error; never sent to the client. */
  readonly error: unknown;
}

/**
 * Published when a request or response does not match its OpenAPI operation, whether it was
 * refused (enforce) or let through (monitor): metrics count what would have been refused.
 */
export interface ValidationMessage {
  /** The request. */
  readonly ctx: RequestContext;
  /** The policy that validated (`openapi`). */
  readonly policy: string;
  /** Which direction failed. */
  readonly kind: 'request' | 'response';
  /** True when it was refused; false in monitor mode. */
  readonly refused: boolean;
  /** How many violations were found (all of them, not only those listed). */
  readonly violations: number;
}

/**
 * The channel names, `portcullis:` prefixed.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * diagnostics.subscribe(CHANNELS.decision, (msg) => console.log((msg as DecisionMessage).code));
 * ```
 */
export const CHANNELS = {
  decision: 'portcullis:decision',
  requestEnd: 'portcullis:request-end',
  internalError: 'portcullis:internal-error',
  audit: 'portcullis:audit',
  validation: 'portcullis:validation',
} as const;

/** The channel objects, created per gateway (named channels are shared process-wide by Node). */
export interface Channels {
  readonly decision: diagnostics.Channel;
  readonly requestEnd: diagnostics.Channel;
  readonly internalError: diagnostics.Channel;
  readonly audit: diagnostics.Channel;
  readonly validation: diagnostics.Channel;
}

/**
 * Gets the channel objects. Publishing checks `hasSubscribers` first, so an unobserved channel
 * costs one property read.
 *
 * @example
 * ```ts
 * const ch = getChannels();
 * if (ch.decision.hasSubscribers) ch.decision.publish({ ctx, policy: 'size-limit', code, status: 413 });
 * ```
 */
export function getChannels(): Channels {
  return {
    decision: diagnostics.channel(CHANNELS.decision),
    requestEnd: diagnostics.channel(CHANNELS.requestEnd),
    internalError: diagnostics.channel(CHANNELS.internalError),
    audit: diagnostics.channel(CHANNELS.audit),
    validation: diagnostics.channel(CHANNELS.validation),
  };
}
