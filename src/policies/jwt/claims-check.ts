/**
 * The registered-claim checks of a verified JWT (RFC 7519 §4.1), exactly as jose's jwtVerify
 * performs them for the options the policy used to pass it (issuer, audience, clockTolerance,
 * requiredClaims with exp, maxTokenAge, typ), in jose's order so a token with several faults is
 * refused for the same reason; plus the one check jose makes only with maxTokenAge: `iat` not in
 * the future. Compiled once per policy; the per-request function only compares.
 */

/** What {@link compileClaimsCheck} checks. */
export interface ClaimsRules {
  /** The exact `iss`. */
  readonly issuer: string;
  /** `aud` must be, or contain, one of these. */
  readonly audiences: readonly string[];
  /** Seconds of skew allowed on exp, nbf and iat. */
  readonly clockToleranceSec: number;
  /** When set, `iat` is required and may be at most this many seconds old. */
  readonly maxTokenAgeSec?: number | undefined;
  /** Claims that must be present besides exp, iss and aud. */
  readonly requiredClaims: readonly string[];
  /** When set, the `typ` header the token must carry. */
  readonly typ?: string | undefined;
}

/** Why a claims set was refused (a subset of the policy's failure reasons). */
export type ClaimsFailure = 'malformed' | 'wrong_type' | 'missing_claim' | 'wrong_issuer' | 'wrong_audience' | 'not_yet_valid' | 'token_expired' | 'token_too_old';

/** Checks a verified token's header and claims at a time (ms since the epoch). */
export type ClaimsCheck = (header: Readonly<Record<string, unknown>>, claims: Readonly<Record<string, unknown>>, nowMs: number) => ClaimsFailure | undefined;

/**
 * Compiles the rules into a check.
 *
 * @example
 * ```ts
 * const check = compileClaimsCheck({ issuer, audiences: ['api'], clockToleranceSec: 30, requiredClaims: [] });
 * check(header, claims, Date.now()) // undefined when every check passes
 * ```
 */
export function compileClaimsCheck(rules: ClaimsRules): ClaimsCheck {
  const { issuer, audiences, clockToleranceSec: tolerance, maxTokenAgeSec: maxAge } = rules;
  // Which missing claim is found first does not matter: every one is missing_claim.
  const required = [...new Set(['exp', ...rules.requiredClaims, ...(maxAge === undefined ? [] : ['iat']), 'aud', 'iss'])];
  const typ = rules.typ === undefined ? undefined : normalizeTyp(rules.typ);

  return (header, claims, nowMs) => {
    if (typ !== undefined && (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== typ)) return 'wrong_type';
    for (const name of required) if (!Object.hasOwn(claims, name)) return 'missing_claim';
    if (claims.iss !== issuer) return 'wrong_issuer';
    if (!audienceMatches(claims.aud, audiences)) return 'wrong_audience';

    // jose compares in whole seconds of the current time.
    const now = Math.floor(nowMs / 1000);
    const { iat, nbf, exp } = claims;
    if (iat !== undefined && typeof iat !== 'number') return 'malformed';
    if (nbf !== undefined && typeof nbf !== 'number') return 'malformed';
    if (nbf !== undefined && nbf > now + tolerance) return 'not_yet_valid';
    if (typeof exp !== 'number') return 'malformed';
    if (exp <= now - tolerance) return 'token_expired';
    if (maxAge !== undefined) {
      // iat is present (required above) and a number (checked above).
      const age = now - (iat as number);
      if (age - tolerance > maxAge) return 'token_too_old';
      if (age < -tolerance) return 'not_yet_valid';
    } else if (typeof iat === 'number' && iat > nowMs / 1000 + tolerance) {
      // A token issued in the future comes from a wrong clock or a forger; jose checks this only
      // together with maxTokenAge, the policy always has (against the unrounded time).
      return 'not_yet_valid';
    }
    return undefined;
  };
}

/** `aud` as a string or an array of strings; one configured audience must be among them. */
function audienceMatches(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  if (Array.isArray(aud)) return audiences.some((a) => aud.includes(a));
  return false;
}

/** RFC 7515 §4.1.9: media types compare case-insensitively, the `application/` prefix optional (jose's rule). */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}
