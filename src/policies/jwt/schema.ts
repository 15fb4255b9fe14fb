/**
 * Config of the jwt policy: who issues the tokens (issuer, audience), where their keys come from
 * (a JWKS URL, OIDC discovery, or a shared secret), which algorithms are acceptable, how claims
 * map onto the Principal, and the bounds of the key and verification caches. Only `issuer`,
 * `audience` and one key source are required; every other field has a safe default.
 */
import { Type, type Static } from '@sinclair/typebox';
import { bytes, headerName, httpUrl, strictObject, stringEnum } from '../../core/schema-types.js';

/**
 * Every JWS algorithm the policy can be configured to accept. `none` is not among them, in any
 * casing: an unsigned token is never accepted.
 */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512'] as const;

/** One of {@link JWT_ALGORITHMS}. */
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** The algorithms accepted when `algorithms` is not given (asymmetric only). */
export const DEFAULT_JWT_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

// A claim path: a claim name, or names joined with dots into nested objects.
const claimPath = (description: string, defaultValue?: string) =>
  Type.String({ description, minLength: 1, maxLength: 256, ...(defaultValue === undefined ? {} : { default: defaultValue }) });

// A quoted-string of RFC 9110 without escapes: no quote, backslash or control characters.
const REALM = '^[^"\\\\\\x00-\\x1f\\x7f]*$';

const Claims = strictObject({
  subject: claimPath('Claim that becomes the principal id. A token without it is refused (missing_claim).', 'sub'),
  roles: claimPath('Claim holding the roles: an array of strings, or one string. A dotted path reads nested claims (`realm_access.roles` for Keycloak); a claim whose own name contains dots (`https://example.com/roles`) is found too. Absent: no roles.', 'roles'),
  scopes: claimPath('Claim holding the scopes: a space-delimited string (RFC 8693 `scope`) or an array. When it is `scope` and the token has none, `scp` (Azure AD, Okta) is read instead. Absent: no scopes.', 'scope'),
  clientId: claimPath('Claim naming the OAuth client the token was issued to (RFC 9068 `client_id`); `azp` is read when it is absent. Kept as the principal\'s `clientId` attribute.', 'client_id'),
  attributes: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 64 }), claimPath('A claim path.'), {
    description: 'Further principal attributes, as attribute name → claim path (`department: org.department`), for authorization conditions. Missing claims are left out. `iss` and `clientId` are always set from the token and cannot be overridden.',
    default: {},
    maxProperties: 100,
  }),
  kind: strictObject({
    claim: Type.Optional(claimPath('Claim that tells a machine client from a person. When set, the principal is a service exactly when this claim\'s value (or one of its values) is in `serviceValues`. When absent, the principal is a service exactly when the client id equals the subject (RFC 9068: tokens of the client-credentials grant carry the client as their `sub`).')),
    serviceValues: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { description: 'Values of `claim` that mark a service (`client-credentials` for Auth0\'s `gty`).', default: [], maxItems: 50, uniqueItems: true }),
  }, { description: 'How the principal\'s kind (user or service) is decided.', default: {} }),
}, { description: 'Where the principal\'s fields come from in the token\'s claims.', default: {} });

const Jwks = strictObject({
  refreshIntervalSec: Type.Integer({ description: 'Seconds between background refreshes of the key set, so rotations are picked up before a token needs the new key.', default: 300, minimum: 10, maximum: 86_400 }),
  unknownKidCooldownSec: Type.Integer({ description: 'A token with an unknown `kid` triggers a refetch of the key set at most once per this many seconds, whatever the number of such tokens: an attacker cannot make the gateway hammer the identity provider. Also the least time between fetches triggered by requests while no usable key set is held.', default: 30, minimum: 1, maximum: 3600 }),
  maxStaleSec: Type.Integer({ description: 'While the identity provider is unreachable the last key set keeps being used, up to this many seconds after the last successful fetch; after that every token is refused with 503 (fail closed). At least refreshIntervalSec.', default: 3600, minimum: 10, maximum: 604_800 }),
}, { description: 'Fetching and caching of the issuer\'s key set (JWKS).', default: {} });

