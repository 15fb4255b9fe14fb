/**
 * Authentication against the real identity provider, through the whole gateway: JWT access
 * tokens obtained with the Authorization Code + PKCE flow, key rotation without a restart, and
 * opaque tokens checked by RFC 7662 introspection on the same route.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdentityProvider, type RunningIdentityProvider } from '../src/demo/idp.js';
import { getUserToken } from '../src/demo/idp-client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { problemOf, send } from './helpers/client.js';

let idp: RunningIdentityProvider;
let gw: TestGateway;
const SECRET_ENV = `PORTCULLIS_TEST_INTROSPECTION_${process.pid}`;

before(async () => {
  idp = await startIdentityProvider({ audience: 'https://gateway.test' });
  process.env[SECRET_ENV] = idp.clients['portcullis-gateway'].secret;
  const origin = new URL(idp.jwksUri).origin;
  gw = await startTestGateway({ yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${url}" } }
outbound: { allow: ["${origin}"] }
defaults:
  policies:
    introspection:
      endpoint: "${idp.introspectionEndpoint}"
      clientId: portcullis-gateway
      clientSecretEnv: ${SECRET_ENV}
    jwt:
      issuer: "${idp.issuer}"
      audience: https://gateway.test
      jwksUri: "${idp.jwksUri}"
      jwks: { unknownKidCooldownSec: 1 }
      claims: { attributes: { department: department } }
routes:
  - { path: /api/*, methods: [GET], upstream: api, policies: { rbac: { require: [] } } }
` });
});

after(async () => {
  await gw?.close();
  await idp?.close();
  delete process.env[SECRET_ENV];
});

test('a JWT from the real code + PKCE flow is accepted and names the user', async () => {
  const token = await getUserToken(idp.issuer, 'alice', { resource: 'https://gateway.test' });
  assert.equal((await send(`${gw.url}/api/tasks`, { ca: gw.ca, headers: { authorization: `Bearer ${token}` } })).status, 200);
  const line = await gw.waitForLog((l) => l.event === 'request' && l.principal === 'alice');
  assert.equal(line.status, 200);
});

test('after the identity provider rotates its keys, a token signed with the new key is accepted without a restart', async () => {
  await idp.rotateKeys();
  const token = await getUserToken(idp.issuer, 'bob', { resource: 'https://gateway.test' });
  assert.equal((await send(`${gw.url}/api/tasks`, { ca: gw.ca, headers: { authorization: `Bearer ${token}` } })).status, 200);
});

test('an opaque token is checked by introspection against the identity provider', async () => {
  const token = await getUserToken(idp.issuer, 'carol', { resource: idp.opaqueResource });
  assert.equal(token.split('.').length, 1);
  assert.equal((await send(`${gw.url}/api/tasks`, { ca: gw.ca, headers: { authorization: `Bearer ${token}` } })).status, 200);
  const audit = await gw.waitForLog((l) => l.event === 'audit' && l.method === 'introspection' && l.outcome === 'success');
  assert.equal(audit.principal, 'carol');
});

test('a made-up opaque token is 401 invalid_token after introspection says inactive', async () => {
  const reply = await send(`${gw.url}/api/tasks`, { ca: gw.ca, headers: { authorization: 'Bearer not-a-real-token-0123456789abcdef' } });
  problemOf(reply, 401, 'authenticate.invalid_token');
  assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
});

test('a JWT whose signature was tampered with is 401 and the reason is audited, not sent', async () => {
  const token = await getUserToken(idp.issuer, 'alice', { resource: 'https://gateway.test' });
  const [h, p, s] = token.split('.') as [string, string, string];
  const forged = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  const reply = await send(`${gw.url}/api/tasks`, { ca: gw.ca, headers: { authorization: `Bearer ${forged}` } });
  problemOf(reply, 401, 'authenticate.invalid_token');
  assert.equal(reply.text.includes('signature'), false);
  const audit = await gw.waitForLog((l) => l.event === 'audit' && l.method === 'jwt' && l.outcome === 'failure');
  assert.equal(audit.reason, 'bad_signature');
});
