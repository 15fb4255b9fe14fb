/**
 * Gets access tokens from the demo identity provider the way real clients do, with no browser:
 *
 * - {@link getUserToken}: Authorization Code with PKCE (S256) as the public `tasks-spa` client.
 *   GET the authorization endpoint with a code challenge; follow the provider's redirects to its
 *   interaction (login, then consent) and answer each with a POST as the user would (the demo's
 *   password-less dev login); take the code from the Location header of the final redirect, never
 *   following it to the redirect URI; check `state`; exchange the code with the code verifier.
 * - {@link getClientToken}: Client Credentials as a confidential client (HTTP Basic).
 *
 * Endpoints come from the provider's discovery document. Cookies (the provider's interaction and
 * session cookies) are kept in a jar for one flow only. `npm run token` (token.ts) is the CLI.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Default address of the demo identity provider. */
export const DEFAULT_IDP_URL = 'http://localhost:9000';

/** Why a flow failed: the message says what to do. */
export class TokenFlowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenFlowError';
  }
}

/** Options of {@link getUserToken}. */
export interface UserTokenOptions {
  /** Resource indicator (RFC 8707); default none: the provider's default, the gateway's audience (a JWT). */
  readonly resource?: string;
  /** Scopes to ask for; default `openid tasks:read tasks:write reports:read`. */
  readonly scope?: string;
  /** Public client; default `tasks-spa`. */
  readonly clientId?: string;
  /** Its registered redirect URI; default `https://app.example.com/callback`. */
  readonly redirectUri?: string;
  /** Deadline of each HTTP request, ms; default 10000. */
  readonly timeoutMs?: number;
}

/** Options of {@link getClientToken}. */
export interface ClientTokenOptions {
  /** Resource indicator; default none: the gateway's audience (a JWT). */
  readonly resource?: string;
  /** Scopes to ask for; default none (the provider grants what the resource defines for the client). */
  readonly scope?: string;
  /** Deadline of each HTTP request, ms; default 10000. */
  readonly timeoutMs?: number;
}

const MAX_HOPS = 12;

/**
 * Signs `user` in through Authorization Code + PKCE and returns the access token.
 *
 * @example
 * ```ts
 * const jwt = await getUserToken('http://localhost:9000', 'alice');
 * const opaque = await getUserToken(idp.issuer, 'bob', { resource: 'urn:portcullis:opaque' });
 * ```
 */
export async function getUserToken(idpUrl: string, user: string, options: UserTokenOptions = {}): Promise<string> {
  const http = new FlowHttp(options.timeoutMs ?? 10_000);
  const meta = await discover(http, idpUrl);
  const clientId = options.clientId ?? 'tasks-spa';
  const redirectUri = options.redirectUri ?? 'https://app.example.com/callback';
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const authorize = new URL(meta.authorization_endpoint);
  const params: Record<string, string> = {
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid tasks:read tasks:write reports:read',
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  if (options.resource !== undefined) params.resource = options.resource;
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);

  let url = authorize;
  let location: URL | undefined;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const res = await http.send(url, { method: 'GET' });
    location = redirectOf(res, url, 'the authorization endpoint');
    if (location.href.startsWith(redirectUri)) break;
    if (location.pathname.startsWith('/interaction/')) {
      const details = await http.json(location, { method: 'GET', headers: { accept: 'application/json' } }, 'the interaction');
      const action = details.prompt === 'login' ? 'login' : details.prompt === 'consent' ? 'confirm' : undefined;
      if (action === undefined) throw new TokenFlowError(`the identity provider asks for '${String(details.prompt)}', which this script cannot answer`);
      const step = new URL(`${location.pathname}/${action}`, location);
      const answer = await http.send(step, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: action === 'login' ? new URLSearchParams({ login: user }).toString() : '' });
      url = redirectOf(answer, step, action === 'login' ? `signing in as '${user}'` : 'the consent step');
    } else {
      url = location;
    }
    location = undefined;
  }
  if (location === undefined) throw new TokenFlowError(`the identity provider did not redirect to ${redirectUri} within ${MAX_HOPS} steps`);
  const back = location.searchParams.size > 0 ? location.searchParams : new URLSearchParams(location.hash.slice(1));
  if (back.get('error') !== null) throw new TokenFlowError(`authorization refused: ${back.get('error')}${describeError(back.get('error_description'))}`);
  if (back.get('state') !== state) throw new TokenFlowError('the redirect carries a different state than was sent');
  const code = back.get('code');
  if (code === null) throw new TokenFlowError('the redirect carries no authorization code');

  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: clientId };
  if (options.resource !== undefined) form.resource = options.resource;
  return tokenRequest(http, meta.token_endpoint, form, {});
}

