/**
 * introspection: authenticates opaque bearer tokens by asking the authorization server (OAuth 2.0
 * Token Introspection, RFC 7662). The token comes from `Authorization: Bearer` only; the request
 * is a POST of `token` and `token_type_hint=access_token`, client-authenticated with HTTP Basic
 * (client_secret_basic), through the gateway's outbound client (deadline, size bound, SSRF rules).
 *
 * - `active: false` → 401 invalid_token (reason `inactive`); optional `iss` and `aud` checks;
 *   sender-constrained tokens (`cnf`, DPoP) are refused: a bearer request cannot prove the key.
 * - Results are cached under the SHA-256 of the token: active ones until min(exp, cacheTtlSec),
 *   inactive ones for negativeCacheTtlSec, each cache bounded. Concurrent requests with the same
 *   token share one introspection.
 * - The authorization server down, slow, answering 5xx or nonsense: `failureMode: closed` (the
 *   default) refuses with 503 authenticate.unavailable (reason `introspection_unavailable`,
 *   `introspection_invalid_response` or `introspection_client_rejected`); `open` cannot invent a
 *   principal, so it reports no credential of this kind: the route's next method is tried, then a
 *   public route serves the request anonymously and any other answers 401 authenticate.required.
 *   Each such request is an audit event (reason `<reason>_fail_open`). Failures are not cached.
 * - With `onlyOpaque` (default), tokens shaped like JWTs are not this method's credential. A route
 *   that takes both lists `introspection` before `jwt`: the first method that finds a credential
 *   decides, and the jwt policy refuses any bearer token that is not a JWT.
 * - The Authorization header is a credential header: removed before forwarding, redacted in logs.
 */
import { createHash } from 'node:crypto';
import { getChannels } from '../../core/channels.js';
import { ConfigError } from '../../core/config-error.js';
import { CORE_ERRORS } from '../../core/errors.js';
import { OutboundError } from '../../core/outbound.js';
import { definePolicy, type AuthOutcome, type CompiledPolicy } from '../../core/policy.js';
import { createDenial } from '../../core/problem.js';
import type { RequestContext } from '../../core/context.js';
import { bearerToken, looksLikeJwt } from './bearer.js';
import { ResultCache } from '../../core/ttl-cache.js';
import { principalMapper, readIntrospection, type IntrospectionRules, type Verdict } from './response.js';
import { IntrospectionSchema, type IntrospectionConfig } from './schema.js';

export { IntrospectionSchema, type IntrospectionConfig } from './schema.js';

