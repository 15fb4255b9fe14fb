/**
 * The waf policy's definition, built over a list of detectors (the default export of index.ts
 * uses all of them; tests pass their own).
 */
import { ConfigError } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type Policy } from '../../core/policy.js';
import type { Denial } from '../../core/problem.js';
import { RULE_CLASSES, type Detector, type ParanoiaLevel, type RuleClass } from './detector.js';
import { CLASS_BIT, compileExclusions } from './exclusions.js';
import { compilePlan, inspectRequest } from './inspect.js';
import { Scanner, STOP } from './score.js';
import { WafSchema, type WafConfig } from './schema.js';

/**
 * The policy's error codes (without the `waf.` prefix).
 *
 * @example
 * ```ts
 * WAF_ERRORS.blocked.status // 403
 * ```
 */
export const WAF_ERRORS = {
  blocked: {
    status: 403,
    title: 'Forbidden',
    description: 'The web application firewall found an attack pattern in the request (its anomaly score reached waf.threshold, or a rule class\'s own threshold). The detail names the rule classes that matched; the audit trail has the rules and the fields. If the input is legitimate, an operator can add a narrow waf.exclusions entry for that field.',
  },
  too_many_values: {
    status: 413,
    title: 'Content Too Large',
    description: 'The request carries more names and values (path segments, query parameters, cookies, JSON keys and strings, form fields) than the firewall inspects (waf.inspect.maxValues). It is refused rather than let through partly unchecked.',
  },
  too_much_input: {
    status: 413,
    title: 'Content Too Large',
    description: 'The request carries more text for the firewall to inspect than waf.inspect.maxTotalLength characters. It is refused rather than let through partly unchecked; send less, or raise the bound for this route.',
  },
  too_deep: {
    status: 400,
    title: 'Bad Request',
    description: 'The JSON body is nested deeper than the firewall inspects (waf.inspect.maxDepth).',
  },
} as const;

/** Options of {@link createWafPolicy}. */
export interface WafPolicyOptions {
  /**
   * Skip normalisation and the detectors for values that cannot spell an attack (see isBenign).
   * Default true; false only to measure what the fast path saves and costs (scripts/waf-score.ts).
   */
  readonly fastPath?: boolean;
}

/**
 * The waf policy over the given detectors.
 *
 * @example
 * ```ts
 * const waf = createWafPolicy([sqli, xss]);
 * const compiled = waf.compile(config, env);
 * ```
 */
export function createWafPolicy(detectors: readonly Detector[], options: WafPolicyOptions = {}): Policy<typeof WafSchema> {
  return definePolicy({
    name: 'waf',
    phase: 'validate',
    description: 'Web application firewall: anomaly-scored detection of injection attacks in the path, query, headers, cookies and body.',
    schema: WafSchema,
    errors: WAF_ERRORS,
    compile: (config, env) => compileWaf(config, env, detectors, options.fastPath !== false),
  });
}

function compileWaf(config: WafConfig, env: CompileEnv, all: readonly Detector[], fastPath: boolean): CompiledPolicy {
  const enabled = (c: RuleClass) => config.classes[c]?.enabled !== false;
  const detectors = all.filter((d) => enabled(d.ruleClass));
  const inspect = config.inspect;
  if (detectors.length === 0) throw new ConfigError([{ path: ['classes'], message: 'checks nothing: every rule class is disabled', severity: 'error' }]);
  if (!inspect.path && !inspect.query && inspect.headers.length === 0 && !inspect.cookies && !inspect.body) {
    throw new ConfigError([{ path: ['inspect'], message: 'inspects nothing: turn on path, query, headers, cookies or body', severity: 'error' }]);
  }
  const exclusions = compileExclusions(config.exclusions);
  config.exclusions.forEach((ex, i) => {
    if (ex.location === 'header' && ex.field !== '*' && !inspect.headers.some((h) => h.toLowerCase() === ex.field.toLowerCase())) {
      env.warn(['exclusions', i, 'field'], `header '${ex.field}' is not inspected (inspect.headers): the exclusion has no effect`);
    }
  });
  const plan = compilePlan(inspect, exclusions);
  const classThresholds: Partial<Record<RuleClass, number>> = {};
  for (const c of RULE_CLASSES) {
    const t = config.classes[c]?.threshold;
    if (t !== undefined) classThresholds[c] = t;
  }
  const scanner = new Scanner(detectors, {
    mode: config.mode,
    paranoia: config.paranoia as ParanoiaLevel,
    threshold: config.threshold,
    classThresholds,
    maxValues: inspect.maxValues,
    maxValueLength: inspect.maxValueLength,
    maxTotalLength: inspect.maxTotalLength,
    audit: (ctx, event) => env.audit(ctx, event),
    fastPath,
  });
  const blocked = blockedDenials(env);
  const tooManyValues = env.deny('too_many_values', { detail: `The request carries more than ${inspect.maxValues} names and values to inspect.` });
  const tooMuchInput = env.deny('too_much_input', { detail: `The request carries more than ${inspect.maxTotalLength} characters to inspect.` });
  const tooDeep = env.deny('too_deep', { detail: `The JSON body is nested deeper than ${inspect.maxDepth} levels.` });
  const block = config.mode === 'block';
  return {
    requestBody: inspect.body ? 'json' : undefined,
    jsonLimits: inspect.body ? { maxDepth: inspect.maxDepth } : undefined,
    onRequest(ctx: RequestContext): Denial | undefined {
      scanner.begin(ctx);
      inspectRequest(ctx, scanner, plan);
      if (!block) return undefined;
      switch (scanner.stop) {
        case STOP.none: return undefined;
        case STOP.blocked: return blocked(scanner.hitMask);
        case STOP.tooManyValues: return tooManyValues;
        case STOP.tooMuchInput: return tooMuchInput;
        default: return tooDeep;
      }
    },
  };
}

/**
 * The blocked denial for each set of classes that scored: one per class built at compile, any
 * combination built on first use and kept (at most 2^8 - 1 of them).
 */
function blockedDenials(env: CompileEnv): (mask: number) => Denial {
  const byMask = new Map<number, Denial>();
  const build = (mask: number) => {
    const names = RULE_CLASSES.filter((c) => (mask & CLASS_BIT[c]) !== 0);
    const list = names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    return env.deny('blocked', { detail: `The request matched the ${list} rules.` });
  };
  for (const c of RULE_CLASSES) byMask.set(CLASS_BIT[c], build(CLASS_BIT[c]));
  return (mask) => {
    let denial = byMask.get(mask);
    if (denial === undefined) byMask.set(mask, denial = build(mask));
    return denial;
  };
}
