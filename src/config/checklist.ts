/**
 * The security checklist `portcullis audit` evaluates: what a reviewer of an API gateway's
 * configuration asks, answered from the compiled routes (defaults and OpenAPI operations
 * included) and the file's own settings; and each route's protections mapped to the OWASP API
 * Security Top 10 (2023).
 */
import type { CompiledGateway, CompiledRoute } from './compile.js';
import type { GatewayConfig } from './schema.js';

/** One finding. */
export interface Finding {
  /** `fail` makes the audit fail; `warn` is worth a look. */
  readonly severity: 'fail' | 'warn';
  /** The checklist item (`authentication`, `object-level`, `input-schema` …). */
  readonly check: string;
  /** The route it is about (`GET /api/v1/tasks/{taskId}`), or '' for the file as a whole. */
  readonly route: string;
  /** What is missing and what to do. */
  readonly message: string;
}

/** OWASP API Security Top 10 (2023) identifiers. */
export const OWASP_API_TOP_10 = ['API1', 'API2', 'API3', 'API4', 'API5', 'API6', 'API7', 'API8', 'API9', 'API10'] as const;

/** Coverage of one risk on one route: covered, not covered, or not applicable. */
export type Coverage = 'yes' | 'no' | 'n/a';

/** A route's row of the OWASP table. */
export interface RouteCoverage {
  readonly route: string;
  readonly coverage: Readonly<Record<(typeof OWASP_API_TOP_10)[number], Coverage>>;
}

/** The audit's result. */
export interface AuditReport {
  readonly findings: readonly Finding[];
  readonly routes: readonly RouteCoverage[];
  /** True when no finding is a failure. */
  readonly passed: boolean;
}

const SENSITIVE_FLOW = /(^|\/)(login|log-in|signin|sign-in|signup|sign-up|register|token|oauth|password|password-reset|reset-password|forgot|otp|mfa|verify)(\/|$)/i;
const SECRET_NAME = /secret|password|passwd|token$|apikey|api_key|privatekey|private_key/i;

/**
 * Evaluates a compiled configuration.
 *
 * @example
 * ```ts
 * const report = auditConfiguration(compiled);
 * process.exitCode = report.passed ? 0 : 1;
 * ```
 */
export function auditConfiguration(compiled: CompiledGateway): AuditReport {
  const config = compiled.config;
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], check: string, route: string, message: string) => findings.push({ severity, check, route, message });
  const routes: RouteCoverage[] = [];

  for (const route of compiled.routes) {
    const label = `${route.methods.join(',')} ${route.template}`;
    const has = (name: string) => route.policies.some((p) => p.name === name);
    const cfg = (name: string) => route.policies.find((p) => p.name === name)?.config as Record<string, unknown> | undefined;
    const writes = route.methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH');
    const hasObjectId = /\{[^}]+\}/.test(route.template);
    const authenticated = route.policies.some((p) => p.phase === 'authenticate');
    const authorized = route.policies.some((p) => p.phase === 'authorize' && p.name !== 'property-level');
    const openapi = cfg('openapi');
    const validatesRequest = openapi !== undefined && openapi.request !== 'off';
    const enforcesRequest = openapi !== undefined && (openapi.request ?? 'enforce') === 'enforce';
    const rateLimited = has('rate-limit');
    const ownLimit = rateLimited && JSON.stringify(cfg('rate-limit')?.limits ?? []).includes('"key":"ip"');
    const sensitive = SENSITIVE_FLOW.test(route.template);

    if (route.public) add('warn', 'authentication', label, 'public by intent: served without authentication; check that it should be');
    else if (!authenticated) add('fail', 'authentication', label, 'no authentication method');
    if (!route.public && authenticated && !authorized) add('fail', 'function-level', label, 'any authenticated caller may use it: add rbac or abac');
    if (hasObjectId && !route.public && !has('object-level') && !has('abac')) add('fail', 'object-level', label, 'names an object by id but has no object-level (or abac) check: any caller may reach any object (API1)');
    if (writes && !validatesRequest && !has('property-level')) add('fail', 'input-schema', label, 'takes a body without schema validation (openapi) or property rules: mass assignment and oversized input pass (API3, API4)');
    else if (writes && validatesRequest && !enforcesRequest) add('warn', 'input-schema', label, 'request validation is in monitor mode: violations are logged, not refused');
    if (!rateLimited) add('fail', 'rate-limit', label, 'no rate limit (API4)');
    if (sensitive && !ownLimit) add('fail', 'rate-limit', label, 'looks like an authentication or account flow but has no strict per-IP limit of its own (API2, API6)');
    if (route.public && rateLimited && !ownLimit && writes) add('warn', 'rate-limit', label, 'public write route without a per-IP limit of its own (API6)');

    const yes = (b: boolean): Coverage => (b ? 'yes' : 'no');
    routes.push({
      route: label,
      coverage: {
        API1: hasObjectId ? yes(has('object-level') || has('abac')) : 'n/a',
        API2: route.public ? (sensitive ? yes(ownLimit) : 'n/a') : yes(authenticated && (!sensitive || ownLimit)),
        API3: yes(has('property-level') || enforcesRequest || (openapi !== undefined && openapi.response !== 'off')),
        API4: yes(rateLimited && has('size-limit')),
        API5: route.public ? 'n/a' : yes(authorized),
        API6: route.public || sensitive ? yes(ownLimit) : yes(rateLimited),
        API7: has('ssrf') ? 'yes' : 'n/a',
        API8: yes(has('security-headers')),
        API9: yes(route.operation !== undefined),
        API10: yes(openapi !== undefined && openapi.response !== 'off'),
      },
    });
  }

  fileChecks(config, compiled.routes, add);
  return { findings, routes, passed: findings.every((f) => f.severity !== 'fail') };
}

