import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportSPKI, SignJWT } from 'jose';
import type { AuthOutcome, CompiledPolicy } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import policy from './index.js';
import { createJwtAuthenticator, type JwtInternals } from './verifier.js';
import { AUDIENCE, b64, fakeClock, ISSUER, jwtConfig, sign, signingKey, signRaw, startIdp, unsigned, type FakeIdp, type SigningKey } from './test-helpers.js';

const rs = await signingKey('RS256', 'rs-1');
const rsNext = await signingKey('RS256', 'rs-2');
const ps = await signingKey('PS256', 'ps-1');
const es = await signingKey('ES256', 'es-1');
const ed = await signingKey('EdDSA', 'ed-1');
const stranger = await signingKey('RS256', 'rs-1'); // same kid as rs, another key

interface Harness {
  readonly idp: FakeIdp;
  readonly compiled: CompiledPolicy;
  /** Runs authenticate with this Authorization header value (undefined: none). */
  readonly auth: (authorization: string | undefined) => AuthOutcome | Promise<AuthOutcome>;
}

/** Starts an IdP with `keys`, compiles the policy against it (ready() awaited unless told), runs `body`, cleans up. */
async function withJwt(
  options: { keys?: readonly SigningKey[]; config?: Record<string, unknown>; ready?: boolean; internals?: JwtInternals },
  body: (h: Harness) => void | Promise<void>,
): Promise<void> {
  const idp = await startIdp((options.keys ?? [rs, es, ed, ps]).map((k) => k.jwk));
  const config = jwtConfig({ issuer: ISSUER, audience: AUDIENCE, jwksUri: idp.jwksUri, ...options.config });
  const compiled = createJwtAuthenticator(config, compileEnvFor(policy, { outbound: idp.outbound }), options.internals);
  try {
    if (options.ready !== false) await compiled.ready!();
    await body({
      idp,
      compiled,
      auth: (authorization) => compiled.authenticate!(fakeContext({ headers: authorization === undefined ? {} : { authorization } })),
    });
  } finally {
    await compiled.close?.();
    await idp.close();
  }
}

async function principalOf(outcome: AuthOutcome | Promise<AuthOutcome>): Promise<Principal> {
  const o = await outcome;
  assert.ok(o !== undefined && 'principal' in o, `expected a principal, got ${JSON.stringify(o && 'reason' in o ? o.reason : o)}`);
  return o.principal;
}

async function reasonOf(outcome: AuthOutcome | Promise<AuthOutcome>): Promise<string> {
  const o = await outcome;
  assert.ok(o !== undefined && 'reason' in o, 'expected a refusal');
  return o.reason;
}

const bearer = (token: string) => `Bearer ${token}`;

// --- the credential ---------------------------------------------------------------------------

test('no Authorization header is no credential (undefined)', () =>
  withJwt({}, async ({ auth }) => {
    assert.equal(await auth(undefined), undefined);
  }));

test('another scheme is no credential of this kind (undefined)', () =>
  withJwt({}, async ({ auth }) => {
    assert.equal(await auth('Basic YWxpY2U6c2VjcmV0'), undefined);
  }));

test('a scheme that only starts with Bearer is not Bearer', () =>
  withJwt({}, async ({ auth }) => {
    assert.equal(await auth(`Bearerx ${await sign(rs)}`), undefined);
  }));

test('the Bearer scheme is case-insensitive', async () => {
  const token = await sign(rs);
  await withJwt({}, async ({ auth }) => {
    assert.equal((await principalOf(auth(`bEaReR ${token}`))).id, 'alice');
  });
});

test('Bearer without a token is malformed', () =>
  withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth('Bearer')), 'malformed');
  }));

test('a token in another header is not read', async () => {
  const token = await sign(rs);
  await withJwt({}, async ({ compiled }) => {
    assert.equal(await compiled.authenticate!(fakeContext({ headers: { 'x-access-token': bearer(token) } })), undefined);
  });
});

test('a configured header is read instead of Authorization', async () => {
  const token = await sign(rs);
  await withJwt({ config: { header: 'X-Access-Token' } }, async ({ compiled }) => {
    assert.equal((await principalOf(compiled.authenticate!(fakeContext({ headers: { 'x-access-token': bearer(token) } })))).id, 'alice');
  });
});

// --- accepted ---------------------------------------------------------------------------------