const Cache = strictObject({
  maxEntries: Type.Integer({ description: 'Most verified tokens remembered, so a repeated token costs a map lookup instead of a signature check. An entry never outlives its token\'s exp; refusals are never cached. 0 disables the cache.', default: 10_000, minimum: 0, maximum: 1_000_000 }),
}, { description: 'The cache of verification results, keyed by the whole token.', default: {} });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(JwtSchema);
 * const config = { issuer: 'https://idp.example.com', audience: 'tasks-api', discovery: true };
 * validate(config); // true; config.algorithms is now ['RS256', 'PS256', 'ES256', 'EdDSA']
 * ```
 */
export const JwtSchema = strictObject({
  issuer: Type.String({ description: 'The `iss` every token must carry, exactly. With discovery, also the base of the OpenID configuration URL.', minLength: 1, maxLength: 2048 }),
  audience: Type.Union([
    Type.String({ description: 'The audience.', minLength: 1, maxLength: 2048 }),
    Type.Array(Type.String({ description: 'An audience.', minLength: 1, maxLength: 2048 }), { description: 'Audiences.', minItems: 1, maxItems: 50, uniqueItems: true }),
  ], { description: 'The `aud` a token must name (one of these, when a list): the identifier of this API at the identity provider. A token for another API is refused.' }),
  realm: Type.Optional(Type.String({ description: 'The realm of the WWW-Authenticate Bearer challenge. Absent: the issuer.', maxLength: 256, pattern: REALM })),
  jwksUri: Type.Optional(httpUrl({ description: 'URL of the issuer\'s JSON Web Key Set. Fetched through the gateway\'s outbound client: https, or http only for an origin in `outbound.allow`. Exactly one of jwksUri, discovery and secret.' })),
  discovery: Type.Boolean({ description: 'Find the key set through OpenID Connect discovery (`<issuer>/.well-known/openid-configuration`, whose `issuer` must match). Exactly one of jwksUri, discovery and secret.', default: false }),
  secret: Type.Optional(Type.String({ description: 'A shared secret (at least 32 bytes of UTF-8) for HS256/384/512 tokens, instead of a key set. Weaker than asymmetric keys: everyone who can verify can also sign. `check` warns. Exactly one of jwksUri, discovery and secret.', minLength: 1, maxLength: 4096 })),
  algorithms: Type.Array(stringEnum(JWT_ALGORITHMS, { description: 'A JWS algorithm.' }), {
    description: 'The only algorithms a token may be signed with; its `alg` header is checked against this list before anything else. `none` is never accepted. HS256/384/512 only together with `secret`, and then only they.',
    default: [...DEFAULT_JWT_ALGORITHMS],
    minItems: 1,
    uniqueItems: true,
  }),
  typ: Type.Optional(Type.String({ description: 'When set, the `typ` header every token must carry (`at+jwt` for RFC 9068 access tokens), so an ID token cannot be replayed as an access token.', minLength: 1, maxLength: 128 })),
  clockToleranceSec: Type.Integer({ description: 'Seconds of clock skew allowed when checking exp, nbf and iat.', default: 30, minimum: 0, maximum: 300 }),
  maxTokenAgeSec: Type.Optional(Type.Integer({ description: 'When set, tokens must carry `iat` and are refused once older than this many seconds, whatever their exp.', minimum: 1, maximum: 31_536_000 })),
  requiredClaims: Type.Array(Type.String({ description: 'A claim name.', minLength: 1, maxLength: 256 }), { description: 'Claims every token must carry besides exp (always required), iss and aud.', default: [], maxItems: 50, uniqueItems: true }),
  maxTokenBytes: bytes({ description: 'Longest token accepted, in bytes; a longer one is refused before it is parsed.', default: 8192, minimum: 64, maximum: 65_536 }),
  header: headerName({ description: 'The request header carrying the token, with the Bearer scheme (RFC 6750). Only this header is read; a token in the query string or a cookie is never accepted.', default: 'authorization' }),
  claims: Claims,
  jwks: Jwks,
  cache: Cache,
}, { description: 'Signature, iss, aud, exp, nbf and iat are checked for every token (OWASP API2:2023, broken authentication). A refused token gets 401 authenticate.invalid_token with an RFC 6750 challenge; no usable key set, 503 authenticate.unavailable. Why is in the audit trail only.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: JwtConfig = { issuer: 'https://idp.example.com', audience: 'api', discovery: true, … };
 * ```
 */
export type JwtConfig = Static<typeof JwtSchema>;
