/**
 * Who is calling. Only the authenticate phase writes it; authorization, rate limiting and logs
 * read it.
 */

/**
 * An authenticated caller.
 *
 * @example
 * ```ts
 * const alice: Principal = { id: 'alice', kind: 'user', roles: ['editor'], scopes: ['tasks:read'], attributes: { department: 'engineering' }, method: 'jwt' };
 * ```
 */
export interface Principal {
  /** Stable identifier (JWT `sub`, API key id, client id). */
  readonly id: string;
  /** A person or a machine client. */
  readonly kind: 'user' | 'service';
  /** Role names, for RBAC. */
  readonly roles: readonly string[];
  /** OAuth scopes granted to the credential. */
  readonly scopes: readonly string[];
  /** Further attributes (department, clearance …) for ABAC conditions. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** The authentication method that produced this principal (`jwt`, `api-key`, `introspection`). */
  readonly method: string;
  /** Which credential it was (an API key's prefix, a token's `jti`), never the secret: for audit during rotation. */
  readonly credentialId?: string;
}