for (const key of [rs, es, ed, ps]) {
  test(`a valid ${key.alg} token is accepted`, async () => {
    const token = await sign(key);
    await withJwt({}, async ({ auth }) => {
      const principal = await principalOf(auth(bearer(token)));
      assert.equal(principal.id, 'alice');
      assert.equal(principal.method, 'jwt');
    });
  });
}

test('an expired token within the clock tolerance is accepted', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec - 100, exp: nowSec - 10 } });
  await withJwt({}, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

test('a token without kid is accepted when exactly one key fits its alg', async () => {
  const token = await sign(es, { header: { kid: undefined } });
  await withJwt({}, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

test('one of several configured audiences is enough', async () => {
  const token = await sign(rs, { claims: { aud: ['other', 'reports-api'] } });
  await withJwt({ config: { audience: ['tasks-api', 'reports-api'] } }, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

// --- refused, with the exact reason -----------------------------------------------------------

test('a value that is not a JWS is malformed', () =>
  withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth('Bearer not-a-jwt')), 'malformed');
  }));

test('a header that is not JSON is malformed', () =>
  withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(`${b64('{alg:')}.${b64('{}')}.c2ln`))), 'malformed');
  }));

test('a signed payload that is not JSON is malformed', async () => {
  const token = await signRaw(rs, { alg: 'RS256', kid: 'rs-1' }, 'not json');
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'malformed');
  });
});

test('a token signed by another key with a known kid has a bad signature', async () => {
  const token = await sign(stranger);
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'bad_signature');
  });
});

test('a token whose payload was altered after signing has a bad signature', async () => {
  const [h, , s] = (await sign(rs)).split('.');
  const nowSec = Math.floor(Date.now() / 1000);
  const forged = b64(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', iat: nowSec, exp: nowSec + 3600 }));
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(`${h}.${forged}.${s}`))), 'bad_signature');
  });
});

for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
  test(`alg "${alg}" is refused (alg_not_allowed) without any outbound request`, () =>
    withJwt({}, async ({ auth, idp }) => {
      const before = idp.requests.length;
      assert.equal(await reasonOf(auth(bearer(unsigned({ alg, kid: 'rs-1' })))), 'alg_not_allowed');
      assert.equal(idp.requests.length, before);
    }));
}

test('HS256 signed with the RSA public key\'s PEM as the secret is refused (alg_not_allowed)', async () => {
  const pem = await exportSPKI(rs.publicKey);
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: nowSec, exp: nowSec + 3600 })
    .setProtectedHeader({ alg: 'HS256', kid: 'rs-1' })
    .sign(new TextEncoder().encode(pem));
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'alg_not_allowed');
  });
});

test('an allowed algorithm that is not in this policy\'s list is refused', async () => {
  const token = await sign(es);
  await withJwt({ config: { algorithms: ['RS256'] } }, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'alg_not_allowed');
  });
});

test('a kid of an RSA key on an ES256 token is a key_alg_mismatch', async () => {
  const token = await sign(es, { header: { kid: 'rs-1' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'key_alg_mismatch');
  });
});

test('a token without kid is refused when several keys fit its alg (ambiguous_key)', async () => {
  const token = await sign(rs, { header: { kid: undefined } });
  await withJwt({ keys: [rs, rsNext] }, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'ambiguous_key');
  });
});

test('a wrong issuer is refused (wrong_issuer)', async () => {
  const token = await sign(rs, { claims: { iss: 'https://evil.test' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'wrong_issuer');
  });
});

test('a wrong audience is refused (wrong_audience)', async () => {
  const token = await sign(rs, { claims: { aud: 'billing-api' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'wrong_audience');
  });
});

test('an expired token is refused (token_expired)', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec - 7200, exp: nowSec - 3600 } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'token_expired');
  });
});

test('an expired token just past the clock tolerance is refused', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec - 100, exp: nowSec - 31 } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'token_expired');
  });
});

test('a token whose nbf is in the future is refused (not_yet_valid)', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await sign(rs, { claims: { nbf: nowSec + 600 } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'not_yet_valid');
  });
});

test('a token issued in the future is refused (not_yet_valid)', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec + 600 } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'not_yet_valid');
  });
});

test('a token without exp is refused (missing_claim)', async () => {
  const token = await sign(rs, { claims: { exp: undefined } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'missing_claim');
  });
});

