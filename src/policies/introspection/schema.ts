/**
 * Config of the introspection policy. `endpoint` and `clientId` are required, and exactly one of
 * `clientSecretEnv` (preferred) and `clientSecret`; everything else has a safe default: fail
 * closed, a 60 s cache bound, 5 s negative caching, JWT-looking tokens left to the jwt policy.
 */
import { Type, type Static } from '@sinclair/typebox';
import { bytes, durationMs, httpUrl, stringEnum, strictObject } from '../../core/schema-types.js';

// A member name, or names joined with dots into nested objects (as the jwt policy's claim paths).
const claimPath = (description: string, defaultValue?: string) =>
  Type.String({ description, minLength: 1, maxLength: 256, ...(defaultValue === undefined ? {} : { default: defaultValue }) });

// A quoted-string of RFC 9110 without escapes: no quote, backslash or control characters.
const REALM = '^[^"\\\\\\x00-\\x1f\\x7f]*$';

const Claims = strictObject({
  subject: claimPath('Member that becomes the principal id. When absent, the client id is used (RFC 7662 answers for Client Credentials tokens often carry no `sub`); with neither, the token is refused (missing_claim).', 'sub'),
  roles: claimPath('Member holding the roles: an array of strings, or one string. A dotted path reads nested members. Absent: no roles.', 'roles'),
  scopes: claimPath('Member holding the scopes: a space-delimited string (RFC 7662 `scope`) or an array. When it is `scope` and the answer has none, `scp` is read instead. Absent: no scopes.', 'scope'),
  clientId: claimPath('Member naming the OAuth client the token was issued to (RFC 7662 `client_id`). Kept as the principal\'s `clientId` attribute.', 'client_id'),
  attributes: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 64 }), claimPath('A member path.'), {
    description: 'Further principal attributes, as attribute name → member path (`department: department`), for authorization conditions. Missing members are left out. `iss` and `clientId` are always set from the answer and cannot be overridden.',
    default: {},
    maxProperties: 100,
  }),
  kind: strictObject({
    claim: Type.Optional(claimPath('Member that tells a machine client from a person: the principal is a service exactly when its value (or one of its values) is in `serviceValues`. When absent, the principal is a service exactly when the answer has no subject or the subject equals the client id.')),
    serviceValues: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { description: 'Values of `claim` that mark a service.', default: [], maxItems: 50, uniqueItems: true }),
  }, { description: 'How the principal\'s kind (user or service) is decided.', default: {} }),
}, { description: 'Where the principal\'s fields come from in the introspection answer (the same mapping as the jwt policy\'s `claims`).', default: {} });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(IntrospectionSchema);
 * const config = { endpoint: 'https://idp.example.com/oauth2/introspect', clientId: 'gateway', clientSecretEnv: 'INTROSPECTION_SECRET' };
 * validate(config); // true; config.failureMode is now 'closed'
 * ```
 */
export const IntrospectionSchema = strictObject({
  endpoint: httpUrl({ description: 'The RFC 7662 introspection endpoint. https, or an origin listed in outbound.allow (a local identity provider).' }),
  clientId: Type.String({ description: 'The gateway\'s client id at the authorization server (HTTP Basic, client_secret_basic).', minLength: 1, maxLength: 256 }),
  clientSecretEnv: Type.Optional(Type.String({ description: 'Name of the environment variable holding the client secret (preferred: keeps the secret out of the config file).', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 256 })),
  clientSecret: Type.Optional(Type.String({ description: 'The client secret written in the config file; `check` warns. Prefer clientSecretEnv.', minLength: 1, maxLength: 1024 })),
  audience: Type.Optional(Type.Array(Type.String({ description: 'An accepted audience.', minLength: 1, maxLength: 2048 }), { description: 'When set, the introspection response\'s `aud` must contain one of these, else the token is refused (wrong_audience).', minItems: 1, maxItems: 20 })),
  issuer: Type.Optional(Type.String({ description: 'When set, the introspection response\'s `iss` must equal it, else the token is refused (wrong_issuer).', minLength: 1, maxLength: 2048 })),
  claims: Claims,
  onlyOpaque: Type.Boolean({ description: 'Leave tokens that look like JWTs (three or five base64url segments, a JSON header) to the jwt policy: this method reports no credential for them. A route that takes both lists introspection before jwt (the first method that finds a credential decides, and jwt refuses tokens that are not JWTs).', default: true }),
  failureMode: stringEnum(['closed', 'open'] as const, { description: 'When the authorization server cannot answer (down, timeout, 5xx, malformed answer): closed refuses with 503; open treats the request as carrying no credential of this kind (a public route serves it anonymously, any other route answers 401). Open never lets a token through unchecked.', default: 'closed' }),
  timeoutMs: durationMs({ description: 'Deadline of one introspection request.', default: 2000, maximum: 60_000 }),
  maxResponseBytes: bytes({ description: 'Largest introspection response accepted; larger is treated as a failure of the authorization server.', default: 65_536, minimum: 256, maximum: 1_048_576 }),
  maxTokenBytes: bytes({ description: 'Longest bearer token sent to the authorization server; longer is refused without a request.', default: 8192, minimum: 16, maximum: 65_536 }),
  cacheTtlSec: Type.Integer({ description: 'Longest time an active result is reused (never past the token\'s exp). 0 disables caching: every request is introspected.', default: 60, minimum: 0, maximum: 3600 }),
  negativeCacheTtlSec: Type.Integer({ description: 'How long an inactive result is reused, so a replayed dead token does not reach the authorization server on every request. 0 disables.', default: 5, minimum: 0, maximum: 300 }),
  cacheMaxEntries: Type.Integer({ description: 'Most cached results (active and inactive each); the oldest go first. Keys are SHA-256 hashes of the tokens, never the tokens.', default: 10_000, minimum: 1, maximum: 1_000_000 }),
  clockToleranceSec: Type.Integer({ description: 'Allowed clock difference with the authorization server when checking `exp` and `nbf` of an active token.', default: 30, minimum: 0, maximum: 300 }),
  realm: Type.Optional(Type.String({ description: 'The realm of the WWW-Authenticate Bearer challenge. Absent: `issuer` when set, else `api`.', maxLength: 256, pattern: REALM })),
}, { description: 'Answers with the shared codes: 401 authenticate.invalid_token for an inactive, expired or mismatched token (the exact reason goes to the audit trail only), 503 authenticate.unavailable when the authorization server cannot answer and failureMode is closed. Results are cached under the SHA-256 of the token; a revoked token stays accepted for up to cacheTtlSec.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: IntrospectionConfig = { endpoint, clientId: 'gateway', clientSecretEnv: 'SECRET', rolesClaim: 'roles', … };
 * ```
 */
export type IntrospectionConfig = Static<typeof IntrospectionSchema>;