// A quoted-string without escapes: no quote, backslash or control character.
// eslint-disable-next-line no-control-regex
const QUOTABLE = /^[^"\\\x00-\x1f\x7f]*$/;

/** What a shared introspection resolves to: an outcome, or "failed, and the mode is open". */
type Shared = AuthOutcome | { readonly failOpen: string };

/**
 * The introspection policy.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/v1/tasks
 *     upstream: tasks
 *     policies:
 *       introspection:   # first: it passes JWT-shaped tokens on to jwt
 *         endpoint: https://idp.example.com/oauth2/introspect
 *         clientId: portcullis-gateway
 *         clientSecretEnv: PORTCULLIS_INTROSPECTION_SECRET
 *         audience: [https://api.example.com]
 *         claims: { attributes: { department: department, clearance: clearance } }
 *       jwt: { … }
 * ```
 */
export default definePolicy({
  name: 'introspection',
  phase: 'authenticate',
  description: 'Authenticates opaque bearer tokens through OAuth 2.0 token introspection (RFC 7662), with a bounded cache and a declared failure mode.',
  schema: IntrospectionSchema,
  errors: {},
  compile(config: IntrospectionConfig, env): CompiledPolicy {
    const warn = (path: readonly string[], message: string) => env.warn(path, message);
    const endpoint = checkEndpoint(config.endpoint, warn);
    const secret = resolveSecret(config, warn);
    const basic = secret === undefined ? undefined : `Basic ${Buffer.from(`${formEncode(config.clientId)}:${formEncode(secret)}`).toString('base64')}`;
    const rules: IntrospectionRules = {
      audience: config.audience === undefined ? undefined : new Set(config.audience),
      issuer: config.issuer,
      toPrincipal: principalMapper(config.claims),
      clockToleranceMs: config.clockToleranceSec * 1000,
    };
    // The issuer is the default realm only when it fits in a quoted-string as is.
    const realm = config.realm ?? (config.issuer !== undefined && QUOTABLE.test(config.issuer) ? config.issuer : 'api');
    const challenge = `Bearer realm="${realm}"`;
    const invalidToken = createDenial('authenticate.invalid_token', CORE_ERRORS['authenticate.invalid_token'], { headers: [['www-authenticate', `${challenge}, error="invalid_token"`]] });
    const unavailable = createDenial('authenticate.unavailable', CORE_ERRORS['authenticate.unavailable']);
    const refuse = (reason: string): AuthOutcome => ({ reason, denial: invalidToken });
    const active = new ResultCache<AuthOutcome>(config.cacheMaxEntries);
    const inactive = new ResultCache<AuthOutcome>(config.cacheMaxEntries);
    const inflight = new Map<string, Promise<Shared>>();
    const audit = getChannels().audit;
    let failing = false;

    const failed = (reason: string, detail: string): Shared => {
      if (!failing) {
        failing = true;
        env.logger.warn({ event: 'introspection_failing', reason, detail, endpoint: endpoint.origin, route: env.routeName }, `token introspection failed (${detail}); failing ${config.failureMode} until it recovers`);
      }
      return config.failureMode === 'open' ? { failOpen: reason } : { reason, denial: unavailable };
    };

    const settle = (verdict: Verdict, key: string): Shared => {
      if (verdict.kind === 'failed') return failed(verdict.reason, verdict.detail);
      if (failing) {
        failing = false;
        env.logger.info({ event: 'introspection_recovered', endpoint: endpoint.origin, route: env.routeName }, 'token introspection answers again');
      }
      const now = Date.now();
      if (verdict.kind === 'refused') {
        const outcome = refuse(verdict.reason);
        if (verdict.cacheable && config.negativeCacheTtlSec > 0) inactive.set(key, outcome, now + config.negativeCacheTtlSec * 1000);
        return outcome;
      }
      const outcome: AuthOutcome = { principal: verdict.principal };
      const until = Math.min(verdict.expiresAt ?? Number.POSITIVE_INFINITY, now + config.cacheTtlSec * 1000);
      if (until > now) active.set(key, outcome, until);
      return outcome;
    };

    const introspect = async (token: string, key: string): Promise<Shared> => {
      try {
        const res = await env.outbound.request({
          url: endpoint.href,
          method: 'POST',
          headers: { authorization: basic!, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
          timeoutMs: config.timeoutMs,
          maxBytes: config.maxResponseBytes,
        });
        return settle(readIntrospection(res, rules, Date.now(), token, key), key);
      } catch (error) {
        const tooLarge = error instanceof OutboundError && error.code === 'outbound.too_large';
        return failed(tooLarge ? 'introspection_invalid_response' : 'introspection_unavailable', error instanceof Error ? error.message : String(error));
      }
    };

    const deliver = (ctx: RequestContext, shared: Shared): AuthOutcome => {
      if (shared === undefined || !('failOpen' in shared)) return shared;
      if (audit.hasSubscribers) audit.publish({ ctx, type: 'authentication', outcome: 'failure', method: 'introspection', reason: `${shared.failOpen}_fail_open` });
      return undefined;
    };

    return {
      challenge,
      // Never forwarded: the upstream gets the principal, not the token.
      credentialHeaders: ['authorization'],
      authenticate(ctx) {
        const token = bearerToken(ctx.req.headers.authorization);
        if (token === undefined) return undefined;
        if (token === null) return refuse('malformed_token');
        if (token.length > config.maxTokenBytes) return refuse('token_too_large');
        if (config.onlyOpaque && looksLikeJwt(token)) return undefined;
        if (basic === undefined) return deliver(ctx, failed('introspection_secret_missing', `environment variable ${config.clientSecretEnv} is not set`));
        const key = createHash('sha256').update(token).digest('base64url');
        const now = Date.now();
        const cached = active.get(key, now) ?? inactive.get(key, now);
        if (cached !== undefined) return cached;
        let pending = inflight.get(key);
        if (pending === undefined) {
          pending = introspect(token, key).finally(() => inflight.delete(key));
          inflight.set(key, pending);
        }
        return pending.then((shared) => deliver(ctx, shared));
      },
      ready() {
        if (basic === undefined) return Promise.reject(new Error(`introspection on ${env.routeName}: environment variable ${config.clientSecretEnv} is not set; bearer tokens are refused with 503`));
        return Promise.resolve();
      },
      close() {
        active.clear();
        inactive.clear();
      },
    };
  },
});

function checkEndpoint(raw: string, warn: (path: readonly string[], message: string) => void): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError([{ path: ['endpoint'], message: 'is not a valid URL', severity: 'error' }]);
  }
  if (url.username !== '' || url.password !== '') throw new ConfigError([{ path: ['endpoint'], message: 'must not carry credentials: use clientId and clientSecretEnv', severity: 'error' }]);
  if (url.hash !== '') throw new ConfigError([{ path: ['endpoint'], message: 'must not have a #fragment', severity: 'error' }]);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (url.protocol === 'http:' && !loopback) warn(['endpoint'], 'plain http: tokens and the client secret cross the network in clear text (and the outbound client allows it only for an origin listed in outbound.allow)');
  return url;
}

function resolveSecret(config: IntrospectionConfig, warn: (path: readonly string[], message: string) => void): string | undefined {
  if ((config.clientSecret === undefined) === (config.clientSecretEnv === undefined)) {
    throw new ConfigError([{ path: [], message: 'set exactly one of clientSecretEnv (preferred) and clientSecret', severity: 'error' }]);
  }
  if (config.clientSecret !== undefined) {
    warn(['clientSecret'], 'a client secret written in the config file: put it in an environment variable and name that in clientSecretEnv');
    return config.clientSecret;
  }
  const value = process.env[config.clientSecretEnv!];
  if (value === undefined || value === '') {
    warn(['clientSecretEnv'], `environment variable ${config.clientSecretEnv} is not set: every bearer token on this route will be refused with 503 until the gateway runs with it`);
    return undefined;
  }
  return value;
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
