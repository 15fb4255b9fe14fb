// Rate limits through the whole gateway (memory store): 429s with their headers, what reaches
// the upstream, limits in the defaults and on routes, plans by role, concurrency slots freed when
// requests end, and the audit trail.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { ConfigError } from '../src/core/config-error.js';
import { pino } from 'pino';
import { compileGateway } from '../src/config/compile.js';
import { loadConfigText } from '../src/config/load.js';
import { createRegistry } from '../src/config/registry.js';
import { builtinPolicies } from '../src/policies/index.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './helpers/gateway.js';
import { problemOf, send, type Reply } from './helpers/client.js';

async function gateway(t: TestContext, yaml: (upstreamUrl: string) => string, options: Omit<TestGatewayOptions, 'yaml'> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ tls: false, yaml, ...options });
  t.after(() => gw.close());
  return gw;
}

const HEAD = (url: string) => `
server: { http: { host: 127.0.0.1, port: 0, redirect: false } }
upstreams: { api: { url: "${url}" } }
`;

async function sequential(n: number, url: string, headers: http.OutgoingHttpHeaders = {}): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) out.push(await send(url, { method: 'POST', headers }));
  return out;
}

test('password reset: 5 per IP per 15 minutes, the sixth is 429 with Retry-After and never reaches the upstream', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
routes:
  - path: /api/v1/password-reset
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { limits: [{ name: password-reset, rate: 5/15m, key: ip, algorithm: fixed-window }] }
`);
  const replies = await sequential(6, `${gw.url}/api/v1/password-reset`);
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
  const body = problemOf(replies[5]!, 429, 'rate-limit.exceeded');
  const retryAfter = Number(replies[5]!.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}`);
  assert.deepEqual([body['violated-policies'], gw.upstream.requests.length], [['password-reset'], 5]);
});

