import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { AuthOutcome } from '../core/policy.js';
import type { Principal } from '../core/principal.js';
import { createOutboundClient } from '../outbound/client.js';
import introspection from '../policies/introspection/index.js';
import { introspectionConfig } from '../policies/introspection/test-helpers.js';
import { compileEnvFor, fakeContext } from '../policies/test-helpers.js';
import { getClientToken, getUserToken, TokenFlowError } from './idp-client.js';
import { IDP_USERS, startIdentityProvider, type RunningIdentityProvider } from './idp.js';

let idp: RunningIdentityProvider;
let outbound: ReturnType<typeof createOutboundClient>;

before(async () => {
  idp = await startIdentityProvider();
  outbound = createOutboundClient({ timeoutMs: 5000, maxResponseBytes: 1_048_576, allow: [new URL(idp.issuer).origin] });
});

after(async () => {
  await outbound.close();
  await idp.close();
});

async function jwks(): Promise<JSONWebKeySet> {
  const res = await fetch(idp.jwksUri);
  assert.equal(res.status, 200);
  return (await res.json()) as JSONWebKeySet;
}

/** Verifies an access token against the identity provider's published keys, its issuer and the gateway's audience. */
async function verify(token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: idp.issuer, audience: idp.audience, typ: 'at+jwt' });
  return payload;
}

/** The introspection policy as the demo gateway would configure it against this identity provider. */
function gatewayIntrospection(config: Record<string, unknown> = {}) {
  const compiled = introspection.compile(introspectionConfig({
    endpoint: idp.introspectionEndpoint,
    clientId: idp.clients['portcullis-gateway'].id,
    clientSecret: idp.clients['portcullis-gateway'].secret,
    issuer: idp.issuer,
    audience: [idp.audience],
    claims: { attributes: { department: 'department', clearance: 'clearance' } },
    ...config,
  }), compileEnvFor(introspection, { outbound }));
  return (token: string) => compiled.authenticate!(fakeContext({ headers: { authorization: `Bearer ${token}` } }));
}

async function principalOf(outcome: AuthOutcome | Promise<AuthOutcome>): Promise<Principal> {
  const o = await outcome;
  assert.ok(o !== undefined && 'principal' in o, `expected a principal, got ${JSON.stringify(o && 'reason' in o ? o.reason : o)}`);
  return o.principal;
}

async function refusalOf(outcome: AuthOutcome | Promise<AuthOutcome>): Promise<[string, number]> {
  const o = await outcome;
  assert.ok(o !== undefined && 'reason' in o, `expected a refusal, got ${JSON.stringify(o)}`);
  return [o.reason, o.denial.status];
}

// --- the server -------------------------------------------------------------------------------

test('it serves an OpenID discovery document with the endpoints the gateway and the script use', async () => {
  const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as Record<string, unknown>;
  assert.equal(doc.issuer, idp.issuer);
  assert.equal(doc.jwks_uri, idp.jwksUri);
  assert.equal(doc.introspection_endpoint, idp.introspectionEndpoint);
  assert.equal(doc.token_endpoint, idp.tokenEndpoint);
  assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
  assert.ok((doc.grant_types_supported as string[]).includes('client_credentials'));
});

test('its JWKS publishes public keys only', async () => {
  const { keys } = await jwks();
  assert.equal(keys.length, 1);
  assert.equal(keys[0]!.kid, idp.currentKeyId());
  assert.equal(keys[0]!.d, undefined);
});

test('it refuses to listen anywhere but loopback (the dev login has no passwords)', async () => {
  await assert.rejects(startIdentityProvider({ host: '0.0.0.0' }), /loopback only/);
});

// --- Authorization Code + PKCE ----------------------------------------------------------------

for (const user of IDP_USERS.values()) {
  test(`${user.id}: the code + PKCE flow yields a JWT for the gateway with roles, department and clearance`, async () => {
    const token = await getUserToken(idp.issuer, user.id);
    const claims = await verify(token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.client_id, 'tasks-spa');
    assert.deepEqual(claims.roles, [...user.roles]);
    assert.equal(claims.department, user.department);
    assert.equal(claims.clearance, user.clearance);
    assert.equal(claims.scope, 'tasks:read tasks:write reports:read');
    assert.equal(decodeProtectedHeader(token).kid, idp.currentKeyId());
  });
}

