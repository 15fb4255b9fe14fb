/**
 * The jwt policy's compile(): config checks, the key source (JWKS cache or shared secret), and
 * the per-request authenticate function.
 *
 * A request's path through it, cheapest first: the Bearer credential is read from one header;
 * its size is capped before anything else; a cached verification answers at once; the token is
 * split into its three base64url segments and its protected header checked (no `jku`, `x5u`,
 * `jwk` or `x5c`, an allowed `alg`, an understood `crit`) without any crypto; the key is chosen
 * by `kid` from the cache; the signature is checked with node:crypto; only then is the payload
 * decoded and its claims checked as jose's jwtVerify would. All of it is synchronous: a Promise
 * is returned only while a key set must be fetched (the first fetch, an unknown `kid`).
 * Refusals carry their exact reason for the audit trail and one shared RFC 6750 denial for the
 * client.
 */
import { configError } from '../../core/config-error.js';
import { CORE_ERRORS } from '../../core/errors.js';
import type { AuthFailure, AuthOutcome, CompiledPolicy, CompileEnv } from '../../core/policy.js';
import { createDenial } from '../../core/problem.js';
import type { RequestContext } from '../../core/context.js';
import { principalMapper } from './claims.js';
import { compileClaimsCheck } from './claims-check.js';
import { createJwksCache, type JwksCache, type KeyLookup } from './jwks-cache.js';
import { critProblem, decodeJsonObject, hmacKey, parseCompact, type CompactJws, type VerificationKey } from './jws.js';
import type { JwtConfig } from './schema.js';

/**
 * Why a token was refused (logs and audit only; the client gets `authenticate.invalid_token`,
 * or `authenticate.unavailable` for `jwks_unavailable`).
 */
export const JWT_FAILURE_REASONS = [
  'malformed', 'token_too_large', 'forbidden_header', 'alg_not_allowed', 'unsupported_crit',
  'unknown_kid', 'key_alg_mismatch', 'ambiguous_key', 'bad_signature',
  'token_expired', 'token_too_old', 'not_yet_valid', 'wrong_issuer', 'wrong_audience', 'wrong_type', 'missing_claim', 'claim_check_failed',
  'verification_failed', 'jwks_unavailable',
] as const;

/** One of {@link JWT_FAILURE_REASONS}. */
export type JwtFailureReason = (typeof JWT_FAILURE_REASONS)[number];

/** Test seams of {@link createJwtAuthenticator}; the gateway passes none. */
export interface JwtInternals {
  /** The clock, ms since the epoch, shared by verification, the result cache and the key cache. */
  readonly now?: () => number;
}

/** Headers that point at or carry keys; never followed, never trusted (RFC 8725 §3.10). */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

interface CacheEntry {
  readonly outcome: { readonly principal: NonNullable<RequestContext['principal']> };
  /** ms; the entry is used only before this (exp, or iat + maxTokenAge). */
  readonly expiresAt: number;
  /** ms; and only from this (nbf less the clock tolerance). */
  readonly notBefore: number;
}

/**
 * Checks the config and builds the compiled policy. Throws ConfigError (paths relative to the
 * policy's config) for what the schema cannot express.
 *
 * @example
 * ```ts
 * const compiled = createJwtAuthenticator(config, env);
 * await compiled.ready?.();
 * const outcome = compiled.authenticate!(ctx); // a Promise only while keys are being fetched
 * ```
 */