test('a token with a non-numeric exp is malformed', async () => {
  const token = await sign(rs, { claims: { exp: 'tomorrow' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'malformed');
  });
});

test('a token without the subject claim is refused (missing_claim)', async () => {
  const token = await sign(rs, { claims: { sub: undefined } });
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'missing_claim');
  });
});

test('a token without a configured required claim is refused (missing_claim)', async () => {
  const token = await sign(rs);
  await withJwt({ config: { requiredClaims: ['jti'] } }, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'missing_claim');
  });
});

test('a token older than maxTokenAgeSec is refused (token_too_old)', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec - 700 } });
  await withJwt({ config: { maxTokenAgeSec: 600, clockToleranceSec: 0 } }, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'token_too_old');
  });
});

test('a token with another typ than the configured one is refused (wrong_type)', async () => {
  const token = await sign(rs, { header: { typ: 'JWT' } });
  await withJwt({ config: { typ: 'at+jwt' } }, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'wrong_type');
  });
});

test('a token with an unrecognised crit extension is refused (unsupported_crit)', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const claims = JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: nowSec, exp: nowSec + 600 });
  const token = await signRaw(rs, { alg: 'RS256', kid: 'rs-1', crit: ['exp-policy'], 'exp-policy': 1 }, claims);
  await withJwt({}, async ({ auth }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'unsupported_crit');
  });
});

test('an embedded jwk header is refused (forbidden_header) and never used', async () => {
  const token = await sign(stranger, { header: { kid: undefined, jwk: stranger.jwk } });
  await withJwt({}, async ({ auth, idp }) => {
    const before = idp.requests.length;
    assert.equal(await reasonOf(auth(bearer(token))), 'forbidden_header');
    assert.equal(idp.requests.length, before);
  });
});

test('a jku pointing at the loopback JWKS server is refused (forbidden_header) and never fetched', () =>
  withJwt({}, async ({ auth, idp }) => {
    const token = await sign(rs, { header: { kid: 'attacker', jku: idp.jwksUri } });
    const before = idp.requests.length;
    assert.equal(await reasonOf(auth(bearer(token))), 'forbidden_header');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(idp.requests.length, before);
  }));

for (const name of ['x5u', 'x5c']) {
  test(`an ${name} header is refused (forbidden_header)`, async () => {
    const token = await sign(rs, { header: { [name]: name === 'x5u' ? 'https://evil.test/cert.pem' : ['MIIB'] } });
    await withJwt({}, async ({ auth }) => {
      assert.equal(await reasonOf(auth(bearer(token))), 'forbidden_header');
    });
  });
}

test('a 64 KiB token is refused (token_too_large) before it is parsed', () =>
  withJwt({}, async ({ auth, idp }) => {
    const before = idp.requests.length;
    // Not even a JWS: a parser would call it malformed; the size cap answers first.
    const outcome = auth(bearer('!'.repeat(65_536)));
    assert.ok(!(outcome instanceof Promise), 'refused synchronously');
    assert.equal(await reasonOf(outcome), 'token_too_large');
    assert.equal(idp.requests.length, before);
  }));

