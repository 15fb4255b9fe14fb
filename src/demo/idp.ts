/**
 * The demo identity provider: a real OAuth 2.0 / OpenID Connect server (oidc-provider, a certified
 * implementation) so the gateway is tested with real tokens. It serves discovery, JWKS, the
 * authorization and token endpoints, introspection (RFC 7662) and revocation (RFC 7009), and issues:
 *
 * - JWT access tokens for the gateway's audience (RFC 8707 resource indicators; no `resource`
 *   parameter means this one), with the user's `roles`, `department` and `clearance` claims;
 * - opaque access tokens for the same API when `resource=urn:portcullis:opaque` is asked for, to
 *   be introspected.
 *
 * Users alice, bob and carol sign in without a password through a scriptable login (DEVELOPMENT
 * ONLY, see idp-interactions.ts), so it refuses to listen on anything but loopback. Clients:
 * `tasks-spa` (public, Authorization Code + PKCE S256), `reporting-cli` (Client Credentials) and
 * `portcullis-gateway` (introspection); the two secrets are random, kept in `secretsFile` (0600)
 * when one is given. Signing keys are generated on first start (kept in `keysFile`, 0600, when
 * given) and can be rotated; cookie keys are random on every start.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { createMemoryStore } from './idp-adapter.js';
import { GATEWAY_CLIENT_ID, OPAQUE_RESOURCE, REPORTING_CLIENT_ID, SPA_CLIENT_ID, SPA_REDIRECT_URI, buildProviderConfiguration } from './idp-config.js';
import { handleInteraction, isInteractionPath } from './idp-interactions.js';
import { loadOrCreateClientSecrets, loadOrCreateSigningKeys, rotateSigningKeys, saveSigningKeys, type IdpSigningAlg } from './idp-keys.js';

export { API_SCOPES, GATEWAY_CLIENT_ID, IDP_USERS, OPAQUE_RESOURCE, REPORTING_CLIENT_ID, SPA_CLIENT_ID, SPA_REDIRECT_URI, type IdpUser } from './idp-config.js';
export { IDP_KEYS_FILE, IDP_SECRETS_FILE, type IdpSigningAlg } from './idp-keys.js';

/** Options of {@link startIdentityProvider}. */
export interface IdentityProviderOptions {
  /** Loopback address to listen on; default `127.0.0.1`. Anything else is refused (the login has no passwords). */
  host?: string;
  /** Port; default 0 (a free port). The demo uses 9000. */
  port?: number;
  /** Issuer identifier (`iss` of every token, base of every endpoint); default `http://localhost:<port>`. Must reach this server. */
  issuer?: string;
  /** The gateway's audience: `aud` of the JWT access tokens; default `https://localhost:8443`. */
  audience?: string;
  /** Where the signing keys persist (JSON, mode 0600); in memory only when omitted. */
  keysFile?: string;
  /** Where the confidential clients' secrets persist (JSON, mode 0600); random per start when omitted. */
  secretsFile?: string;
  /** Signing algorithm of tokens; default RS256. */
  signingAlg?: IdpSigningAlg;
  /** Lifetime of access tokens in seconds; default 3600. */
  accessTokenTtlSec?: number;
}

/** The demo's clients, by id. */
export interface DemoClients {
  /** Public SPA client: Authorization Code + PKCE, no secret. */
  readonly 'tasks-spa': { readonly id: typeof SPA_CLIENT_ID; readonly redirectUri: string };
  /** Confidential machine client: Client Credentials (HTTP Basic). */
  readonly 'reporting-cli': { readonly id: typeof REPORTING_CLIENT_ID; readonly secret: string };
  /** The gateway's client for token introspection (HTTP Basic). */
  readonly 'portcullis-gateway': { readonly id: typeof GATEWAY_CLIENT_ID; readonly secret: string };
}

