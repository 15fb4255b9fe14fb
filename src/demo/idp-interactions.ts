/**
 * DEVELOPMENT ONLY. The login and consent steps of the demo identity provider, made scriptable:
 * there are no passwords — POST `login=alice` and you are alice. That is acceptable only because
 * the demo identity provider refuses to listen on anything but loopback (see idp.ts) and its users
 * are fake. Never reuse this in front of real accounts.
 *
 *   GET  /interaction/:uid          what the provider asks for: JSON ({ prompt: 'login' | 'consent', … }),
 *                                   or a minimal HTML form for a browser (Accept: text/html)
 *   POST /interaction/:uid/login    login=<user>   → 303 back to the authorization endpoint
 *   POST /interaction/:uid/confirm  grants every scope and resource the client asked for → 303
 *   POST /interaction/:uid/abort    access_denied → 303
 *
 * Each needs the provider's interaction cookie, set when the authorization endpoint redirected
 * here, so only the user agent that started the flow can finish it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import { IDP_USERS } from './idp-config.js';

const PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|confirm|abort))?$/;
const MAX_FORM_BYTES = 4096;

/**
 * Whether a request path belongs to the interaction endpoints.
 *
 * @example
 * ```ts
 * isInteractionPath('/interaction/abc/login') // true
 * ```
 */
export function isInteractionPath(path: string): boolean {
  return path.startsWith('/interaction/');
}

/**
 * Serves one interaction request. Never rejects: failures become JSON error responses.
 *
 * @example
 * ```ts
 * if (isInteractionPath(path)) void handleInteraction(provider, req, res);
 * ```
 */
export async function handleInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('cache-control', 'no-store');
  try {
    const match = PATH.exec((req.url ?? '').split('?')[0]!);
    if (match === null) return sendJson(res, 404, { error: 'not_found' });
    const action = match[2];
    if (action === undefined && req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' });
    if (action !== undefined && req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' });

    const details = await provider.interactionDetails(req, res);
    if (details.uid !== match[1]) return sendJson(res, 400, { error: 'interaction_mismatch' });
    const prompt = details.prompt.name;

    if (action === undefined) return describe(req, res, details.uid, prompt, details.params);
    if (action === 'abort') {
      return await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user refused' }, { mergeWithLastSubmission: false });
    }
    if (action === 'login') {
      if (prompt !== 'login') return sendJson(res, 400, { error: 'wrong_prompt', error_description: `this interaction asks for ${prompt}, not login` });
      const login = (await readForm(req)).get('login') ?? '';
      if (!IDP_USERS.has(login)) return sendJson(res, 400, { error: 'unknown_user', error_description: `no demo user '${login}'; the demo users are ${[...IDP_USERS.keys()].join(', ')}` });
      return await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    if (prompt !== 'consent') return sendJson(res, 400, { error: 'wrong_prompt', error_description: `this interaction asks for ${prompt}, not consent` });
    await readForm(req);
    const result = await grantEverythingAsked(provider, details);
    return await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  } catch (error) {
    if (error instanceof errors.SessionNotFound) return sendJson(res, 400, { error: 'interaction_expired', error_description: 'no such interaction for this user agent (expired, finished, or its cookie is missing)' });
    if (error instanceof FormError) return sendJson(res, 400, { error: 'invalid_request', error_description: error.message });
    console.error('identity provider: interaction failed:', error);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
  }
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The consent step of oidc-provider's example: every missing scope, claim and resource scope is granted. */
async function grantEverythingAsked(provider: Provider, details: Details): Promise<InteractionResults> {
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (accountId === undefined || typeof clientId !== 'string') throw new FormError('consent before login');
  const grant = details.grantId === undefined ? new provider.Grant({ accountId, clientId }) : await provider.Grant.find(details.grantId);
  if (grant === undefined) throw new FormError('the grant of this interaction is gone');
  const asked = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (asked.missingOIDCScope !== undefined) grant.addOIDCScope(asked.missingOIDCScope.join(' '));
  if (asked.missingOIDCClaims !== undefined) grant.addOIDCClaims(asked.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(asked.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  return { consent: details.grantId === undefined ? { grantId } : {} };
}

function describe(req: IncomingMessage, res: ServerResponse, uid: string, prompt: string, params: Details['params']): void {
  const base = `/interaction/${uid}`;
  if (!(req.headers.accept ?? '').includes('text/html')) {
    return sendJson(res, 200, { uid, prompt, client_id: params.client_id, scope: params.scope, login: `${base}/login`, confirm: `${base}/confirm`, abort: `${base}/abort` });
  }
  const form = prompt === 'login'
    ? `<form method="post" action="${base}/login">${[...IDP_USERS.keys()].map((u) => `<button name="login" value="${u}">Sign in as ${u}</button>`).join(' ')}</form>`
    : `<form method="post" action="${base}/confirm"><p>${escapeHtml(String(params.client_id))} asks for: ${escapeHtml(typeof params.scope === 'string' ? params.scope : '')}</p><button>Allow</button></form>`;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; form-action 'self'" });
  res.end(`<!doctype html><title>Portcullis demo identity provider</title><h1>Demo ${prompt} (development only)</h1>${form}<form method="post" action="${base}/abort"><button>Cancel</button></form>`);
}

class FormError extends Error {}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? 'application/x-www-form-urlencoded';
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new FormError('send application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormError(`the form is larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
