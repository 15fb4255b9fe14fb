/**
 * jwt: authenticates bearer JWTs (OAuth 2.0 access tokens, RFC 9068) signed by an identity
 * provider (OWASP API2:2023, broken authentication). Keys come from the issuer's JWKS (a URL or
 * OpenID Connect discovery) through the gateway's outbound client, or from a shared secret for
 * HS*. Signature, `iss`, `aud`, `exp` (always required), `nbf` and `iat` are checked with a small
 * clock tolerance; `alg` against an explicit allowlist (`none` never); `jku`, `x5u`, `jwk` and
 * `x5c` headers are refused, never followed; `crit` is honoured. Roles, scopes and attributes
 * come from configurable claims. Signatures are checked synchronously with node:crypto against
 * keys prepared once per key-set fetch (jose validates the JWKs, and is the reference the
 * verifier is tested against); verified tokens are also cached until their exp, so a repeated
 * token costs a map lookup. Only a key-set fetch (the first, or an unknown `kid`) is waited for.
 *
 * Every refusal is `authenticate.invalid_token` (401, RFC 6750 `WWW-Authenticate: Bearer …,
 * error="invalid_token"`), or `authenticate.unavailable` (503) when no usable key set can be
 * had; which check failed is in the audit trail only.
 */
import { definePolicy } from '../../core/policy.js';
import { JwtSchema } from './schema.js';
import { createJwtAuthenticator } from './verifier.js';

export { JwtSchema, type JwtConfig, JWT_ALGORITHMS, DEFAULT_JWT_ALGORITHMS, type JwtAlgorithm } from './schema.js';
export { JWT_FAILURE_REASONS, type JwtFailureReason } from './verifier.js';

/**
 * The jwt policy.
 *
 * @example
 * ```yaml
 * defaults:
 *   policies:
 *     jwt:
 *       issuer: https://idp.example.com
 *       audience: tasks-api
 *       discovery: true
 *       claims: { roles: realm_access.roles }
 * ```
 */
export default definePolicy({
  name: 'jwt',
  phase: 'authenticate',
  description: 'Authenticates bearer JWTs against the issuer\'s keys (JWKS or discovery) and maps their claims to the principal.',
  schema: JwtSchema,
  // Refusals use the shared authenticate.* codes of the core catalogue, like every other method.
  errors: {},
  compile: (config, env) => createJwtAuthenticator(config, env),
});