export function createJwtAuthenticator(config: JwtConfig, env: CompileEnv, internals: JwtInternals = {}): CompiledPolicy {
  checkKeySource(config, env);
  const now = internals.now ?? Date.now;
  const toleranceSec = config.clockToleranceSec;
  const maxTokenAgeSec = config.maxTokenAgeSec;
  const maxTokenBytes = config.maxTokenBytes;
  const headerName = config.header.toLowerCase();
  const allowedAlgs = new Set<string>(config.algorithms);

  const realm = quoted(config.realm ?? config.issuer);
  const invalidToken = createDenial('authenticate.invalid_token', CORE_ERRORS['authenticate.invalid_token'], {
    headers: [['www-authenticate', `Bearer realm="${realm}", error="invalid_token"`]],
  });
  const unavailable = createDenial('authenticate.unavailable', CORE_ERRORS['authenticate.unavailable'], {
    headers: [['retry-after', String(config.jwks.unknownKidCooldownSec)]],
  });
  const failures = new Map<JwtFailureReason, AuthFailure>();
  for (const reason of JWT_FAILURE_REASONS) failures.set(reason, Object.freeze({ reason, denial: reason === 'jwks_unavailable' ? unavailable : invalidToken }));
  const fail = (reason: JwtFailureReason): AuthFailure => failures.get(reason)!;

  const checkClaims = compileClaimsCheck({
    issuer: config.issuer,
    audiences: typeof config.audience === 'string' ? [config.audience] : config.audience,
    clockToleranceSec: toleranceSec,
    maxTokenAgeSec,
    requiredClaims: config.requiredClaims,
    typ: config.typ,
  });
  const toPrincipal = principalMapper(config.claims);

  const maxEntries = config.cache.maxEntries;
  const cache = new Map<string, CacheEntry>();

  let jwks: JwksCache | undefined;
  let hmacKeys: ReadonlyMap<string, VerificationKey> | undefined;
  if (config.secret !== undefined) {
    const secret = Buffer.from(config.secret, 'utf8');
    hmacKeys = new Map(config.algorithms.map((alg) => [alg, hmacKey(alg, secret)]));
  } else {
    jwks = createJwksCache({
      source: config.jwksUri !== undefined ? { jwksUri: config.jwksUri } : { issuer: config.issuer },
      outbound: env.outbound,
      algorithms: config.algorithms,
      refreshIntervalMs: config.jwks.refreshIntervalSec * 1000,
      unknownKidCooldownMs: config.jwks.unknownKidCooldownSec * 1000,
      maxStaleMs: config.jwks.maxStaleSec * 1000,
      now,
      // A key that left the set may have been revoked: forget what it verified. (Verification
      // is synchronous, so none can be half-way through with the old key.)
      onKeysRemoved: () => cache.clear(),
      onProblem: (message, error) => env.logger.warn({ event: 'jwt_jwks', route: env.routeName, err: error }, message),
    });
  }

  const remember = (token: string, outcome: CacheEntry['outcome'], claims: Readonly<Record<string, unknown>>, at: number) => {
    if (maxEntries === 0 || typeof claims.exp !== 'number') return;
    let expiresAt = claims.exp * 1000;
    if (maxTokenAgeSec !== undefined && typeof claims.iat === 'number') expiresAt = Math.min(expiresAt, (claims.iat + maxTokenAgeSec) * 1000);
    if (at >= expiresAt) return;
    const notBefore = typeof claims.nbf === 'number' ? (claims.nbf - toleranceSec) * 1000 : Number.NEGATIVE_INFINITY;
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(token, { outcome, expiresAt, notBefore });
  };

  const verify = (token: string, jws: CompactJws, key: VerificationKey): AuthOutcome => {
    // The lookup is by alg already; this keeps a key from ever verifying another algorithm.
    if (key.alg !== jws.header.alg) return fail('key_alg_mismatch');
    if (!key.verify(jws.signingInput, jws.signature)) return fail('bad_signature');
    // Not a byte of the payload is interpreted before the signature holds.
    const claims = decodeJsonObject(jws.payload);
    if (claims === undefined) return fail('malformed');
    const at = now();
    const problem = checkClaims(jws.header, claims, at);
    if (problem !== undefined) return fail(problem);
    const principal = toPrincipal(claims);
    if (typeof principal === 'string') return fail(principal);
    const outcome = Object.freeze({ principal });
    remember(token, outcome, claims, at);
    return outcome;
  };

  const afterLookup = (found: KeyLookup, token: string, jws: CompactJws): AuthOutcome => ('key' in found ? verify(token, jws, found.key) : fail(found.miss));

  const verifyWithJwks = (keys: JwksCache, token: string, jws: CompactJws, kid: string | undefined, alg: string): AuthOutcome | Promise<AuthOutcome> => {
    if (!keys.usable()) {
      const fetched = keys.refetch();
      if (fetched === undefined) return fail('jwks_unavailable');
      return fetched.then(() => (keys.usable() ? afterLookup(keys.find(kid, alg), token, jws) : fail('jwks_unavailable')));
    }
    const found = keys.find(kid, alg);
    if ('key' in found || found.miss !== 'unknown_kid' || kid === undefined) return afterLookup(found, token, jws);
    // A kid we have not seen: perhaps the issuer rotated its keys. At most one refetch per cooldown.
    const fetched = keys.refetch();
    if (fetched === undefined) return fail('unknown_kid');
    return fetched.then(() => afterLookup(keys.find(kid, alg), token, jws));
  };

  return {
    challenge: `Bearer realm="${realm}"`,
    authenticate(ctx: RequestContext): AuthOutcome | Promise<AuthOutcome> {
      const value = ctx.req.headers[headerName];
      if (typeof value !== 'string' || value.length < 6 || (value.length > 6 && value.charCodeAt(6) !== 0x20)) return undefined;
      if (value.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
      // The size cap comes before any parsing (header values are latin1: length = bytes).
      if (value.length > maxTokenBytes + 7) return fail('token_too_large');
      let start = 6;
      while (value.charCodeAt(start) === 0x20) start++;
      const token = start === 6 ? '' : value.slice(start);

      const hit = cache.get(token);
      if (hit !== undefined) {
        const at = now();
        if (at < hit.expiresAt && at >= hit.notBefore && (jwks === undefined || jwks.usable(at))) return hit.outcome;
        cache.delete(token);
      }

      if (token.length > maxTokenBytes) return fail('token_too_large');
      const jws = parseCompact(token);
      if (jws === undefined) return fail('malformed');
      const { header } = jws;
      for (const name of FORBIDDEN_HEADERS) if (Object.hasOwn(header, name)) return fail('forbidden_header');
      const { alg, kid } = header;
      // An exact match against the allowlist: 'none', 'None' or 'rs256' never pass.
      if (typeof alg !== 'string' || !allowedAlgs.has(alg)) return fail('alg_not_allowed');
      if (kid !== undefined && typeof kid !== 'string') return fail('malformed');
      const crit = critProblem(header);
      if (crit !== undefined) return fail(crit);

      if (jwks !== undefined) return verifyWithJwks(jwks, token, jws, kid, alg);
      const key = hmacKeys!.get(alg);
      return key === undefined ? fail('alg_not_allowed') : verify(token, jws, key);
    },
    ...(jwks === undefined ? {} : { health: () => [{ component: `jwt jwks ${config.issuer}`, up: jwks.usable() }] }),
    async ready() {
      if (jwks !== undefined) await jwks.ready();
    },
    close() {
      jwks?.close();
      cache.clear();
    },
  };
}

/** The cross-field rules of the config. */
function checkKeySource(config: JwtConfig, env: CompileEnv): void {
  const sources = [config.jwksUri !== undefined, config.discovery, config.secret !== undefined].filter(Boolean).length;
  if (sources !== 1) throw configError([], `exactly one of jwksUri, discovery: true and secret must be set (${sources === 0 ? 'none is' : `${sources} are`})`);
  const hs = config.algorithms.filter((a) => a.startsWith('HS'));
  if (config.secret !== undefined) {
    if (hs.length !== config.algorithms.length) throw configError(['algorithms'], 'with a secret only HS256, HS384 or HS512 can be verified: list them explicitly (algorithms: [HS256])');
    if (Buffer.byteLength(config.secret, 'utf8') < 32) throw configError(['secret'], 'must be at least 32 bytes (RFC 7518 §3.2: an HMAC key at least as long as the hash); use a random value, e.g. 48 bytes from openssl rand -base64 48');
    env.warn(['secret'], 'a shared secret is weaker than an issuer\'s key set: whoever can verify tokens can also forge them. Prefer jwksUri or discovery');
  } else if (hs.length > 0) {
    throw configError(['algorithms'], `${hs.join(', ')} need a shared secret; with a key set only asymmetric algorithms are accepted`);
  }
  if (config.discovery && !/^https?:\/\/[^\s/?#]+/.test(config.issuer)) throw configError(['issuer'], 'with discovery: true the issuer must be an http(s) URL (its /.well-known/openid-configuration is fetched)');
  if (config.jwksUri?.startsWith('http:') === true) env.warn(['jwksUri'], 'plain http: keys could be swapped in transit. Only for a local identity provider, whose origin must be listed in outbound.allow');
  if (config.jwks.maxStaleSec < config.jwks.refreshIntervalSec) throw configError(['jwks', 'maxStaleSec'], `must be at least jwks.refreshIntervalSec (${config.jwks.refreshIntervalSec}), or the keys go stale between two refreshes`);
}

/** A value for an RFC 9110 quoted-string: quotes and backslashes escaped, control characters dropped. */
function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&');
}
