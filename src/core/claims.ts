/**
 * From a verified claims set (a JWT's payload, an introspection answer) to a Principal: claim
 * paths compiled once, values read as own properties only (never from a prototype), the result
 * frozen all the way down. Shared by every token-based authentication method.
 */
import type { Principal } from './principal.js';

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

/** The claims mapping of a policy's config (jwt and introspection share its shape). */
export interface ClaimsMapping {
  /** Claim with the principal id. */
  readonly subject: string;
  /** Claim with the roles (array or one string). */
  readonly roles: string;
  /** Claim with the scopes (space-delimited string or array); `scope` also falls back to `scp`. */
  readonly scopes: string;
  /** Claim with the OAuth client id. */
  readonly clientId: string;
  /** Principal attribute name → claim path. */
  readonly attributes: Readonly<Record<string, string>>;
  /** How a service is told from a user: a claim and the values that mean service. */
  readonly kind: { readonly claim?: string; readonly serviceValues: readonly string[] };
}

/** How a method completes the mapping. */
export interface MapperOptions {
  /** The principal's `method`. */
  readonly method: string;
  /** Claims tried, in order, when the configured client-id claim is absent (`azp`). */
  readonly clientIdFallbacks?: readonly string[];
  /** Use the client id as the subject when there is none (client-credentials answers). */
  readonly subjectFromClient?: boolean;
}

/** Builds a Principal from claims, or says that the subject was missing. */
export type PrincipalMapper = (claims: Readonly<Record<string, unknown>>, credentialId?: string) => Principal | 'missing_claim';

/**
 * Compiles a claims mapping. Without a kind claim, a principal whose subject is its own client
 * id (RFC 9068 client credentials) is a service.
 *
 * @example
 * ```ts
 * const toPrincipal = createPrincipalMapper(config.claims, { method: 'jwt', clientIdFallbacks: ['azp'] });
 * toPrincipal({ iss, sub: 'alice', roles: ['editor'], scope: 'tasks:read' }).scopes // ['tasks:read']
 * ```
 */
export function createPrincipalMapper(config: ClaimsMapping, options: MapperOptions): PrincipalMapper {
  const subject = claimReader(config.subject);
  const roles = claimReader(config.roles);
  const scopes = claimReader(config.scopes);
  const scp = config.scopes === 'scope' ? claimReader('scp') : undefined;
  const clientIds = [config.clientId, ...(options.clientIdFallbacks ?? [])].map(claimReader);
  const attributes = Object.entries(config.attributes).map(([name, path]) => [name, claimReader(path)] as const);
  const kindClaim = config.kind.claim === undefined ? undefined : claimReader(config.kind.claim);
  const serviceValues = new Set(config.kind.serviceValues);
  const { method, subjectFromClient = false } = options;

  return (claims, credentialId) => {
    let client: string | undefined;
    for (const read of clientIds) if ((client = nonEmptyString(read(claims))) !== undefined) break;
    const id = nonEmptyString(subject(claims)) ?? (subjectFromClient ? client : undefined);
    if (id === undefined) return 'missing_claim';
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
    if (claims.iss !== undefined) attrs.iss = claims.iss;
    if (client !== undefined) attrs.clientId = client;
    const principal: Principal = {
      id,
      kind: service ? 'service' : 'user',
      roles: Object.freeze(stringList(roles(claims), false)),
      scopes: Object.freeze(stringList(scopes(claims) ?? scp?.(claims), true)),
      attributes: Object.freeze(attrs),
      method,
      ...(credentialId === undefined ? {} : { credentialId }),
    };
    return Object.freeze(principal);
  };
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An array's strings, or one string (split on spaces for scopes); anything else is empty. */
function stringList(value: unknown, spaceDelimited: boolean): string[] {
  if (typeof value === 'string') return spaceDelimited ? value.split(' ').filter((s) => s !== '') : value !== '' ? [value] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
