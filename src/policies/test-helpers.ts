/**
 * Helpers for policy tests: a CompileEnv like the compiler's, and request contexts built from
 * plain objects. Test-only (excluded from the build by name).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { RequestContext } from '../core/context.js';
import { NO_OUTBOUND } from '../core/outbound.js';
import type { CompileEnv, Policy } from '../core/policy.js';
import { createDenial } from '../core/problem.js';
import type { TSchema } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../config/registry.js';

/**
 * The CompileEnv the compiler would give `policy`, with overrides.
 *
 * @example
 * ```ts
 * const compiled = policy.compile(config, compileEnvFor(policy));
 * ```
 */
export function compileEnvFor(policy: Policy, overrides: Partial<CompileEnv> = {}): CompileEnv {
  return {
    deny: (code, options) => {
      const spec = policy.errors[code];
      if (!spec) throw new Error(`policy ${policy.name} has no error code '${code}'`);
      return createDenial(`${policy.name}.${code}`, spec, options);
    },
    logger: pino({ level: 'silent' }),
    routeName: 'test',
    baseDir: process.cwd(),
    outbound: NO_OUTBOUND,
    warn: () => undefined,
    audit: () => undefined,
    ...overrides,
  };
}

/** A fake incoming request. */
export interface FakeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Record<string, string | string[] | undefined>;
}

/**
 * A RequestContext over a plain request object.
 *
 * @example
 * ```ts
 * const ctx = fakeContext({ method: 'GET', url: '/x', headers: { authorization: 'Bearer t' } });
 * ```
 */
export function fakeContext(req: FakeRequest = {}, scheme: 'https' | 'http' = 'https', clientIp = '127.0.0.1'): RequestContext {
  const raw: string[] = [];
  for (const [k, v] of Object.entries(req.headers ?? {})) if (typeof v === 'string') raw.push(k, v);
  const incoming = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers ?? {}, rawHeaders: raw, socket: { remoteAddress: clientIp } };
  return new RequestContext(incoming as unknown as IncomingMessage, {} as ServerResponse, scheme, clientIp, 'test-request-id', 0);
}

/**
 * A validator for a policy's schema built exactly as the gateway builds its own (createAjv), so
 * schema tests see the errors and filled-in defaults a real config load sees.
 *
 * @example
 * ```ts
 * const validate = schemaValidator(SizeLimitSchema);
 * validate({}); // true, defaults filled in
 * ```
 */
export function schemaValidator(schema: TSchema): ValidateFunction {
  return createAjv().compile(schema);
}
