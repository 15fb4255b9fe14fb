import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { CHANNELS, type AuditMessage } from '../../core/channels.js';
import type { ConfigPath } from '../../core/config-error.js';
import type { AuthOutcome, CompiledPolicy } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { createOutboundClient } from '../../outbound/client.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy from './index.js';
import { introspectionConfig, startFakeAuthorizationServer, type FakeAnswer, type FakeAuthorizationServer } from './test-helpers.js';

const CLIENT_ID = 'portcullis-gateway';
const SECRET = 'gateway-secret';
const OPAQUE = 'TL2aqi6ttX94vqweLx4SdNPPKTVm3szudPW03F6NXES';
const JWT_SHAPED = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const now = () => Math.floor(Date.now() / 1000);
const ALICE = () => ({ active: true, sub: 'alice', client_id: 'tasks-spa', roles: ['editor'], department: 'engineering', clearance: 2, scope: 'tasks:read tasks:write', iss: 'http://idp.test', aud: 'https://api.test', exp: now() + 600, token_type: 'Bearer' });

interface Harness {
  readonly as: FakeAuthorizationServer;
  readonly compiled: CompiledPolicy;
  readonly auth: (authorization: string | undefined) => AuthOutcome | Promise<AuthOutcome>;
  readonly warnings: Array<[ConfigPath, string]>;
}

async function withIntrospection(config: Record<string, unknown>, answer: ((token: string) => FakeAnswer) | undefined, body: (h: Harness) => Promise<void>): Promise<void> {
  const as = await startFakeAuthorizationServer();
  if (answer !== undefined) as.answer = answer;
  const warnings: Array<[ConfigPath, string]> = [];
  const compiled = policy.compile(
    introspectionConfig({ endpoint: as.endpoint, clientId: CLIENT_ID, clientSecret: SECRET, claims: { attributes: { department: 'department', clearance: 'clearance' } }, ...config }),
    compileEnvFor(policy, { outbound: as.outbound, warn: (path, message) => warnings.push([path, message]) }),
  );
  try {
    await body({ as, compiled, warnings, auth: (authorization) => compiled.authenticate!(fakeContext({ headers: authorization === undefined ? {} : { authorization } })) });
  } finally {
    await compiled.close?.();
    await as.close();
  }
}

async function principalOf(outcome: AuthOutcome | Promise<AuthOutcome>): Promise<Principal> {
  const o = await outcome;
  assert.ok(o !== undefined && 'principal' in o, `expected a principal, got ${JSON.stringify(o && 'reason' in o ? o.reason : o)}`);
  return o.principal;
}

async function refusalOf(outcome: AuthOutcome | Promise<AuthOutcome>): Promise<{ reason: string; code: string; status: number; headers: readonly string[] }> {
  const o = await outcome;
  assert.ok(o !== undefined && 'reason' in o, `expected a refusal, got ${JSON.stringify(o)}`);
  return { reason: o.reason, code: o.denial.code, status: o.denial.status, headers: o.denial.headers };
}

const bearer = (token: string) => `Bearer ${token}`;
const active = (extra: Record<string, unknown> = {}) => () => ({ body: { ...ALICE(), ...extra } });

// --- the credential ---------------------------------------------------------------------------

test('no Authorization header is no credential (undefined), and nothing is asked', () =>
  withIntrospection({}, active(), async ({ auth, as }) => {
    assert.equal(await auth(undefined), undefined);
    assert.equal(as.requests.length, 0);
  }));

test('another scheme is no credential of this kind', () =>
  withIntrospection({}, active(), async ({ auth, as }) => {
    assert.equal(await auth('Basic YWxpY2U6c2VjcmV0'), undefined);
    assert.equal(await auth(`Bearerx ${OPAQUE}`), undefined);
    assert.equal(as.requests.length, 0);
  }));

test('a Bearer header without a well-formed token is 401 invalid_token (malformed_token)', () =>
  withIntrospection({}, active(), async ({ auth, as }) => {
    assert.equal((await refusalOf(auth('Bearer'))).reason, 'malformed_token');
    assert.equal((await refusalOf(auth('Bearer a b'))).reason, 'malformed_token');
    assert.equal(as.requests.length, 0);
  }));

