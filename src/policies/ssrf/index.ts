/**
 * ssrf: refuses requests whose URL fields (a webhook's target, a callback, an image to fetch)
 * point anywhere but the public internet (OWASP API7:2023, server-side request forgery). The
 * upstream will fetch those URLs later; the gateway vets them first, by its own outbound rules
 * and with its own resolver (`env.outbound.check`): an absolute URL, a listed scheme and port, no
 * userinfo, no internal name (`localhost`, `*.internal`, single labels, cloud metadata names),
 * and every address the host resolves to public — so `http://2130706433/`, `https://0x7f.1/`,
 * `https://[::ffff:127.0.0.1]/`, `https://169.254.169.254/` and names that resolve to them are
 * refused alike.
 *
 * Refusals: 400 `ssrf.invalid_url` (not an absolute URL, a scheme not listed, userinfo, not a
 * string, a body that is not JSON, a required field absent), 403 `ssrf.blocked_address` (an
 * address, name, port or host not allowed, or a name that does not resolve in time), 400
 * `ssrf.too_many_urls`. The problem never echoes the URL; the audit event (`ssrf`) names the
 * field and the check's code, never the URL.
 *
 * What it cannot do: the upstream resolves the name again when it connects, so a name that
 * rebinds between the two lookups passes here. Upstreams that deliver webhooks should send them
 * through an egress that checks every connection (the gateway's outbound client does).
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import type { UrlCheck, UrlCheckCode, UrlCheckOptions } from '../../core/outbound.js';
import { definePolicy, type CompiledPolicy, type CompileEnv, type PolicyAuditEvent } from '../../core/policy.js';
import type { Denial } from '../../core/problem.js';
import { collectUrls, compileField, type CompiledField, type FieldProblem } from './fields.js';
import { SsrfSchema, type SsrfConfig } from './schema.js';

export { SsrfSchema, UrlFieldSchema, FIELD_LOCATIONS, HOST_PATTERN, type SsrfConfig, type UrlField } from './schema.js';
export { parsePointer, collectUrls, compileField, type CompiledField, type Collected, type FieldProblem } from './fields.js';

/** Every reason an audit event may give: the URL check's codes and the policy's own. */
export type SsrfReason = UrlCheckCode | FieldProblem | 'host';

/** What a check that threw (a broken client) counts as: refused. */
const CHECK_FAILED: UrlCheck = Object.freeze({ ok: false, code: 'resolve_failed', reason: 'the URL check failed' });

/** The host as WHATWG's parser reads it ('' when it is not a URL: check() then refuses it). */
function hostOf(value: string): string {
  try {
    return new URL(value).hostname;
  } catch {
    return '';
  }
}

const INVALID_REASONS: ReadonlySet<SsrfReason> = new Set(['invalid_url', 'scheme', 'credentials', 'missing', 'not_a_string', 'body_not_json']);

/**
 * The ssrf policy.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/v1/webhooks
 *     methods: [POST]
 *     upstream: tasks
 *     policies:
 *       ssrf: { fields: [{ in: body, name: /url }], required: true }
 * ```
 */
export default definePolicy({
  name: 'ssrf',
  phase: 'validate',
  description: 'SSRF guard for URLs in requests: declared URL fields must be absolute https URLs whose host resolves only to public addresses.',
  schema: SsrfSchema,
  errors: {
    invalid_url: {
      status: 400,
      title: 'Bad Request',
      description: 'A field that must hold a URL (ssrf.fields) does not hold an absolute URL with an allowed scheme and without userinfo, is not a string, is absent although required, or the body is not JSON. Send an absolute https URL.',
    },
    blocked_address: {
      status: 403,
      title: 'Forbidden',
      description: 'A URL in the request points at a host, address or port the gateway does not let upstreams reach: loopback, private, link-local or cloud metadata, another non-public range, an internal name, a port not listed, a host outside ssrf.allowHosts, or a name that did not resolve in time.',
    },
    too_many_urls: {
      status: 400,
      title: 'Bad Request',
      description: 'The request holds more URLs in its URL fields than ssrf.maxUrls.',
    },
  },
  compile: compileSsrf,
});

function compileSsrf(config: SsrfConfig, env: CompileEnv): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  const fields: CompiledField[] = [];
  config.fields.forEach((f, i) => {
    const compiled = compileField(f, i);
    if (compiled === undefined) issues.push({ path: ['fields', i, 'name'], message: 'is not a JSON pointer: it must start with / and escape ~ as ~0 and / as ~1', severity: 'error' });
    else fields.push(compiled);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  if (!config.resolve) env.warn(['resolve'], 'is false: host names are not resolved, so a name pointing at an internal address passes');

  const exactHosts = new Set(config.allowHosts.filter((h) => !h.startsWith('.')));
  const suffixes = config.allowHosts.filter((h) => h.startsWith('.'));
  const hostAllowed = (host: string): boolean => {
    const name = host.endsWith('.') ? host.slice(0, -1) : host;
    return exactHosts.has(name) || suffixes.some((s) => name.endsWith(s));
  };
  const restrictHosts = config.allowHosts.length > 0;
  const checkOptions: UrlCheckOptions = Object.freeze({ schemes: config.schemes, ports: config.ports, resolve: config.resolve, timeoutMs: config.timeoutMs });
  const denials = {
    invalid: env.deny('invalid_url'),
    blocked: env.deny('blocked_address'),
    tooMany: env.deny('too_many_urls', { detail: `At most ${config.maxUrls} URLs are checked in one request.` }),
  };
  const rules = config.fields.map((f) => `ssrf: ${f.in} ${f.name}`);
  const allowed: PolicyAuditEvent = Object.freeze({ type: 'ssrf', outcome: 'success', rule: `ssrf: ${config.fields.map((f) => `${f.in} ${f.name}`).join(', ')}`.slice(0, 200) });
  const refuse = (ctx: RequestContext, field: number, reason: SsrfReason): Denial => {
    env.audit(ctx, { type: 'ssrf', outcome: 'failure', rule: rules[field]!, reason });
    if (reason === 'too_many') return denials.tooMany;
    return INVALID_REASONS.has(reason) ? denials.invalid : denials.blocked;
  };

  const checkAll = async (ctx: RequestContext, urls: ReadonlyArray<{ readonly field: number; readonly value: string }>): Promise<Denial | undefined> => {
    // All at once, each bounded by timeoutMs; the first refusal in field order decides.
    const results = await Promise.all(urls.map(async ({ value }): Promise<SsrfReason | undefined> => {
      // allowHosts is checked before any DNS lookup, on the same parser's reading of the host.
      if (restrictHosts) {
        const host = hostOf(value);
        if (host !== '' && !hostAllowed(host)) return 'host';
      }
      const result = await env.outbound.check(value, checkOptions).catch(() => CHECK_FAILED);
      return result.ok ? undefined : result.code;
    }));
    const failed = results.findIndex((r) => r !== undefined);
    if (failed !== -1) return refuse(ctx, urls[failed]!.field, results[failed]!);
    env.audit(ctx, allowed);
    return undefined;
  };

  return {
    requestBody: fields.some((f) => f.in === 'body') ? 'json' : undefined,
    onRequest(ctx) {
      const found = collectUrls(ctx, fields, config.maxUrls, config.required);
      if (found.problem !== undefined) return refuse(ctx, found.problem.field, found.problem.reason);
      if (found.urls.length === 0) return undefined;
      return checkAll(ctx, found.urls);
    },
  };
}
