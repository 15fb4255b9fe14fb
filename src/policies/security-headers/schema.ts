/**
 * Config of the security-headers policy. `{}` is a complete config: the defaults are the strict
 * settings for a JSON API (no framing, no sniffing, no referrer, no content loaded by the page).
 */
import { Type, type Static } from '@sinclair/typebox';
import { headerName, strictObject } from '../../core/schema-types.js';

/**
 * HSTS values used for any field an `hsts` object leaves out (see {@link SecurityHeadersSchema}).
 *
 * @example
 * ```ts
 * const maxAge = config.hsts.maxAge ?? HSTS_DEFAULTS.maxAge; // 31536000
 * ```
 */
export const HSTS_DEFAULTS = Object.freeze({ maxAge: 31_536_000, includeSubDomains: true, preload: false });

/**
 * The default Content-Security-Policy: an API response may load nothing and be framed by no one.
 *
 * @example
 * ```ts
 * const set: Array<[string, string]> = [['content-security-policy', DEFAULT_CSP]];
 * ```
 */
export const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'";

// The tokens of the Referrer Policy spec (W3C), so a typo fails at load instead of being ignored
// by browsers.
const REFERRER_POLICIES = ['no-referrer', 'no-referrer-when-downgrade', 'origin', 'origin-when-cross-origin', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin', 'unsafe-url'] as const;

// The HSTS fields are optional rather than required-with-default: JSON Schema validators do not
// apply defaults inside anyOf branches, so `hsts: { preload: true }` would otherwise fail on the
// missing fields. compile() fills them in from HSTS_DEFAULTS.
const Hsts = strictObject({
  maxAge: Type.Optional(Type.Integer({ description: 'max-age in seconds: how long browsers remember to use HTTPS only. 0 tells them to forget.', default: HSTS_DEFAULTS.maxAge, minimum: 0, maximum: 315_360_000 })),
  includeSubDomains: Type.Optional(Type.Boolean({ description: 'Apply the rule to every subdomain too.', default: HSTS_DEFAULTS.includeSubDomains })),
  preload: Type.Optional(Type.Boolean({ description: 'Ask to be on the browsers\' preload list; requires maxAge ≥ 31536000 and includeSubDomains. Hard to undo.', default: HSTS_DEFAULTS.preload })),
}, { description: 'Strict-Transport-Security settings.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(SecurityHeadersSchema);
 * const config = { hsts: false };
 * validate(config); // true; config.contentSecurityPolicy is now the default
 * ```
 */
export const SecurityHeadersSchema = strictObject({
  hsts: Type.Union([Hsts, Type.Literal(false)], {
    description: 'Strict-Transport-Security, so browsers only ever reach this API over HTTPS; false to omit (e.g. when a load balancer in front sends it).',
    default: { ...HSTS_DEFAULTS },
  }),
  contentSecurityPolicy: Type.Union([
    // Visible ASCII and space only: a header value, so no CR/LF can smuggle in another header.
    Type.String({ description: 'The policy, verbatim.', maxLength: 4096, pattern: '^[\\x20-\\x7e]*$' }),
    Type.Literal(false),
  ], { description: 'Content-Security-Policy sent with every response; \'\' or false to omit.', default: DEFAULT_CSP }),
  referrerPolicy: Type.Union([
    ...REFERRER_POLICIES.map((v) => Type.Literal(v)),
    Type.Literal(false),
  ], { description: 'Referrer-Policy; false to omit.', default: 'no-referrer' }),
  frameOptions: Type.Union([Type.Literal('DENY'), Type.Literal('SAMEORIGIN'), Type.Literal(false)], {
    description: 'X-Frame-Options, for browsers older than CSP frame-ancestors; false to omit.',
    default: 'DENY',
  }),
  crossOriginResourcePolicy: Type.Union([Type.Literal('same-origin'), Type.Literal('same-site'), Type.Literal('cross-origin'), Type.Literal(false)], {
    description: 'Cross-Origin-Resource-Policy: which sites may embed responses (img, script, fetch no-cors); false to omit.',
    default: 'same-origin',
  }),
  removeHeaders: Type.Array(headerName({ description: 'A header name (any case).' }), {
    description: 'Upstream response headers to remove besides Server and X-Powered-By (always removed), e.g. X-AspNet-Version.',
    default: [],
    maxItems: 200,
  }),
  noStoreWhenAuthenticated: Type.Boolean({
    description: 'Send Cache-Control: no-store (replacing the upstream\'s) on responses to authenticated callers, so no shared or browser cache keeps personal data.',
    default: true,
  }),
}, { description: 'Security headers on every response: HSTS, CSP, nosniff, Referrer-Policy, framing and CORP; strips headers that reveal the upstream\'s software.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: SecurityHeadersConfig = { ...defaults, frameOptions: 'SAMEORIGIN' };
 * ```
 */
export type SecurityHeadersConfig = Static<typeof SecurityHeadersSchema>;
