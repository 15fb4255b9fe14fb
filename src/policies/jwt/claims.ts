/**
 * From a verified token's claims to a Principal: claim paths compiled once, values read as own
 * properties only (never from a prototype), the result frozen all the way down.
 */
import type { Principal } from '../../core/principal.js';
import type { JwtConfig } from './schema.js';

/** Reads one claim path from a claims set. */
export type ClaimReader = (claims: Readonly<Record<string, unknown>>) => unknown;

/**
 * Compiles a claim path. The whole path is tried as one claim name first (namespaced claims
 * such as `https://example.com/roles` contain dots), then as dot-separated nested names.
 *
 * @example
 * ```ts
 * claimReader('realm_access.roles')({ realm_access: { roles: ['admin'] } }) // ['admin']
 * ```
 */
export function claimReader(path: string): ClaimReader {
  const segments = path.split('.');
  if (segments.length === 1) return (claims) => (Object.hasOwn(claims, path) ? claims[path] : undefined);
  return (claims) => {
    if (Object.hasOwn(claims, path)) return claims[path];
    let value: unknown = claims;
    for (const segment of segments) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
    return value;
  };
}

/** Builds the Principal for a verified claims set, or says which claim was missing. */
export type PrincipalMapper = (claims: Record<string, unknown>) => Principal | 'missing_claim';

/**
 * Compiles the `claims` section of the config into a mapper.
 *
 * @example
 * ```ts
 * const toPrincipal = principalMapper(config.claims);
 * toPrincipal({ iss, sub: 'alice', roles: ['editor'], scope: 'tasks:read' }).scopes // ['tasks:read']
 * ```
 */
export function principalMapper(config: JwtConfig['claims']): PrincipalMapper {
  const subject = claimReader(config.subject);
  const roles = claimReader(config.roles);
  const scopes = claimReader(config.scopes);
  const scp = config.scopes === 'scope' ? claimReader('scp') : undefined;
  const clientId = claimReader(config.clientId);
  const azp = claimReader('azp');
  const attributes = Object.entries(config.attributes).map(([name, path]) => [name, claimReader(path)] as const);
  const kindClaim = config.kind.claim === undefined ? undefined : claimReader(config.kind.claim);
  const serviceValues = new Set(config.kind.serviceValues);

  return (claims) => {
    const id = subject(claims);
    if (typeof id !== 'string' || id.length === 0) return 'missing_claim';
    const client = stringOrUndefined(clientId(claims)) ?? stringOrUndefined(azp(claims));
    let service: boolean;
    if (kindClaim !== undefined) {
      const value = kindClaim(claims);
      service = typeof value === 'string' ? serviceValues.has(value) : Array.isArray(value) && value.some((v) => typeof v === 'string' && serviceValues.has(v));
    } else {
      service = client !== undefined && client === id;
    }
    const attrs: Record<string, unknown> = {};
    for (const [name, read] of attributes) {
      const value = read(claims);
      if (value !== undefined) attrs[name] = deepFreeze(value);
    }
    attrs.iss = claims.iss;
    if (client !== undefined) attrs.clientId = client;
    return Object.freeze({
      id,
      kind: service ? 'service' : 'user',
      roles: Object.freeze(stringList(roles(claims), false)),
      scopes: Object.freeze(stringList(scopes(claims) ?? scp?.(claims), true)),
      attributes: Object.freeze(attrs),
      method: 'jwt',
    });
  };
}

/** An array's strings, or one string (split on spaces for scopes); anything else is empty. */
function stringList(value: unknown, spaceDelimited: boolean): string[] {
  if (typeof value === 'string') return spaceDelimited ? value.split(' ').filter((s) => s.length > 0) : value.length > 0 ? [value] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [];
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