test('a token longer than maxTokenBytes is refused without asking the authorization server', () =>
  withIntrospection({ maxTokenBytes: 64 }, active(), async ({ auth, as }) => {
    assert.equal((await refusalOf(auth(bearer('a'.repeat(65))))).reason, 'token_too_large');
    assert.equal(as.requests.length, 0);
  }));

test('a JWT-shaped token is left to the jwt policy by default (undefined, no request)', () =>
  withIntrospection({}, active(), async ({ auth, as }) => {
    assert.equal(await auth(bearer(JWT_SHAPED)), undefined);
    assert.equal(as.requests.length, 0);
  }));

test('with onlyOpaque false a JWT-shaped token is introspected too', () =>
  withIntrospection({ onlyOpaque: false }, active(), async ({ auth, as }) => {
    assert.equal((await principalOf(auth(bearer(JWT_SHAPED)))).id, 'alice');
    assert.equal(as.requests.length, 1);
  }));

test('an issuer that does not fit in a quoted-string is not used as the realm', () =>
  withIntrospection({ issuer: 'http://idp.test/"x' }, active(), ({ compiled }) => Promise.resolve(assert.equal(compiled.challenge, 'Bearer realm="api"'))));

test('the challenge is Bearer with the realm (default api, else the issuer)', async () => {
  await withIntrospection({}, active(), ({ compiled }) => Promise.resolve(assert.equal(compiled.challenge, 'Bearer realm="api"')));
  await withIntrospection({ issuer: 'http://idp.test' }, active(), ({ compiled }) => Promise.resolve(assert.equal(compiled.challenge, 'Bearer realm="http://idp.test"')));
});

// --- the request ------------------------------------------------------------------------------

test('the request is an RFC 7662 POST with HTTP Basic client authentication', () =>
  withIntrospection({ clientId: 'gate way', clientSecret: 'p@ss:wörd' }, active(), async ({ auth, as }) => {
    await principalOf(auth(bearer(OPAQUE)));
    const seen = as.requests[0]!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/introspect');
    assert.equal(seen.headers['content-type'], 'application/x-www-form-urlencoded');
    // RFC 6749 §2.3.1: id and secret form-urlencoded, then base64.
    assert.equal(seen.headers.authorization, `Basic ${Buffer.from('gate+way:p%40ss%3Aw%C3%B6rd').toString('base64')}`);
    const form = new URLSearchParams(seen.body);
    assert.equal(form.get('token'), OPAQUE);
    assert.equal(form.get('token_type_hint'), 'access_token');
  }));

test('the client secret can come from an environment variable', async () => {
  process.env.TEST_INTROSPECTION_SECRET = 'from-env';
  try {
    await withIntrospection({ clientSecret: undefined, clientSecretEnv: 'TEST_INTROSPECTION_SECRET' }, active(), async ({ auth, as, warnings }) => {
      await principalOf(auth(bearer(OPAQUE)));
      assert.equal(as.requests[0]!.headers.authorization, `Basic ${Buffer.from(`${CLIENT_ID}:from-env`).toString('base64')}`);
      assert.deepEqual(warnings, []);
    });
  } finally {
    delete process.env.TEST_INTROSPECTION_SECRET;
  }
});

// --- answers ----------------------------------------------------------------------------------

test('an active token becomes the principal: sub, roles, scopes, mapped attributes', () =>
  withIntrospection({}, active(), async ({ auth }) => {
    const p = await principalOf(auth(bearer(OPAQUE)));
    assert.deepEqual(p, {
      id: 'alice',
      kind: 'user',
      roles: ['editor'],
      scopes: ['tasks:read', 'tasks:write'],
      attributes: { department: 'engineering', clearance: 2, iss: 'http://idp.test', clientId: 'tasks-spa' },
      method: 'introspection',
      credentialId: `sha256:${createHash('sha256').update(OPAQUE).digest('base64url').slice(0, 16)}`,
    });
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.roles) && Object.isFrozen(p.attributes));
  }));