test('a token of exactly maxTokenBytes is not refused for its size', async () => {
  const token = await sign(rs, { claims: { pad: '' } });
  await withJwt({ config: { maxTokenBytes: token.length } }, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

// --- the client's view ------------------------------------------------------------------------

test('a refusal is 401 authenticate.invalid_token with an RFC 6750 challenge naming the issuer as realm', () =>
  withJwt({}, async ({ auth }) => {
    const o = await auth('Bearer x.y.z');
    assert.ok(o !== undefined && 'denial' in o);
    assert.equal(o.denial.code, 'authenticate.invalid_token');
    assert.equal(o.denial.status, 401);
    assert.deepEqual(o.denial.headers, ['www-authenticate', `Bearer realm="${ISSUER}", error="invalid_token"`]);
  }));

test('the denial does not say which check failed', async () => {
  const expired = await sign(rs, { claims: { exp: 1 } });
  const wrongAud = await sign(rs, { claims: { aud: 'x' } });
  await withJwt({}, async ({ auth }) => {
    const a = await auth(bearer(expired));
    const b = await auth(bearer(wrongAud));
    assert.ok(a !== undefined && 'denial' in a && b !== undefined && 'denial' in b);
    assert.equal(a.denial, b.denial);
    assert.doesNotMatch(a.denial.bodyPrefix, /expired|audience|exp|aud/i);
  });
});

test('a configured realm is used in the challenge', () =>
  withJwt({ config: { realm: 'tasks' } }, ({ compiled }) => {
    assert.equal(compiled.challenge, 'Bearer realm="tasks"');
  }));

test('the challenge names the issuer as realm by default', () =>
  withJwt({}, ({ compiled }) => {
    assert.equal(compiled.challenge, `Bearer realm="${ISSUER}"`);
  }));

// --- the key set ------------------------------------------------------------------------------

test('an unknown kid causes exactly one refetch, then unknown_kid', async () => {
  const token = await sign(rs, { header: { kid: 'rs-unknown' } });
  await withJwt({}, async ({ auth, idp }) => {
    assert.equal(idp.requests.length, 1);
    assert.equal(await reasonOf(auth(bearer(token))), 'unknown_kid');
    assert.equal(idp.requests.length, 2);
  });
});

test('a second unknown kid within the cooldown causes no refetch', async () => {
  const first = await sign(rs, { header: { kid: 'unknown-1' } });
  const second = await sign(rs, { header: { kid: 'unknown-2' } });
  await withJwt({}, async ({ auth, idp }) => {
    await auth(bearer(first));
    const outcome = auth(bearer(second));
    assert.ok(!(outcome instanceof Promise), 'refused without waiting for the IdP');
    assert.equal(await reasonOf(outcome), 'unknown_kid');
    assert.equal(idp.requests.length, 2);
  });
});

test('concurrent tokens with unknown kids share one refetch', async () => {
  const tokens = await Promise.all(['a', 'b', 'c', 'd'].map((kid) => sign(rs, { header: { kid } })));
  await withJwt({}, async ({ auth, idp }) => {
    const reasons = await Promise.all(tokens.map((t) => reasonOf(auth(bearer(t)))));
    assert.deepEqual(reasons, ['unknown_kid', 'unknown_kid', 'unknown_kid', 'unknown_kid']);
    assert.equal(idp.requests.length, 2);
  });
});

test('JWKS rotation: a token signed with the new key is accepted without a restart', async () => {
  const token = await sign(rsNext);
  await withJwt({ keys: [rs] }, async ({ auth, idp }) => {
    idp.setKeys([rsNext.jwk]);
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
    assert.equal(idp.requests.length, 2);
  });
});

test('a token refused for an unknown kid is accepted once the key is published (refusals are not cached)', async () => {
  const clock = fakeClock();
  const token = await sign(rsNext, { now: clock.now() });
  await withJwt({ keys: [rs], internals: { now: clock.now } }, async ({ auth, idp }) => {
    assert.equal(await reasonOf(auth(bearer(token))), 'unknown_kid');
    idp.setKeys([rs.jwk, rsNext.jwk]);
    clock.advance(30_000);
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

test('without ready(), the first request fetches the key set', async () => {
  const token = await sign(rs);
  await withJwt({ ready: false }, async ({ auth, idp }) => {
    assert.equal(idp.requests.length, 0);
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
    assert.equal(idp.requests.length, 1);
  });
});

test('the IdP down after the first fetch: cached keys are still used', async () => {
  const clock = fakeClock();
  const token = await sign(rs, { now: clock.now() + 3_000_000 });
  await withJwt({ internals: { now: clock.now }, config: { cache: { maxEntries: 0 } } }, async ({ auth, idp }) => {
    idp.setDown(true);
    clock.advance(3_000_000);
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

test('beyond maxStaleSec without a successful fetch, tokens are refused with 503 (jwks_unavailable)', async () => {
  const clock = fakeClock();
  const token = await sign(rs, { now: clock.now() + 3_601_000 });
  await withJwt({ internals: { now: clock.now } }, async ({ auth, idp }) => {
    idp.setDown(true);
    clock.advance(3_601_000);
    const o = await auth(bearer(token));
    assert.ok(o !== undefined && 'denial' in o);
    assert.equal(o.reason, 'jwks_unavailable');
    assert.equal(o.denial.code, 'authenticate.unavailable');
    assert.equal(o.denial.status, 503);
  });
});

test('once the IdP is back, the next request after the cooldown recovers', async () => {
  const clock = fakeClock();
  const token = await sign(rs, { now: clock.now() + 3_631_000 });
  await withJwt({ internals: { now: clock.now } }, async ({ auth, idp }) => {
    idp.setDown(true);
    clock.advance(3_601_000);
    assert.equal(await reasonOf(auth(bearer(token))), 'jwks_unavailable');
    idp.setDown(false);
    clock.advance(30_000);
    assert.equal((await principalOf(auth(bearer(token)))).id, 'alice');
  });
});

test('while the key set is unusable, requests within the cooldown make no request', async () => {
  const clock = fakeClock();
  const token = await sign(rs, { now: clock.now() + 3_601_000 });
  await withJwt({ internals: { now: clock.now } }, async ({ auth, idp }) => {
    idp.setDown(true);
    clock.advance(3_601_000);
    await auth(bearer(token));
    const count = idp.requests.length;
    const outcome = auth(bearer(token));
    assert.ok(!(outcome instanceof Promise));
    assert.equal(await reasonOf(outcome), 'jwks_unavailable');
    assert.equal(idp.requests.length, count);
  });
});

test('discovery: the key set is found through the OpenID configuration', async () => {
  const idp = await startIdp([rs.jwk]);
  try {
    const config = jwtConfig({ issuer: idp.origin, audience: AUDIENCE, discovery: true });
    const compiled = policy.compile(config, compileEnvFor(policy, { outbound: idp.outbound }));
    await compiled.ready!();
    const token = await sign(rs, { claims: { iss: idp.origin } });
    assert.equal((await principalOf(compiled.authenticate!(fakeContext({ headers: { authorization: bearer(token) } })))).id, 'alice');
    assert.deepEqual(idp.requests, ['/.well-known/openid-configuration', '/jwks.json']);
    await compiled.close?.();
  } finally {
    await idp.close();
  }
});

test('compile() makes no outbound request (portcullis check)', async () => {
  const idp = await startIdp([rs.jwk]);
  try {
    const compiled = policy.compile(jwtConfig({ issuer: ISSUER, audience: AUDIENCE, jwksUri: idp.jwksUri }), compileEnvFor(policy, { outbound: idp.outbound }));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(idp.requests.length, 0);
    await compiled.close?.();
  } finally {
    await idp.close();
  }
});

// --- the shared secret --------------------------------------------------------------------------

const SECRET = 'a-test-secret-that-is-long-enough-32b';

async function hsToken(secret: string, claims: Record<string, unknown> = {}): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'svc', iat: nowSec, exp: nowSec + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

function secretPolicy(): CompiledPolicy {
  return policy.compile(jwtConfig({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, algorithms: ['HS256'] }), compileEnvFor(policy));
}

test('HS256 with the configured secret is accepted', async () => {
  const compiled = secretPolicy();
  assert.equal((await principalOf(compiled.authenticate!(fakeContext({ headers: { authorization: bearer(await hsToken(SECRET)) } })))).id, 'svc');
});

test('HS256 is verified synchronously, without ready()', async () => {
  const compiled = secretPolicy();
  const outcome = compiled.authenticate!(fakeContext({ headers: { authorization: bearer(await hsToken(SECRET)) } }));
  assert.ok(!(outcome instanceof Promise), 'answered synchronously');
  assert.equal((await principalOf(outcome)).id, 'svc');
});

test('HS256 with another secret has a bad signature', async () => {
  const compiled = secretPolicy();
  assert.equal(await reasonOf(compiled.authenticate!(fakeContext({ headers: { authorization: bearer(await hsToken(`${SECRET}-other`)) } }))), 'bad_signature');
});

test('an RS256 token is refused when only a secret is configured', async () => {
  const compiled = secretPolicy();
  assert.equal(await reasonOf(compiled.authenticate!(fakeContext({ headers: { authorization: bearer(await sign(rs)) } }))), 'alg_not_allowed');
});

// --- the principal ------------------------------------------------------------------------------

test('roles are read from a dotted path', async () => {
  const token = await sign(rs, { claims: { realm_access: { roles: ['editor', 'viewer'] } } });
  await withJwt({ config: { claims: { roles: 'realm_access.roles' } } }, async ({ auth }) => {
    assert.deepEqual((await principalOf(auth(bearer(token)))).roles, ['editor', 'viewer']);
  });
});

test('a namespaced claim whose name contains dots is read as one claim', async () => {
  const token = await sign(rs, { claims: { 'https://tasks.example.com/roles': ['admin'] } });
  await withJwt({ config: { claims: { roles: 'https://tasks.example.com/roles' } } }, async ({ auth }) => {
    assert.deepEqual((await principalOf(auth(bearer(token)))).roles, ['admin']);
  });
});

test('scopes are split from a space-delimited scope claim', async () => {
  const token = await sign(rs, { claims: { scope: 'tasks:read  tasks:write' } });
  await withJwt({}, async ({ auth }) => {
    assert.deepEqual((await principalOf(auth(bearer(token)))).scopes, ['tasks:read', 'tasks:write']);
  });
});

test('scopes fall back to an scp array', async () => {
  const token = await sign(rs, { claims: { scp: ['tasks:read'] } });
  await withJwt({}, async ({ auth }) => {
    assert.deepEqual((await principalOf(auth(bearer(token)))).scopes, ['tasks:read']);
  });
});

test('roles and scopes of the wrong type are empty, not an error', async () => {
  const token = await sign(rs, { claims: { roles: { admin: true }, scope: 42 } });
  await withJwt({}, async ({ auth }) => {
    const p = await principalOf(auth(bearer(token)));
    assert.deepEqual([p.roles, p.scopes], [[], []]);
  });
});

test('attributes are mapped from claim paths, with iss and clientId from the token', async () => {
  const token = await sign(rs, { claims: { org: { department: 'engineering' }, client_id: 'spa' } });
  await withJwt({ config: { claims: { attributes: { department: 'org.department', missing: 'nope' } } } }, async ({ auth }) => {
    assert.deepEqual((await principalOf(auth(bearer(token)))).attributes, { department: 'engineering', iss: ISSUER, clientId: 'spa' });
  });
});

test('a configured attribute cannot override iss', async () => {
  const token = await sign(rs, { claims: { fake: 'https://evil.test' } });
  await withJwt({ config: { claims: { attributes: { iss: 'fake' } } } }, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).attributes.iss, ISSUER);
  });
});

test('a token whose client id equals its subject is a service', async () => {
  const token = await sign(rs, { claims: { sub: 'reporting-cli', client_id: 'reporting-cli' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).kind, 'service');
  });
});

test('a token for a user through a client is a user', async () => {
  const token = await sign(rs, { claims: { sub: 'alice', client_id: 'spa' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).kind, 'user');
  });
});

test('azp stands in for a missing client_id', async () => {
  const token = await sign(rs, { claims: { sub: 'cli', azp: 'cli' } });
  await withJwt({}, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).kind, 'service');
  });
});

test('a configured kind claim decides the kind', async () => {
  const token = await sign(rs, { claims: { sub: 'x@clients', gty: 'client-credentials' } });
  await withJwt({ config: { claims: { kind: { claim: 'gty', serviceValues: ['client-credentials'] } } } }, async ({ auth }) => {
    assert.equal((await principalOf(auth(bearer(token)))).kind, 'service');
  });
});

test('the principal is frozen all the way down', async () => {
  const token = await sign(rs, { claims: { roles: ['a'], org: { teams: ['x'] } } });
  await withJwt({ config: { claims: { attributes: { org: 'org' } } } }, async ({ auth }) => {
    const p = await principalOf(auth(bearer(token)));
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.roles) && Object.isFrozen(p.scopes) && Object.isFrozen(p.attributes));
    assert.ok(Object.isFrozen((p.attributes.org as { teams: string[] }).teams));
  });
});

// --- the verification cache ---------------------------------------------------------------------

test('a repeated token is answered synchronously from the cache, with the same principal', async () => {
  const token = await sign(rs);
  await withJwt({}, async ({ auth }) => {
    const first = await auth(bearer(token));
    const second = auth(bearer(token));
    assert.ok(!(second instanceof Promise), 'a cache hit is not a Promise');
    assert.equal(second, first);
  });
});

test('a cached entry expires with the token', async () => {
  const clock = fakeClock();
  const nowSec = Math.floor(clock.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec, exp: nowSec + 60 } });
  await withJwt({ internals: { now: clock.now } }, async ({ auth }) => {
    const first = await auth(bearer(token));
    clock.advance(60_000);
    // A cache hit returns the very outcome it stored; a new verification makes a new one.
    const outcome = await auth(bearer(token));
    assert.notEqual(outcome, first, 'not answered from the cache');
    // exp is now; the clock tolerance still accepts it, but it is not cached again.
    assert.notEqual(await auth(bearer(token)), outcome, 'not cached again');
    clock.advance(31_000);
    assert.equal(await reasonOf(auth(bearer(token))), 'token_expired');
  });
});

