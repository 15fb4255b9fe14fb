/**
 * The authenticate step of a route: its authentication methods (api-key, jwt, introspection …)
 * combined into one pipeline handler. The first method that finds its kind of credential
 * decides: a principal continues, a refusal is final (a bad token is not retried as something
 * else). No credential at all is 401 with a challenge per method, unless the route is public.
 * Every success and failure is an audit event with the exact reason; the client only ever gets
 * the generic code.
 */
import type { RequestContext } from '../core/context.js';
import { CORE_ERRORS } from '../core/errors.js';
import type { NamedHandler } from '../core/pipeline.js';
import type { AuthOutcome, CompiledPolicy } from '../core/policy.js';
import { createDenial, type Denial } from '../core/problem.js';

/** One authentication method of a route. */
export interface AuthMethod {
  /** The policy's name (`jwt`). */
  readonly name: string;
  /** Its authenticate function. */
  readonly authenticate: NonNullable<CompiledPolicy['authenticate']>;
  /** Its challenge for WWW-Authenticate. */
  readonly challenge: string | undefined;
}

/** An authentication audit event. */
export interface AuthAuditEvent {
  /** The request. */
  readonly ctx: RequestContext;
  /** Success or failure. */
  readonly outcome: 'success' | 'failure';
  /** The method that decided, or `none` when no credential came. */
  readonly method: string;
  /** Why it failed (`token_expired`, `missing_credentials` …). */
  readonly reason: string | undefined;
}

/**
 * Builds the step. `audit` receives every decision.
 *
 * @example
 * ```ts
 * const step = authenticateStep([{ name: 'jwt', authenticate, challenge: 'Bearer realm="api"' }], false, auditSink);
 * handlers.unshift(step);
 * ```
 */
export function authenticateStep(methods: readonly AuthMethod[], isPublic: boolean, audit: (event: AuthAuditEvent) => void): NamedHandler {
  const challenges: Array<[string, string]> = [...new Set(methods.map((m) => m.challenge).filter((c) => c !== undefined))].map((c) => ['www-authenticate', c]);
  const required = createDenial('authenticate.required', CORE_ERRORS['authenticate.required'], { headers: challenges });

  const settle = (ctx: RequestContext, method: AuthMethod, outcome: AuthOutcome): Denial | undefined | 'next' => {
    if (outcome === undefined) return 'next';
    if ('principal' in outcome) {
      ctx.principal = outcome.principal;
      audit({ ctx, outcome: 'success', method: method.name, reason: undefined });
      return undefined;
    }
    audit({ ctx, outcome: 'failure', method: method.name, reason: outcome.reason });
    return outcome.denial;
  };

  const run = (ctx: RequestContext, start: number): Denial | undefined | Promise<Denial | undefined> => {
    for (let i = start; i < methods.length; i++) {
      const method = methods[i]!;
      const outcome = method.authenticate(ctx);
      if (outcome instanceof Promise) {
        return outcome.then((o) => {
          const r = settle(ctx, method, o);
          return r === 'next' ? run(ctx, i + 1) : r;
        });
      }
      const r = settle(ctx, method, outcome);
      if (r !== 'next') return r;
    }
    if (isPublic) return undefined;
    audit({ ctx, outcome: 'failure', method: 'none', reason: 'missing_credentials' });
    return required;
  };

  return { policy: 'authenticate', run: (ctx) => run(ctx, 0) };
}