test('the answer\'s jti names the credential (for the audit trail), unless it is the token itself', async () => {
  await withIntrospection({}, active({ jti: 'jti-42' }), async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(OPAQUE)))).credentialId, 'jti-42');
  });
  await withIntrospection({}, active({ jti: OPAQUE }), async ({ auth }) => {
    assert.match((await principalOf(auth(bearer(OPAQUE)))).credentialId ?? '', /^sha256:[\w-]{16}$/);
  });
});

test('a Client Credentials answer without sub is a service principal named by client_id', () =>
  withIntrospection({}, () => ({ body: { active: true, client_id: 'reporting-cli', roles: ['service'], exp: now() + 60 } }), async ({ auth }) => {
    const p = await principalOf(auth(bearer(OPAQUE)));
    assert.equal(p.id, 'reporting-cli');
    assert.equal(p.kind, 'service');
    assert.deepEqual(p.roles, ['service']);
  }));

test('an answer naming nobody (no sub, no client_id) is refused (missing_claim)', () =>
  withIntrospection({}, () => ({ body: { active: true } }), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'missing_claim');
  }));

test('active: false is 401 invalid_token (inactive) with an RFC 6750 challenge', () =>
  withIntrospection({}, undefined, async ({ auth }) => {
    const r = await refusalOf(auth(bearer(OPAQUE)));
    assert.deepEqual(r, { reason: 'inactive', code: 'authenticate.invalid_token', status: 401, headers: ['www-authenticate', 'Bearer realm="api", error="invalid_token"'] });
  }));

test('an active answer whose exp has passed is refused (token_expired)', () =>
  withIntrospection({}, active({ exp: now() - 120 }), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'token_expired');
  }));

test('an active answer with nbf in the future is refused (token_not_yet_valid)', () =>
  withIntrospection({}, active({ nbf: now() + 120 }), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'token_not_yet_valid');
  }));

test('audience: an answer for another audience is refused (wrong_audience)', () =>
  withIntrospection({ audience: ['https://other.test'] }, active(), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'wrong_audience');
  }));

test('audience: one match in an aud array is enough', () =>
  withIntrospection({ audience: ['https://api.test'] }, active({ aud: ['https://x.test', 'https://api.test'] }), async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(OPAQUE)))).id, 'alice');
  }));

test('issuer: an answer from another issuer is refused (wrong_issuer)', () =>
  withIntrospection({ issuer: 'http://evil.test' }, active(), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'wrong_issuer');
  }));

test('a sender-constrained token (cnf, or a DPoP token type) is refused as a bearer token', async () => {
  await withIntrospection({}, active({ cnf: { jkt: 'abc' } }), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'sender_constrained_token');
  });
  await withIntrospection({}, active({ token_type: 'DPoP' }), async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'sender_constrained_token');
  });
});

// --- malformed answers and failures: closed by default --------------------------------------

for (const [name, answer, reason] of [
  ['a body that is not JSON', { body: '{"active": tru' }, 'introspection_invalid_response'],
  ['a JSON array', { body: [true] }, 'introspection_invalid_response'],
  ['active as a string', { body: { active: 'true', sub: 'alice' } }, 'introspection_invalid_response'],
  ['no active member', { body: { sub: 'alice' } }, 'introspection_invalid_response'],
  ['exp as a string', { body: { active: true, sub: 'alice', exp: '9999999999' } }, 'introspection_invalid_response'],
  ['an HTML page', { contentType: 'text/html', body: '<h1>{"active":true}</h1>' }, 'introspection_invalid_response'],
  ['a streamed body over maxResponseBytes', { chunked: true, body: { active: true, sub: 'alice', pad: 'x'.repeat(2000) } }, 'introspection_invalid_response'],
  ['a 500', { status: 500, body: { error: 'server_error' } }, 'introspection_unavailable'],
  ['a 401 (the gateway\'s credentials refused)', { status: 401, body: { error: 'invalid_client' } }, 'introspection_client_rejected'],
] as const) {
  test(`${name} is 503 authenticate.unavailable (${reason}), never a principal`, () =>
    withIntrospection({ maxResponseBytes: 1024 }, () => answer, async ({ auth }) => {
      const r = await refusalOf(auth(bearer(OPAQUE)));
      assert.deepEqual([r.reason, r.code, r.status], [reason, 'authenticate.unavailable', 503]);
    }));
}

