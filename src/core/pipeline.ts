/**
 * The pipeline runner: the request handlers of one route, in phase order, run until one refuses.
 * Synchronous handlers run in a plain loop; the runner only awaits when a handler returns a
 * Promise, so a chain of synchronous checks costs no microtasks.
 */
import type { RequestContext } from './context.js';
import type { RequestHandler } from './policy.js';
import type { Denial } from './problem.js';

/** A handler together with the name of the policy it belongs to (for errors and logs). */
export interface NamedHandler {
  /** The policy's name. */
  readonly policy: string;
  /** Its request handler. */
  readonly run: RequestHandler;
}

/** The outcome of a failed handler: which policy threw, and what. */
export class PolicyFailure {
  /** The policy whose handler threw or rejected. */
  readonly policy: string;
  /** What it threw (logged, never sent to the client). */
  readonly error: unknown;
  constructor(policy: string, error: unknown) {
    this.policy = policy;
    this.error = error;
  }
}

/** What running a pipeline gives: continue (undefined), a Denial, or a policy failure. */
export type PipelineOutcome = undefined | Denial | PolicyFailure;

/**
 * Runs handlers from `start` on. Returns synchronously when every handler did; otherwise a
 * Promise. Never throws: a throwing or rejecting handler becomes a PolicyFailure (fail closed).
 *
 * @example
 * ```ts
 * const out = runPipeline(route.handlers, ctx);
 * if (out instanceof Promise) out.then(finish); else finish(out);
 * ```
 */
export function runPipeline(handlers: readonly NamedHandler[], ctx: RequestContext, start = 0): PipelineOutcome | Promise<PipelineOutcome> {
  for (let i = start; i < handlers.length; i++) {
    const h = handlers[i]!;
    let result;
    try {
      result = h.run(ctx);
    } catch (error) {
      return new PolicyFailure(h.policy, error);
    }
    if (result === undefined) continue;
    if (result instanceof Promise) {
      const next = i + 1;
      return result.then(
        (value): PipelineOutcome | Promise<PipelineOutcome> => (value === undefined ? runPipeline(handlers, ctx, next) : value),
        (error: unknown) => new PolicyFailure(h.policy, error),
      );
    }
    return result;
  }
  return undefined;
}