/**
 * Gets an access token through the Client Credentials grant (client_secret_basic).
 *
 * @example
 * ```ts
 * const token = await getClientToken(idp.issuer, 'reporting-cli', idp.clients['reporting-cli'].secret);
 * ```
 */
export async function getClientToken(idpUrl: string, clientId: string, clientSecret: string, options: ClientTokenOptions = {}): Promise<string> {
  const http = new FlowHttp(options.timeoutMs ?? 10_000);
  const meta = await discover(http, idpUrl);
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (options.scope !== undefined) form.scope = options.scope;
  if (options.resource !== undefined) form.resource = options.resource;
  // RFC 6749 §2.3.1: each part form-urlencoded, then Basic.
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  return tokenRequest(http, meta.token_endpoint, form, { authorization: `Basic ${basic}` });
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
}

async function discover(http: FlowHttp, idpUrl: string): Promise<Discovery> {
  let base: URL;
  try {
    base = new URL(idpUrl.endsWith('/') ? idpUrl : `${idpUrl}/`);
  } catch {
    throw new TokenFlowError(`'${idpUrl}' is not a URL`);
  }
  const doc = await http.json(new URL('.well-known/openid-configuration', base), { method: 'GET' }, 'the discovery document');
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') throw new TokenFlowError(`${base.origin} serves a discovery document without authorization and token endpoints`);
  return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
}

async function tokenRequest(http: FlowHttp, endpoint: string, form: Record<string, string>, headers: Record<string, string>): Promise<string> {
  const body = await http.json(new URL(endpoint), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() }, 'the token endpoint');
  if (typeof body.access_token !== 'string') throw new TokenFlowError('the token endpoint answered without an access_token');
  return body.access_token;
}

function redirectOf(res: FlowResponse, from: URL, what: string): URL {
  if (res.status < 300 || res.status > 399 || res.location === null) throw new TokenFlowError(`${what} answered ${res.status} instead of a redirect${describeBody(res.text)}`);
  return new URL(res.location, from);
}

function describeError(description: string | null | undefined): string {
  return description === null || description === undefined || description === '' ? '' : ` (${description})`;
}

/** The OAuth error of a response body (`error`, `error_description`), or its first characters. */
function describeBody(text: string): string {
  if (text === '') return '';
  try {
    const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === 'string') return `: ${parsed.error}${describeError(typeof parsed.error_description === 'string' ? parsed.error_description : undefined)}`;
  } catch {
    // not JSON
  }
  return `: ${text.slice(0, 200).replace(/\s+/g, ' ')}`;
}

interface FlowResponse {
  readonly status: number;
  readonly location: string | null;
  readonly text: string;
}

type FlowInit = { readonly method: 'GET' | 'POST'; readonly headers?: Record<string, string>; readonly body?: string };

/** fetch without following redirects, with a cookie jar for one flow. */
class FlowHttp {
  readonly #jar = new Map<string, string>();
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Sends a request (never following a redirect) and reads the whole answer. */
  async send(url: URL, init: FlowInit): Promise<FlowResponse> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#jar.size > 0) headers.cookie = [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let res: Response;
    try {
      res = await fetch(url, { method: init.method, headers, body: init.body, redirect: 'manual', signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : 'connection failed';
      throw new TokenFlowError(`cannot reach the identity provider at ${url.origin} (${reason}). Is the demo running (npm start)? Set PORTCULLIS_IDP_URL if it listens elsewhere.`, { cause: error });
    }
    for (const cookie of res.headers.getSetCookie()) this.#store(cookie);
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  }

  /** Sends a request and parses a 200 JSON object answer. */
  async json(url: URL, init: FlowInit, what: string): Promise<Record<string, unknown>> {
    const res = await this.send(url, init);
    if (res.status !== 200) throw new TokenFlowError(`${what} answered ${res.status}${describeBody(res.text)}`);
    try {
      const body = JSON.parse(res.text) as unknown;
      if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw new TokenFlowError(`${what} did not answer with a JSON object`);
  }

  #store(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => {
      const [k = '', v = ''] = a.split('=').map((s) => s.trim());
      return (k.toLowerCase() === 'max-age' && Number(v) <= 0) || (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now());
    });
    if (expired || value === '') this.#jar.delete(name);
    else this.#jar.set(name, value);
  }
}