test('a cached entry is not used before its nbf (a clock that went back)', async () => {
  const clock = fakeClock();
  const nowSec = Math.floor(clock.now() / 1000);
  const token = await sign(rs, { claims: { iat: nowSec, nbf: nowSec, exp: nowSec + 600 } });
  await withJwt({ internals: { now: clock.now } }, async ({ auth }) => {
    await principalOf(auth(bearer(token)));
    clock.advance(-120_000);
    assert.equal(await reasonOf(auth(bearer(token))), 'not_yet_valid');
  });
});

test('a cached entry is not used once the keys are too stale', async () => {
  const clock = fakeClock();
  const token = await sign(rs, { now: clock.now() + 3_000_000 });
  await withJwt({ internals: { now: clock.now } }, async ({ auth, idp }) => {
    clock.advance(3_000_000);
    await principalOf(auth(bearer(token)));
    idp.setDown(true);
    clock.advance(700_000);
    assert.equal(await reasonOf(auth(bearer(token))), 'jwks_unavailable');
  });
});

test('an uncached token with a known key is verified synchronously, not as a Promise', async () => {
  const tokens = await Promise.all([rs, ps, es, ed].map((k) => sign(k)));
  await withJwt({ config: { cache: { maxEntries: 0 } } }, async ({ auth }) => {
    for (const token of tokens) {
      const outcome = auth(bearer(token));
      assert.ok(!(outcome instanceof Promise), 'answered synchronously');
      assert.equal((await principalOf(outcome)).id, 'alice');
    }
  });
});