function fileChecks(config: GatewayConfig, routes: readonly CompiledRoute[], add: (s: Finding['severity'], check: string, route: string, message: string) => void): void {
  if (config.server.https === undefined) add('fail', 'tls', '', 'no HTTPS listener: credentials travel in clear text');
  if (config.server.http !== undefined && !config.server.http.redirect) add('fail', 'tls', '', 'the plain-HTTP listener serves traffic instead of redirecting to HTTPS');
  const corsConfigs = new Set(routes.flatMap((r) => r.policies.filter((p) => p.name === 'cors').map((p) => p.config as { origins?: unknown })));
  for (const cors of corsConfigs) {
    const origins = Array.isArray(cors.origins) ? (cors.origins as unknown[]).map(String) : [];
    if (origins.some((o) => o === '*' || o.includes('*'))) add('fail', 'cors', '', 'CORS allows any origin (or a wildcard pattern): list the origins that may call the API');
  }
  for (const path of inlineSecrets(config)) add('fail', 'secrets', '', `${path}: a secret written in the file; use an environment variable or a file reference`);
  if (!config.log.access) add('fail', 'monitoring', '', 'access logs are off');
  if (config.audit.file === undefined && !config.audit.log) add('fail', 'monitoring', '', 'the audit trail is off (audit.file or audit.log)');
  if (config.audit.file === undefined) add('warn', 'monitoring', '', 'audit records go only to the log: set audit.file for a tamper-evident trail');
  if (config.alerts.rules.length === 0) add('fail', 'alerts', '', 'no alert rules: attacks in progress go unnoticed');
  if (config.admin === undefined) add('warn', 'monitoring', '', 'no admin listener: no /metrics or /readyz');
}

function inlineSecrets(value: unknown, path: string[] = [], out: string[] = []): string[] {
  if (out.length > 50 || path.length > 32) return out;
  if (Array.isArray(value)) value.forEach((v, i) => inlineSecrets(v, [...path, String(i)], out));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && v !== '' && SECRET_NAME.test(k) && !/env$|file$/i.test(k)) out.push([...path, k].join('.'));
      else if (typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(v)) out.push([...path, k].join('.'));
      else inlineSecrets(v, [...path, k], out);
    }
  }
  return out;
}
