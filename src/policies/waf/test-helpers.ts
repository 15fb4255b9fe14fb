/**
 * Helpers for the waf policy's unit tests: fake detectors that hit on a marker and record what
 * they were called with, and a harness that compiles the policy and drives onRequest.
 * Test-only (excluded from the build by name).
 */
import assert from 'node:assert/strict';
import type { CompiledPolicy, PolicyAuditEvent } from '../../core/policy.js';
import { problemBody, type Denial } from '../../core/problem.js';
import type { RequestContext } from '../../core/context.js';
import { compileEnvFor, fakeContext, schemaValidator } from '../test-helpers.js';
import { RULE_CLASSES, type Detector, type InputLocation, type ParanoiaLevel, type RuleClass } from './detector.js';
import { createWafPolicy } from './policy.js';
import { WafSchema, type WafConfig } from './schema.js';

/** One call a fake detector received. */
export interface DetectorCall {
  readonly ruleClass: RuleClass;
  readonly value: string;
  readonly paranoia: ParanoiaLevel;
  readonly location: InputLocation;
}

/**
 * A detector of `ruleClass` that hits (rule `<class>.fake`, `score` points) on values containing
 * `marker`, recording every call in `calls`.
 *
 * @example
 * ```ts
 * const sqli = fakeDetector('sqli', "'sqli", 5, calls);
 * ```
 */
export function fakeDetector(ruleClass: RuleClass, marker: string, score: number, calls: DetectorCall[]): Detector {
  return {
    ruleClass,
    detect(value, paranoia, location) {
      calls.push({ ruleClass, value, paranoia, location });
      return value.includes(marker) ? { rule: `${ruleClass}.fake`, score } : undefined;
    },
  };
}

/** The marker of each class's fake: `!sqli`, `!xss` … (never on the fast path). */
export function marker(ruleClass: RuleClass): string {
  return `!${ruleClass}`;
}

/** A compiled waf policy over fakes, and what it recorded. */
export interface WafHarness {
  readonly compiled: CompiledPolicy;
  readonly calls: DetectorCall[];
  readonly audits: PolicyAuditEvent[];
  readonly warnings: string[];
  /** Runs onRequest (checked synchronous) on a request. */
  run(request: TestRequest): Denial | undefined;
}

/** A request for {@link WafHarness.run}. */
export interface TestRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Record<string, string>;
  /** A parsed JSON body (rawBody and content type are set to match). */
  readonly json?: unknown;
  /** A raw body with its content type. */
  readonly raw?: { readonly type: string; readonly text: string };
}

const validate = schemaValidator(WafSchema);

/**
 * The config with defaults filled in, as the loader would give it.
 *
 * @example
 * ```ts
 * const config = wafConfig({ mode: 'detect' });
 * ```
 */
export function wafConfig(config: Record<string, unknown> = {}): WafConfig {
  const copy = structuredClone(config);
  assert.equal(validate(copy), true, JSON.stringify(validate.errors));
  return copy as WafConfig;
}

/**
 * Compiles the policy with one fake per class (score `scores[class]`, default 5).
 *
 * @example
 * ```ts
 * const h = wafHarness({ threshold: 5 }, { sqli: 3 });
 * h.run({ url: '/x?q=!sqli' });
 * ```
 */
export function wafHarness(config: Record<string, unknown> = {}, scores: Partial<Record<RuleClass, number>> = {}): WafHarness {
  const calls: DetectorCall[] = [];
  const audits: PolicyAuditEvent[] = [];
  const warnings: string[] = [];
  const detectors = RULE_CLASSES.map((c) => fakeDetector(c, marker(c), scores[c] ?? 5, calls));
  const policy = createWafPolicy(detectors);
  const env = compileEnvFor(policy, { audit: (_ctx, e) => audits.push(e), warn: (path, message) => warnings.push(`${path.join('.')}: ${message}`) });
  const compiled = policy.compile(wafConfig(config), env);
  return {
    compiled,
    calls,
    audits,
    warnings,
    run(request) {
      const ctx = requestContext(request);
      const out = compiled.onRequest?.(ctx);
      assert.ok(!(out instanceof Promise), 'expected a synchronous answer');
      return out ?? undefined;
    },
  };
}

/**
 * A context for a request; JSON bodies as the pipeline leaves them (ctx.body and ctx.rawBody).
 *
 * @example
 * ```ts
 * const ctx = requestContext({ method: 'POST', url: '/x', json: { a: 1 } });
 * ```
 */
export function requestContext(request: TestRequest): RequestContext {
  const headers: Record<string, string> = { ...request.headers };
  if (request.json !== undefined) headers['content-type'] = 'application/json';
  if (request.raw !== undefined) headers['content-type'] = request.raw.type;
  const ctx = fakeContext({ method: request.method ?? (request.json === undefined && request.raw === undefined ? 'GET' : 'POST'), url: request.url ?? '/', headers });
  if (request.json !== undefined) {
    ctx.rawBody = Buffer.from(JSON.stringify(request.json));
    ctx.body = structuredClone(request.json);
  }
  if (request.raw !== undefined) ctx.rawBody = Buffer.from(request.raw.text);
  return ctx;
}

/**
 * The problem document of a denial.
 *
 * @example
 * ```ts
 * problem(h.run({ url: '/x?q=!sqli' })).code // 'waf.blocked'
 * ```
 */
export function problem(denial: Denial | undefined): Record<string, unknown> {
  assert.ok(denial, 'expected a denial');
  return JSON.parse(problemBody(denial, 'r1')) as Record<string, unknown>;
}
