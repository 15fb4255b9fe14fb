/**
 * From a verified token's claims to a Principal, with the shared claims mapping of core/claims.ts.
 */
import type { Principal } from '../../core/principal.js';
import { createPrincipalMapper } from '../../core/claims.js';
import type { JwtConfig } from './schema.js';

export { claimReader, type ClaimReader } from '../../core/claims.js';

/** Builds the Principal for a verified claims set, or says which claim was missing. */
export type PrincipalMapper = (claims: Record<string, unknown>) => Principal | 'missing_claim';

/**
 * Compiles the `claims` section of the config into a mapper (the client id falls back to `azp`).
 *
 * @example
 * ```ts
 * const toPrincipal = principalMapper(config.claims);
 * toPrincipal({ iss, sub: 'alice', roles: ['editor'], scope: 'tasks:read' }).scopes // ['tasks:read']
 * ```
 */
export function principalMapper(config: JwtConfig['claims']): PrincipalMapper {
  return createPrincipalMapper(config, { method: 'jwt', clientIdFallbacks: ['azp'] });
}
