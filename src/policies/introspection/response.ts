/**
 * Reads an RFC 7662 introspection response into a verdict: an active token's principal, a refused
 * token with the exact reason, or a failure of the authorization server. Fails closed: anything
 * that is not exactly a well-formed answer (a JSON object with a boolean `active`, well-typed
 * members) is a failure, never an active token.
 */
import type { OutboundResponse } from '../../core/outbound.js';
import type { Principal } from '../../core/principal.js';
import type { IntrospectionConfig } from './schema.js';
import { createPrincipalMapper } from '../../core/claims.js';

/** What the policy checks and maps, prepared once at compile time. */
export interface IntrospectionRules {
  /** Accepted audiences; undefined = not checked. */
  readonly audience: ReadonlySet<string> | undefined;
  /** Required issuer; undefined = not checked. */
  readonly issuer: string | undefined;
  /** Builds the principal of an active answer. */
  readonly toPrincipal: PrincipalMapper;
  /** Tolerance for exp and nbf, ms. */
  readonly clockToleranceMs: number;
}

/** The verdict on one token. */
export type Verdict =
  | { readonly kind: 'active'; readonly principal: Principal; /** Epoch ms of the token's exp, when given. */ readonly expiresAt: number | undefined }
  | { readonly kind: 'refused'; readonly reason: string; /** Whether the refusal may be cached (it will not change by itself). */ readonly cacheable: boolean }
  | { readonly kind: 'failed'; readonly reason: string; readonly detail: string };

const refused = (reason: string, cacheable = true): Verdict => ({ kind: 'refused', reason, cacheable });
const invalid = (detail: string): Verdict => ({ kind: 'failed', reason: 'introspection_invalid_response', detail });

/**
 * Judges one introspection response.
 *
 * @example
 * ```ts
 * const verdict = readIntrospection(await outbound.request(req), rules, Date.now(), token, sha256(token));
 * if (verdict.kind === 'active') ctx.principal = verdict.principal;
 * ```
 */
export function readIntrospection(res: OutboundResponse, rules: IntrospectionRules, nowMs: number, token: string, tokenHash: string): Verdict {
  if (res.status === 401 || res.status === 403) return { kind: 'failed', reason: 'introspection_client_rejected', detail: `the authorization server refused the gateway's client credentials (${res.status})` };
  if (res.status !== 200) return { kind: 'failed', reason: 'introspection_unavailable', detail: `status ${res.status}` };
  const type = res.headers['content-type'];
  if (typeof type !== 'string' || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) return invalid(`content-type ${String(type)}, not JSON`);
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    return invalid('the body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return invalid('the body is not a JSON object');
  const claims = body as Record<string, unknown>;
  if (typeof claims.active !== 'boolean') return invalid('`active` is not a boolean');
  if (!claims.active) return refused('inactive');

  const exp = claims.exp;
  const nbf = claims.nbf;
  if (!optionalNumber(exp) || !optionalNumber(nbf)) return invalid('`exp` or `nbf` is not a number');
  if (exp !== undefined && exp * 1000 + rules.clockToleranceMs <= nowMs) return refused('token_expired');
  if (nbf !== undefined && nbf * 1000 - rules.clockToleranceMs > nowMs) return refused('token_not_yet_valid', false);
  if (rules.issuer !== undefined && claims.iss !== rules.issuer) return refused('wrong_issuer');
  if (rules.audience !== undefined && !audienceMatches(claims.aud, rules.audience)) return refused('wrong_audience');
  // A sender-constrained token (DPoP, mTLS) is only valid with proof of its key, which a bearer
  // request cannot give.
  if (claims.cnf !== undefined || (typeof claims.token_type === 'string' && claims.token_type.toLowerCase() !== 'bearer')) return refused('sender_constrained_token');

  // The answer's jti names the credential in the audit trail; when there is none (or it is the
  // token itself, as some servers answer for opaque tokens), a prefix of the token's hash does.
  const jti = typeof claims.jti === 'string' && claims.jti !== '' && claims.jti !== token ? claims.jti : `sha256:${tokenHash.slice(0, 16)}`;
  const principal = rules.toPrincipal(claims, jti);
  if (principal === 'missing_claim') return refused('missing_claim');
  return { kind: 'active', principal, expiresAt: exp === undefined ? undefined : exp * 1000 };
}

function optionalNumber(value: unknown): value is number | undefined {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}

function audienceMatches(aud: unknown, accepted: ReadonlySet<string>): boolean {
  if (typeof aud === 'string') return accepted.has(aud);
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && accepted.has(a));
}

/** Builds the Principal of an active answer, or says that it names nobody. */
export type PrincipalMapper = (claims: Readonly<Record<string, unknown>>, credentialId: string) => Principal | 'missing_claim';

/**
 * Compiles the `claims` section of the config (the jwt policy's mapping, with the client id as
 * the fallback subject).
 *
 * @example
 * ```ts
 * principalMapper(config.claims)({ active: true, sub: 'alice', roles: ['editor'], scope: 'tasks:read' }, 'jti-1').roles // ['editor']
 * ```
 */
export function principalMapper(config: IntrospectionConfig['claims']): PrincipalMapper {
  const map = createPrincipalMapper(config, { method: 'introspection', subjectFromClient: true });
  return (claims, credentialId) => map(claims, credentialId);
}