test('an authorization server that does not answer within timeoutMs is 503 (introspection_unavailable)', () =>
  withIntrospection({ timeoutMs: 100 }, () => ({ body: ALICE(), delayMs: 2000 }), async ({ auth }) => {
    const started = performance.now();
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'introspection_unavailable');
    assert.ok(performance.now() - started < 1500);
  }));

test('an unreachable authorization server is 503 (introspection_unavailable)', async () => {
  const port = await closedPort();
  const outbound = createOutboundClient({ timeoutMs: 1000, maxResponseBytes: 65536, allow: [`http://127.0.0.1:${port}`] });
  const compiled = policy.compile(introspectionConfig({ endpoint: `http://127.0.0.1:${port}/introspect`, clientId: CLIENT_ID, clientSecret: SECRET }), compileEnvFor(policy, { outbound }));
  try {
    const r = await refusalOf(compiled.authenticate!(fakeContext({ headers: { authorization: bearer(OPAQUE) } })));
    assert.deepEqual([r.reason, r.status], ['introspection_unavailable', 503]);
  } finally {
    await outbound.close();
  }
});

test('failures are not cached: the next request asks again', () =>
  withIntrospection({}, () => ({ status: 503, body: {} }), async ({ auth, as }) => {
    await refusalOf(auth(bearer(OPAQUE)));
    await refusalOf(auth(bearer(OPAQUE)));
    assert.equal(as.requests.length, 2);
  }));

test('failureMode open: a failure is no credential (undefined) and an audit event, never a principal', () =>
  withIntrospection({ failureMode: 'open' }, () => ({ status: 500, body: {} }), async ({ auth }) => {
    const events: AuditMessage[] = [];
    const listener = (m: unknown) => events.push(m as AuditMessage);
    diagnostics.subscribe(CHANNELS.audit, listener);
    try {
      assert.equal(await auth(bearer(OPAQUE)), undefined);
    } finally {
      diagnostics.unsubscribe(CHANNELS.audit, listener);
    }
    assert.deepEqual(events.map((e) => [e.method, e.outcome, e.reason]), [['introspection', 'failure', 'introspection_unavailable_fail_open']]);
  }));

test('failureMode open still refuses an inactive token with 401', () =>
  withIntrospection({ failureMode: 'open' }, undefined, async ({ auth }) => {
    assert.equal((await refusalOf(auth(bearer(OPAQUE)))).reason, 'inactive');
  }));

// --- cache and coalescing ---------------------------------------------------------------------

test('an active result is cached: the second request does not reach the authorization server', () =>
  withIntrospection({}, active(), async ({ auth, as }) => {
    const first = await principalOf(auth(bearer(OPAQUE)));
    const second = auth(bearer(OPAQUE));
    assert.ok(!(second instanceof Promise), 'a cache hit answers synchronously');
    assert.equal(await principalOf(second), first);
    assert.equal(as.requests.length, 1);
  }));

test('the cache is keyed by token: another token is introspected on its own', () =>
  withIntrospection({}, (token) => (token === OPAQUE ? { body: ALICE() } : { body: { active: false } }), async ({ auth, as }) => {
    assert.equal((await principalOf(auth(bearer(OPAQUE)))).id, 'alice');
    assert.equal((await refusalOf(auth(bearer(`${OPAQUE}x`)))).reason, 'inactive');
    assert.equal(as.requests.length, 2);
  }));

test('a cached result expires after cacheTtlSec', () =>
  withIntrospection({ cacheTtlSec: 60 }, active(), async ({ auth, as }) => {
    await principalOf(auth(bearer(OPAQUE)));
    const later = shiftClock(61_000, () => auth(bearer(OPAQUE)));
    await principalOf(later);
    assert.equal(as.requests.length, 2);
  }));