/** A running identity provider. */
export interface RunningIdentityProvider {
  /** The issuer identifier, e.g. `http://localhost:9000` (no trailing slash). */
  readonly issuer: string;
  /** The address it listens on, e.g. `http://127.0.0.1:9000`. */
  readonly url: string;
  /** `<issuer>/jwks`. */
  readonly jwksUri: string;
  /** `<issuer>/token/introspection` (RFC 7662). */
  readonly introspectionEndpoint: string;
  /** `<issuer>/token`. */
  readonly tokenEndpoint: string;
  /** `<issuer>/token/revocation` (RFC 7009). */
  readonly revocationEndpoint: string;
  /** `aud` of its access tokens (both formats). */
  readonly audience: string;
  /** The resource indicator that asks for opaque access tokens. */
  readonly opaqueResource: string;
  /** Client ids and secrets. */
  readonly clients: DemoClients;
  /** The `kid` of the key that signs new tokens. */
  currentKeyId(): string;
  /** Adds a new signing key and makes it current; the previous one stays published until the next rotation. */
  rotateKeys(): Promise<void>;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the identity provider.
 *
 * @example
 * ```ts
 * const idp = await startIdentityProvider({ port: 9000, keysFile: join(dir, IDP_KEYS_FILE), secretsFile: join(dir, IDP_SECRETS_FILE) });
 * const token = await getUserToken(idp.issuer, 'alice'); // idp-client.ts
 * await idp.close();
 * ```
 */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<RunningIdentityProvider> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`the demo identity provider signs anyone in without a password: it listens on loopback only, not on '${host}'`);
  const alg = options.signingAlg ?? 'RS256';
  const audience = options.audience ?? 'https://localhost:8443';
  const accessTokenTtlSec = options.accessTokenTtlSec ?? 3600;
  let keys = await loadOrCreateSigningKeys(options.keysFile, alg);
  const secrets = await loadOrCreateClientSecrets(options.secretsFile, [REPORTING_CLIENT_ID, GATEWAY_CLIENT_ID] as const);
  const adapter = createMemoryStore();
  const cookieKeys = [randomBytes(32).toString('base64url')];

  let provider: Provider | undefined;
  let callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;
  const server = createServer((req, res) => {
    if (provider === undefined || callback === undefined) {
      res.writeHead(503).end();
    } else if (isInteractionPath(req.url ?? '')) {
      void handleInteraction(provider, req, res);
    } else {
      void callback(req, res);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = (options.issuer ?? `http://localhost:${port}`).replace(/\/$/, '');

  const build = () => {
    const next = new Provider(issuer, buildProviderConfiguration({ audience, keys, alg, secrets, cookieKeys, adapter, accessTokenTtlSec }));
    next.on('server_error', (_ctx: unknown, error: unknown) => console.error('identity provider: server error:', error));
    provider = next;
    callback = next.callback();
  };
  try {
    build();
  } catch (error) {
    server.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    issuer,
    url: `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
    jwksUri: `${issuer}/jwks`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    tokenEndpoint: `${issuer}/token`,
    revocationEndpoint: `${issuer}/token/revocation`,
    audience,
    opaqueResource: OPAQUE_RESOURCE,
    clients: {
      [SPA_CLIENT_ID]: { id: SPA_CLIENT_ID, redirectUri: SPA_REDIRECT_URI },
      [REPORTING_CLIENT_ID]: { id: REPORTING_CLIENT_ID, secret: secrets[REPORTING_CLIENT_ID] },
      [GATEWAY_CLIENT_ID]: { id: GATEWAY_CLIENT_ID, secret: secrets[GATEWAY_CLIENT_ID] },
    },
    currentKeyId: () => keys[0]!.kid,
    async rotateKeys() {
      keys = await rotateSigningKeys(keys, alg);
      if (options.keysFile !== undefined) await saveSigningKeys(options.keysFile, keys);
      // The key set is fixed per provider instance: build a new one over the same storage and
      // cookie keys, so sessions, grants and opaque tokens carry over.
      build();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