test('a refusal after the key lookup (bad signature, expired) is synchronous too', async () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const expired = await sign(rs, { claims: { iat: nowSec - 7200, exp: nowSec - 3600 } });
  const forged = await sign(stranger);
  await withJwt({}, async ({ auth }) => {
    for (const [token, reason] of [[expired, 'token_expired'], [forged, 'bad_signature']] as const) {
      const outcome = auth(bearer(token));
      assert.ok(!(outcome instanceof Promise), `${reason} answered synchronously`);
      assert.equal(await reasonOf(outcome), reason);
    }
  });
});

test('cache.maxEntries 0 disables the cache', async () => {
  const token = await sign(rs);
  await withJwt({ config: { cache: { maxEntries: 0 } } }, async ({ auth }) => {
    const first = await auth(bearer(token));
    const second = await auth(bearer(token));
    assert.equal((await principalOf(second)).id, 'alice');
    assert.notEqual(second, first, 'verified again, not answered from the cache');
  });
});

test('the cache holds at most maxEntries tokens, evicting the oldest', async () => {
  const [a, b] = await Promise.all([sign(rs, { claims: { sub: 'a' } }), sign(rs, { claims: { sub: 'b' } })]);
  await withJwt({ config: { cache: { maxEntries: 1 } } }, async ({ auth }) => {
    const firstA = await auth(bearer(a));
    const firstB = await auth(bearer(b));
    assert.equal(auth(bearer(b)), firstB, 'b is cached');
    const again = await auth(bearer(a));
    assert.notEqual(again, firstA, 'a was evicted');
    assert.equal((await principalOf(again)).id, 'a');
  });
});

test('a key removed from the set drops the verifications it made', async () => {
  const clock = fakeClock();
  const token = await sign(rs, { now: clock.now() });
  await withJwt({ keys: [rs, es], internals: { now: clock.now } }, async ({ auth, idp, compiled }) => {
    await principalOf(auth(bearer(token)));
    idp.setKeys([es.jwk]);
    clock.advance(30_000);
    // An unknown kid triggers the refetch that notices rs-1 is gone.
    await compiled.authenticate!(fakeContext({ headers: { authorization: bearer(await sign(es, { header: { kid: 'new' }, now: clock.now() })) } }));
    assert.equal(await reasonOf(auth(bearer(token))), 'unknown_kid');
  });
});

test('the policy is registered as an authenticate-phase policy named jwt with no codes of its own', () => {
  assert.deepEqual([policy.name, policy.phase, Object.keys(policy.errors)], ['jwt', 'authenticate', []]);
});