test('a cached result never outlives the token\'s exp, even with a longer cacheTtlSec', async () => {
  const exp = now() + 5;
  let asked = 0;
  // Active until asked again (after exp), as a real authorization server would be.
  await withIntrospection({ cacheTtlSec: 3600 }, () => (++asked === 1 ? { body: { ...ALICE(), exp } } : { body: { active: false } }), async ({ auth, as }) => {
    await principalOf(auth(bearer(OPAQUE)));
    await principalOf(shiftClock(2_000, () => auth(bearer(OPAQUE))));
    assert.equal(as.requests.length, 1, 'still cached before exp');
    assert.equal((await refusalOf(shiftClock(10_000, () => auth(bearer(OPAQUE))))).reason, 'inactive');
    assert.equal(as.requests.length, 2, 'asked again after exp');
  });
});

test('cacheTtlSec 0 introspects every request', () =>
  withIntrospection({ cacheTtlSec: 0 }, active(), async ({ auth, as }) => {
    await principalOf(auth(bearer(OPAQUE)));
    await principalOf(auth(bearer(OPAQUE)));
    assert.equal(as.requests.length, 2);
  }));

test('an inactive result is cached for negativeCacheTtlSec, then asked again', () =>
  withIntrospection({ negativeCacheTtlSec: 5 }, undefined, async ({ auth, as }) => {
    await refusalOf(auth(bearer(OPAQUE)));
    await refusalOf(auth(bearer(OPAQUE)));
    assert.equal(as.requests.length, 1);
    await refusalOf(shiftClock(6_000, () => auth(bearer(OPAQUE))));
    assert.equal(as.requests.length, 2);
  }));

test('negativeCacheTtlSec 0 caches no inactive result', () =>
  withIntrospection({ negativeCacheTtlSec: 0 }, undefined, async ({ auth, as }) => {
    await refusalOf(auth(bearer(OPAQUE)));
    await refusalOf(auth(bearer(OPAQUE)));
    assert.equal(as.requests.length, 2);
  }));

test('the cache holds at most cacheMaxEntries results, dropping the oldest', () =>
  withIntrospection({ cacheMaxEntries: 2 }, active(), async ({ auth, as }) => {
    for (const t of ['t1', 't2', 't3']) await principalOf(auth(bearer(t)));
    await principalOf(auth(bearer('t3')));
    assert.equal(as.requests.length, 3, 't3 cached');
    await principalOf(auth(bearer('t1')));
    assert.equal(as.requests.length, 4, 't1 evicted');
  }));

test('concurrent requests with the same token share one introspection', () =>
  withIntrospection({}, () => ({ body: ALICE(), delayMs: 50 }), async ({ auth, as }) => {
    const results = await Promise.all(Array.from({ length: 10 }, () => principalOf(auth(bearer(OPAQUE)))));
    assert.equal(as.requests.length, 1);
    assert.ok(results.every((p) => p.id === 'alice'));
  }));

test('concurrent requests share a failure too, and the next request asks again', () =>
  withIntrospection({}, () => ({ status: 500, body: {}, delayMs: 50 }), async ({ auth, as }) => {
    const results = await Promise.all(Array.from({ length: 5 }, () => refusalOf(auth(bearer(OPAQUE)))));
    assert.ok(results.every((r) => r.reason === 'introspection_unavailable'));
    assert.equal(as.requests.length, 1);
    await refusalOf(auth(bearer(OPAQUE)));
    assert.equal(as.requests.length, 2);
  }));

// --- configuration ----------------------------------------------------------------------------

test('denials are built once: two refusals share one object', () =>
  withIntrospection({ negativeCacheTtlSec: 0 }, undefined, async ({ auth }) => {
    const a = await auth(bearer('a1'));
    const b = await auth(bearer('b2'));
    assert.ok(a !== undefined && b !== undefined && 'denial' in a && 'denial' in b);
    assert.equal(a.denial, b.denial);
  }));

test('the policy declares no codes of its own: it answers with the shared authenticate codes', () => {
  assert.deepEqual(policy.errors, {});
  assert.equal(policy.phase, 'authenticate');
});

test('the Authorization header is a credential header (never forwarded)', () =>
  withIntrospection({}, active(), ({ compiled }) => Promise.resolve(assert.deepEqual(compiled.credentialHeaders, ['authorization']))));

/** Runs `fn` with Date.now() moved forward by `ms`, restoring it before anything else runs. */
function shiftClock<T>(ms: number, fn: () => T): T {
  const real = Date.now;
  Date.now = () => real() + ms;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