test('an unknown user cannot sign in', async () => {
  await assert.rejects(getUserToken(idp.issuer, 'mallory'), (e: unknown) => e instanceof TokenFlowError && /unknown_user/.test(e.message));
});

test('an authorization request without a PKCE challenge is refused', async () => {
  const url = new URL(`${idp.issuer}/auth`);
  for (const [k, v] of Object.entries({ client_id: 'tasks-spa', response_type: 'code', redirect_uri: idp.clients['tasks-spa'].redirectUri, scope: 'openid' })) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  const location = new URL(res.headers.get('location') ?? '', idp.issuer);
  assert.equal(location.searchParams.get('error'), 'invalid_request');
  assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
});

test('the dev login cannot be driven without the interaction cookie of the flow', async () => {
  const res = await fetch(`${idp.issuer}/interaction/someone-elses-uid/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=alice', redirect: 'manual' });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: string }).error, 'interaction_expired');
});

// --- Client Credentials -----------------------------------------------------------------------

test('reporting-cli gets a JWT for the gateway through Client Credentials, with roles [service]', async () => {
  const claims = await verify(await getClientToken(idp.issuer, 'reporting-cli', idp.clients['reporting-cli'].secret));
  assert.equal(claims.sub, 'reporting-cli');
  assert.equal(claims.client_id, 'reporting-cli');
  assert.deepEqual(claims.roles, ['service']);
});

test('a wrong client secret is refused (invalid_client)', async () => {
  await assert.rejects(getClientToken(idp.issuer, 'reporting-cli', 'not-the-secret'), /invalid_client/);
});

// --- opaque tokens through the introspection policy -------------------------------------------

test('an opaque user token introspected by the policy becomes the user principal', async () => {
  const token = await getUserToken(idp.issuer, 'bob', { resource: idp.opaqueResource });
  assert.equal(token.split('.').length, 1, 'opaque, not a JWT');
  const { credentialId, ...principal } = await principalOf(gatewayIntrospection()(token));
  assert.deepEqual(principal, {
    id: 'bob',
    kind: 'user',
    roles: ['viewer'],
    scopes: ['tasks:read', 'tasks:write', 'reports:read'],
    attributes: { department: 'sales', clearance: 1, iss: idp.issuer, clientId: 'tasks-spa' },
    method: 'introspection',
  });
  assert.match(credentialId ?? '', /^sha256:/, 'named by a hash prefix, never the token');
});

test('an opaque Client Credentials token introspected by the policy is a service principal', async () => {
  const token = await getClientToken(idp.issuer, 'reporting-cli', idp.clients['reporting-cli'].secret, { resource: idp.opaqueResource });
  const p = await principalOf(gatewayIntrospection()(token));
  assert.deepEqual([p.id, p.kind, p.roles], ['reporting-cli', 'service', ['service']]);
});

test('a garbage token is inactive: 401', async () => {
  assert.deepEqual(await refusalOf(gatewayIntrospection()('not-a-token-this-idp-issued')), ['inactive', 401]);
});

test('a revoked token is inactive: 401 (once the cached result is gone)', async () => {
  const { id, secret } = idp.clients['reporting-cli'];
  const token = await getClientToken(idp.issuer, id, secret, { resource: idp.opaqueResource });
  const authenticate = gatewayIntrospection({ cacheTtlSec: 0 });
  await principalOf(authenticate(token));
  const res = await fetch(idp.revocationEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await refusalOf(authenticate(token)), ['inactive', 401]);
});

test('an expired token is inactive: 401', async () => {
  const token = await getUserToken(idp.issuer, 'carol', { resource: idp.opaqueResource });
  const real = Date.now;
  Date.now = () => real() + 2 * 3600_000; // past the one-hour lifetime, for the identity provider and the gateway
  try {
    assert.deepEqual(await refusalOf(gatewayIntrospection()(token)), ['inactive', 401]);
  } finally {
    Date.now = real;
  }
});

test('the gateway\'s introspection client cannot be used by anyone without its secret', async () => {
  const token = await getUserToken(idp.issuer, 'alice', { resource: idp.opaqueResource });
  assert.deepEqual(await refusalOf(gatewayIntrospection({ clientSecret: 'wrong' })(token)), ['introspection_client_rejected', 503]);
});

test('a JWT access token is not sent to introspection (left to the jwt policy)', async () => {
  assert.equal(await gatewayIntrospection()(await getUserToken(idp.issuer, 'alice')), undefined);
});

// --- key rotation -----------------------------------------------------------------------------

test('rotateKeys: the JWKS gains the new kid and keeps the old one; new tokens carry the new kid', async () => {
  const oldToken = await getUserToken(idp.issuer, 'alice');
  const oldKid = idp.currentKeyId();
  await idp.rotateKeys();
  const newKid = idp.currentKeyId();
  assert.notEqual(newKid, oldKid);
  assert.deepEqual((await jwks()).keys.map((k) => k.kid), [newKid, oldKid]);
  const newToken = await getUserToken(idp.issuer, 'alice');
  assert.equal(decodeProtectedHeader(newToken).kid, newKid);
  assert.equal((await verify(newToken)).sub, 'alice');
  assert.equal((await verify(oldToken)).sub, 'alice', 'tokens signed before the rotation still verify');
});

test('a second rotation retires the oldest key', async () => {
  const before = idp.currentKeyId();
  await idp.rotateKeys();
  assert.deepEqual((await jwks()).keys.map((k) => k.kid), [idp.currentKeyId(), before]);
});

test('rotation keeps opaque tokens and sessions: a token issued before it still introspects', async () => {
  const token = await getUserToken(idp.issuer, 'bob', { resource: idp.opaqueResource });
  await idp.rotateKeys();
  assert.equal((await principalOf(gatewayIntrospection()(token))).id, 'bob');
});

// --- persistence ------------------------------------------------------------------------------

test('with keysFile and secretsFile, keys and secrets persist (mode 0600) across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-idp-'));
  const options = { keysFile: join(dir, 'idp-keys.json'), secretsFile: join(dir, 'idp-clients.json'), signingAlg: 'ES256' as const };
  try {
    const first = await startIdentityProvider(options);
    const kid = first.currentKeyId();
    const secret = first.clients['reporting-cli'].secret;
    await first.close();
    assert.equal((await stat(options.keysFile)).mode & 0o777, 0o600);
    assert.equal((await stat(options.secretsFile)).mode & 0o777, 0o600);
    const second = await startIdentityProvider(options);
    try {
      assert.equal(second.currentKeyId(), kid);
      assert.equal(second.clients['reporting-cli'].secret, secret);
      assert.equal(decodeProtectedHeader(await getUserToken(second.issuer, 'alice')).alg, 'ES256');
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// --- npm run token ----------------------------------------------------------------------------

const TOKEN_SCRIPT = fileURLToPath(new URL('./token.ts', import.meta.url));

function runTokenScript(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', TOKEN_SCRIPT, ...args], { env: { ...process.env, PORTCULLIS_IDP_URL: idp.issuer }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

// Each run starts a node process: run them side by side.
describe('npm run token', { concurrency: true }, () => {
  test('npm run token -- alice prints only the access token', async () => {
    const { code, stdout, stderr } = await runTokenScript(['alice']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.equal((await verify(stdout.trim())).sub, 'alice');
  });

  test('npm run token -- --client reporting-cli --secret … prints a Client Credentials token', async () => {
    const { code, stdout, stderr } = await runTokenScript(['--client', 'reporting-cli', `--secret=${idp.clients['reporting-cli'].secret}`]);
    assert.equal(code, 0, stderr);
    assert.equal((await verify(stdout.trim())).sub, 'reporting-cli');
  });

  test('npm run token fails with one clear line on stderr, nothing on stdout, and exit 1', async () => {
    const { code, stdout, stderr } = await runTokenScript(['mallory']);
    assert.deepEqual([code, stdout], [1, '']);
    assert.match(stderr, /token: signing in as 'mallory' answered 400 instead of a redirect: unknown_user/);
  });
});
