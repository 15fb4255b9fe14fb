/**
 * What the demo identity provider knows: its users (the sample API's seed users, with the roles and
 * ABAC attributes of DEMO.md), its three clients, and the two resource servers it issues access
 * tokens for: the gateway's audience as signed JWTs, and the same API as opaque tokens (for
 * introspection). Turned into an oidc-provider configuration by {@link buildProviderConfiguration}.
 */
import { errors, type Account, type ClientMetadata, type Configuration, type ResourceServer } from 'oidc-provider';
import type { IdpSigningAlg, IdpSigningKey } from './idp-keys.js';
import { SEED_USERS } from './tasks-seed.js';

/** A person who can sign in at the demo identity provider. */
export interface IdpUser {
  /** The `sub` of their tokens (= the sample API's user id). */
  readonly id: string;
  /** Display name (ID token `name`). */
  readonly name: string;
  /** Email address (ID token `email`). */
  readonly email: string;
  /** Access-token claim `roles`. */
  readonly roles: readonly string[];
  /** Access-token claim `department`. */
  readonly department: string;
  /** Access-token claim `clearance`. */
  readonly clearance: number;
}

/**
 * The demo users: alice (editor), bob (viewer), carol (admin), from the sample API's seed.
 *
 * @example
 * ```ts
 * IDP_USERS.get('bob')?.roles // ['viewer']
 * ```
 */
export const IDP_USERS: ReadonlyMap<string, IdpUser> = new Map(SEED_USERS.map((u) => [u.id, Object.freeze({
  id: u.id, name: u.name, email: u.email, roles: Object.freeze([u.role]), department: u.department, clearance: u.clearance,
})]));

/** The public single-page app: Authorization Code with PKCE, no secret. */
export const SPA_CLIENT_ID = 'tasks-spa';
/** Where the SPA receives its code. Never followed by the token script: it reads the code from the Location header. */
export const SPA_REDIRECT_URI = 'https://app.example.com/callback';
/** A confidential machine client: Client Credentials. Its tokens carry `roles: ['service']`. */
export const REPORTING_CLIENT_ID = 'reporting-cli';
/** The gateway's own confidential client, for token introspection. */
export const GATEWAY_CLIENT_ID = 'portcullis-gateway';
/** Resource indicator of the opaque-token format of the same API (RFC 8707 `resource`). */
export const OPAQUE_RESOURCE = 'urn:portcullis:opaque';
/** Scopes the API (both token formats) defines. */
export const API_SCOPES = 'tasks:read tasks:write reports:read';

/** Roles of machine clients, carried in their access tokens. */
const CLIENT_ROLES: ReadonlyMap<string, readonly string[]> = new Map([[REPORTING_CLIENT_ID, ['service']]]);

/** What {@link buildProviderConfiguration} needs. */
export interface ProviderSettings {
  /** The gateway's audience: the resource whose access tokens are JWTs. */
  readonly audience: string;
  /** Signing keys, current first. */
  readonly keys: readonly IdpSigningKey[];
  /** Their algorithm. */
  readonly alg: IdpSigningAlg;
  /** Secrets of the confidential clients. */
  readonly secrets: Readonly<Record<typeof REPORTING_CLIENT_ID | typeof GATEWAY_CLIENT_ID, string>>;
  /** Keys that sign the provider's cookies. */
  readonly cookieKeys: readonly string[];
  /** The storage adapter. */
  readonly adapter: NonNullable<Configuration['adapter']>;
  /** Lifetime of access tokens, seconds. */
  readonly accessTokenTtlSec: number;
}

/**
 * The oidc-provider configuration of the demo.
 *
 * @example
 * ```ts
 * const provider = new Provider(issuer, buildProviderConfiguration(settings));
 * ```
 */
export function buildProviderConfiguration(settings: ProviderSettings): Configuration {
  const { audience, alg, accessTokenTtlSec } = settings;
  const currentKid = settings.keys[0]!.kid;
  const clients: ClientMetadata[] = [
    { client_id: SPA_CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [SPA_REDIRECT_URI, 'http://localhost:5173/callback'] },
    { client_id: REPORTING_CLIENT_ID, client_secret: settings.secrets[REPORTING_CLIENT_ID], grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
    { client_id: GATEWAY_CLIENT_ID, client_secret: settings.secrets[GATEWAY_CLIENT_ID], grant_types: [], response_types: [], redirect_uris: [] },
  ];
  const resourceServer = (indicator: string): ResourceServer | undefined => {
    // Both formats name the same API, so both carry the gateway's audience.
    if (indicator === audience) return { scope: API_SCOPES, audience, accessTokenTTL: accessTokenTtlSec, accessTokenFormat: 'jwt', jwt: { sign: { alg, kid: currentKid } } };
    if (indicator === OPAQUE_RESOURCE) return { scope: API_SCOPES, audience, accessTokenTTL: accessTokenTtlSec, accessTokenFormat: 'opaque' };
    return undefined;
  };

  return {
    adapter: settings.adapter,
    clients,
    clientDefaults: { id_token_signed_response_alg: alg },
    jwks: { keys: settings.keys.map((k) => ({ ...k })) },
    cookies: { keys: [...settings.cookieKeys] },
    claims: { openid: ['sub'], profile: ['name', 'email'] },
    findAccount(_ctx, sub): Account | undefined {
      const user = IDP_USERS.get(sub);
      if (user === undefined) return undefined;
      return { accountId: user.id, claims: () => ({ sub: user.id, name: user.name, email: user.email }) };
    },
    extraTokenClaims(_ctx, token) {
      if (token.kind === 'ClientCredentials') {
        const roles = token.clientId === undefined ? undefined : CLIENT_ROLES.get(token.clientId);
        return roles === undefined ? undefined : { roles: [...roles] };
      }
      const user = IDP_USERS.get(token.accountId);
      return user === undefined ? undefined : { roles: [...user.roles], department: user.department, clearance: user.clearance };
    },
    pkce: { required: () => true },
    features: {
      // The built-in login pages are off: idp-interactions.ts serves a scriptable dev login instead.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The gateway may introspect any token; any other client only its own.
        allowedPolicy: (_ctx, client, token) => client.clientId === GATEWAY_CLIENT_ID || client.clientId === token.clientId,
      },
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => client.clientId === token.clientId },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter means the gateway's API, so a plain code flow yields a JWT for it.
        defaultResource: (_ctx, _client, oneOf) => (oneOf === undefined ? audience : oneOf.includes(audience) ? audience : oneOf[0]),
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          const info = resourceServer(indicator);
          if (info === undefined) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
    ttl: {
      AccessToken: accessTokenTtlSec,
      ClientCredentials: accessTokenTtlSec,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 86_400,
    },
    renderError(ctx, out) {
      // JSON, so the token script can say what went wrong.
      ctx.type = 'application/json';
      ctx.body = out;
    },
  };
}