test('every response of a limited route carries X-RateLimit-* counting down, the 429 too', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
routes:
  - path: /api/*
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { limits: [{ name: l, rate: 3/hour, algorithm: fixed-window }] }
`);
  const replies = await sequential(4, `${gw.url}/api/x`);
  assert.deepEqual(replies.map((r) => [r.headers['x-ratelimit-limit'], r.headers['x-ratelimit-remaining']]), [['3', '2'], ['3', '1'], ['3', '0'], ['3', '0']]);
  const reset = Number(replies[3]!.headers['x-ratelimit-reset']);
  assert.ok(reset >= 1 && reset <= 3600 && String(reset) === replies[3]!.headers['retry-after'], `reset ${reset}, retry-after ${String(replies[3]!.headers['retry-after'])}`);
});

test('an upstream\'s own X-RateLimit and RateLimit fields are replaced by the gateway\'s', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
routes:
  - path: /api/*
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { headers: { ietf: true }, limits: [{ name: l, rate: 10/min }] }
`, { upstream: (_req, res) => res.writeHead(200, { 'x-ratelimit-remaining': '999999', ratelimit: '"upstream";r=999999', 'content-length': '0' }).end() });
  const reply = await send(`${gw.url}/api/x`, { method: 'POST' });
  assert.deepEqual([reply.headers['x-ratelimit-remaining'], reply.headers['ratelimit-policy']], ['9', '"l";q=10;w=60']);
  assert.match(String(reply.headers.ratelimit), /^"l";r=9;t=\d+$/);
});

test('a limit in the defaults applies to every route; perRoute: false makes one budget across them', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
defaults:
  policies:
    rate-limit: { limits: [{ name: everything, rate: 3/min, perRoute: false }] }
routes:
  - { path: /api/a, methods: [POST], upstream: api, public: true }
  - { path: /api/b, methods: [POST], upstream: api, public: true }
`);
  const statuses = [];
  for (const path of ['a', 'b', 'a', 'b']) statuses.push((await send(`${gw.url}/api/${path}`, { method: 'POST' })).status);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
});

test('a route\'s limits replace the defaults\' (the defaults\' store and headers settings stay)', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
defaults:
  policies:
    rate-limit:
      headers: { ietf: true }
      limits: [{ name: everything, rate: 100/min }]
routes:
  - { path: /api/a, methods: [POST], upstream: api, public: true }
  - path: /api/signup
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { limits: [{ name: signup, rate: 3/hour, algorithm: fixed-window }] }
`);
  const signup = await sequential(4, `${gw.url}/api/signup`);
  const other = await send(`${gw.url}/api/a`, { method: 'POST' });
  assert.deepEqual([signup.map((r) => r.status), signup[0]!.headers['ratelimit-policy'], other.headers['ratelimit-policy']], [[200, 200, 200, 429], '"signup";q=3;w=3600', '"everything";q=100;w=60']);
});

test('rate-limit: false on a route switches the defaults\' limit off there', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
defaults:
  policies:
    rate-limit: { limits: [{ name: everything, rate: 1/min }] }
routes:
  - { path: /api/health, methods: [POST], upstream: api, public: true, policies: { rate-limit: false } }
`);
  const replies = await sequential(3, `${gw.url}/api/health`);
  assert.deepEqual(replies.map((r) => [r.status, r.headers['x-ratelimit-limit']]), [[200, undefined], [200, undefined], [200, undefined]]);
});

test('a 429 is an audit record naming the limit; allowed requests are not', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
routes:
  - path: /api/signup
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit: { limits: [{ name: signup, rate: 1/hour }] }
`);
  await sequential(2, `${gw.url}/api/signup`);
  const audit = await gw.waitForLog((l) => l.event === 'audit' && l.type === 'rate-limit');
  assert.deepEqual([audit.outcome, audit.policy, audit.rule, audit.reason, audit.route], ['failure', 'rate-limit', 'signup', 'exceeded 1/hour per ip', '/api/signup']);
  assert.equal(gw.logs.filter((l) => l.event === 'audit' && l.type === 'rate-limit').length, 1);
});

test('the access log records the 429 with its decision', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
log: { access: true }
routes:
  - { path: /api/x, methods: [POST], upstream: api, public: true, policies: { rate-limit: { limits: [{ name: l, rate: 1/hour }] } } }
`);
  await sequential(2, `${gw.url}/api/x`);
  const line = await gw.waitForLog((l) => l.event === 'request' && l.status === 429);
  assert.equal(line.decision, 'rate-limit.exceeded');
});

test('per principal: one API key is limited wherever it comes from; another key has its own budget; plans lift it', async (t) => {
  const a = generateApiKey();
  const b = generateApiKey();
  const premium = generateApiKey();
  const gw = await gateway(t, (url) => `${HEAD(url)}
defaults:
  policies:
    api-key:
      keys:
        - { id: client-a, prefix: ${a.prefix}, hash: "${a.hash}" }
        - { id: client-b, prefix: ${b.prefix}, hash: "${b.hash}" }
        - { id: client-p, prefix: ${premium.prefix}, hash: "${premium.hash}", roles: [premium] }
    rbac: { roles: { premium: { permissions: [] } } }
    rate-limit:
      limits: [{ name: per-client, rate: 2/min, algorithm: token-bucket, key: principal, perRoute: false }]
      plans:
        premium: { limits: [{ name: per-client, rate: 4/min, algorithm: token-bucket, key: principal, perRoute: false }] }
routes:
  - { path: /api/*, methods: [POST], upstream: api, policies: { rbac: { require: [] } } }
`);
  const statuses = async (key: string, n: number) => (await sequential(n, `${gw.url}/api/x`, { 'x-api-key': key })).map((r) => r.status);
  assert.deepEqual([await statuses(a.key, 3), await statuses(b.key, 1), await statuses(premium.key, 5)], [[200, 200, 429], [200], [200, 200, 200, 200, 429]]);
});

test('an unauthenticated request is refused (401) before it counts against any limit', async (t) => {
  const key = generateApiKey();
  const gw = await gateway(t, (url) => `${HEAD(url)}
defaults:
  policies:
    api-key: { keys: [{ id: c, prefix: ${key.prefix}, hash: "${key.hash}" }] }
    rate-limit: { limits: [{ name: per-client, rate: 1/min, key: principal }] }
routes:
  - { path: /api/*, methods: [POST], upstream: api, policies: { rbac: { require: [] } } }
`, {});
  const anonymous = await sequential(3, `${gw.url}/api/x`);
  const authenticated = await send(`${gw.url}/api/x`, { method: 'POST', headers: { 'x-api-key': key.key } });
  assert.deepEqual([anonymous.map((r) => r.status), authenticated.status], [[401, 401, 401], 200]);
});

test('concurrency: a second request while the first is in flight is 429; once it ends the slot is free', async (t) => {
  const held: http.ServerResponse[] = [];
  const gw = await gateway(t, (url) => `${HEAD(url)}
routes:
  - { path: /api/*, methods: [POST], upstream: api, public: true, policies: { rate-limit: { concurrency: { max: 1, key: ip } } } }
`, {
    upstream: (req, res) => {
      req.resume();
      req.once('end', () => {
        if (req.url === '/api/slow') held.push(res);
        else res.writeHead(200, { 'content-length': '0' }).end();
      });
    },
  });
  const slow = send(`${gw.url}/api/slow`, { method: 'POST' });
  await gw.upstream.recorded(1);
  const blocked = await send(`${gw.url}/api/fast`, { method: 'POST' });
  held[0]!.writeHead(200, { 'content-length': '0' }).end();
  const first = await slow;
  const after = await send(`${gw.url}/api/fast`, { method: 'POST' });
  problemOf(blocked, 429, 'rate-limit.concurrency_exceeded');
  assert.deepEqual([first.status, after.status], [200, 200]);
});

test('concurrency: a client that goes away mid-request frees its slot', async (t) => {
  const gw = await gateway(t, (url) => `${HEAD(url)}
routes:
  - { path: /api/*, methods: [POST], upstream: api, public: true, policies: { rate-limit: { concurrency: { max: 1, key: ip } } } }
`, {
    upstream: (req, res) => {
      req.resume();
      if (req.url !== '/api/hang') req.once('end', () => res.writeHead(200, { 'content-length': '0' }).end());
    },
  });
  await assert.rejects(send(`${gw.url}/api/hang`, { method: 'POST', timeoutMs: 300 }));
  await gw.upstream.recorded(1);
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await send(`${gw.url}/api/ok`, { method: 'POST' })).status;
    if (status !== 200) await new Promise((ok) => setTimeout(ok, 20));
  }
  assert.equal(status, 200);
});

test('a bad rate fails compilation (start and check) with the YAML path and line', () => {
  const registry = createRegistry(builtinPolicies);
  const text = `server: { http: { host: 127.0.0.1, port: 0, redirect: false } }
upstreams: { api: { url: "http://127.0.0.1:1" } }
routes:
  - path: /api/signup
    methods: [POST]
    upstream: api
    public: true
    policies:
      rate-limit:
        limits:
          - { name: signup, rate: 3/fortnight }
`;
  const loaded = loadConfigText(text, { registry, baseDir: process.cwd() });
  try {
    compileGateway(loaded, registry, pino({ level: 'silent' }));
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.deepEqual(error.issues.map((i) => [i.path.join('.'), i.line]), [['routes.0.policies.rate-limit.limits.0.rate', 11]]);
  }
});
