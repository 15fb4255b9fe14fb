/**
 * ip-filter end to end: refusals as 403 problem+json that never reach the upstream, filtering on
 * the client IP resolved through the trusted proxies (a spoofed X-Forwarded-For from an untrusted
 * peer changes nothing), IPv4-mapped peers on a dual-stack listener, list files and per-route
 * settings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemOf, send, type Reply } from './helpers/client.js';
import { startTestGateway, type ConfigOverrides, type TestGateway } from './helpers/gateway.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-ip-filter-e2e-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A gateway whose one route `/api/*` has this ip-filter config, plus server overrides. */
async function gatewayWith(t: { after: (fn: () => Promise<void>) => void }, ipFilter: unknown, server: ConfigOverrides = {}): Promise<TestGateway> {
  const gw = await startTestGateway({
    config: {
      server,
      routes: [{ path: '/api/*', methods: METHODS, upstream: 'api', public: true, policies: { 'ip-filter': ipFilter } }],
    },
  });
  t.after(() => gw.close());
  return gw;
}

function get(gw: TestGateway, path: string, forwardedFor?: string): Promise<Reply> {
  return send(`${gw.url}${path}`, { ca: gw.ca, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });
}

test('a denied client gets 403 problem+json ip-filter.denied and the upstream sees nothing', async (t) => {
  const gw = await gatewayWith(t, { deny: ['127.0.0.1'] });
  const r = await get(gw, '/api/x');
  problemOf(r, 403, 'ip-filter.denied');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a client on the allow list reaches the upstream', async (t) => {
  const gw = await gatewayWith(t, { allow: ['127.0.0.0/8'] });
  const r = await get(gw, '/api/x');
  assert.equal(r.status, 200);
  await gw.upstream.recorded(1);
});

test('a refusal is in the audit log with the rule that decided', async (t) => {
  const gw = await gatewayWith(t, { allow: ['192.0.2.0/24'] });
  problemOf(await get(gw, '/api/x'), 403, 'ip-filter.denied');
  const line = await gw.waitForLog((l) => l.event === 'audit' && l.type === 'ip-filter');
  assert.deepEqual([line.outcome, line.policy, line.rule, line.clientIp], ['failure', 'ip-filter', 'not in allow list', '127.0.0.1']);
});

test('without trusted proxies a spoofed X-Forwarded-For of an allowed address does not get through', async (t) => {
  const gw = await gatewayWith(t, { allow: ['203.0.113.9'] });
  problemOf(await get(gw, '/api/x', '203.0.113.9'), 403, 'ip-filter.denied');
  assert.equal(gw.upstream.requests.length, 0);
});

test('without trusted proxies a spoofed X-Forwarded-For does not dodge the deny list', async (t) => {
  const gw = await gatewayWith(t, { deny: ['127.0.0.1'] });
  problemOf(await get(gw, '/api/x', '198.51.100.1'), 403, 'ip-filter.denied');
});

test('behind a trusted proxy the resolved client IP is the one allowed', async (t) => {
  const gw = await gatewayWith(t, { allow: ['203.0.113.9'] }, { trustedProxies: ['127.0.0.1'] });
  assert.equal((await get(gw, '/api/x', '203.0.113.9')).status, 200);
  await gw.upstream.recorded(1);
});

test('behind a trusted proxy a resolved client IP not on the allow list is refused', async (t) => {
  const gw = await gatewayWith(t, { allow: ['203.0.113.9'] }, { trustedProxies: ['127.0.0.1'] });
  problemOf(await get(gw, '/api/x', '203.0.113.9, 198.51.100.1'), 403, 'ip-filter.denied');
  assert.equal(gw.upstream.requests.length, 0);
});

test('behind a trusted proxy the resolved client IP is the one denied', async (t) => {
  const gw = await gatewayWith(t, { deny: ['203.0.113.0/24'] }, { trustedProxies: ['127.0.0.1'] });
  problemOf(await get(gw, '/api/x', '203.0.113.9'), 403, 'ip-filter.denied');
});

test('on a dual-stack listener an IPv4 peer matches an IPv4-mapped CIDR entry', async (t) => {
  const gw = await gatewayWith(t, { allow: ['::ffff:127.0.0.0/104'] }, { https: { host: '::' } });
  assert.equal((await get(gw, '/api/x')).status, 200);
});

test('on a dual-stack listener an IPv4 peer is refused by an IPv4 deny entry', async (t) => {
  const gw = await gatewayWith(t, { deny: ['127.0.0.0/8'] }, { https: { host: '::' } });
  problemOf(await get(gw, '/api/x'), 403, 'ip-filter.denied');
});

test('a denyFile is read when the config loads', async (t) => {
  const file = join(dir, 'deny.txt');
  await writeFile(file, '# local clients\n127.0.0.1\n');
  const gw = await gatewayWith(t, { denyFile: file });
  problemOf(await get(gw, '/api/x'), 403, 'ip-filter.denied');
});

test('a bad line in an allowFile stops the config from loading, naming the file and line', async () => {
  const file = join(dir, 'allow-bad.txt');
  await writeFile(file, '127.0.0.1\nlocalhost\n');
  await assert.rejects(
    startTestGateway({ config: { routes: [{ path: '/api/*', methods: METHODS, upstream: 'api', public: true, policies: { 'ip-filter': { allowFile: file } } }] } }),
    (error: Error & { code?: string }) => error.code === 'config.invalid' && error.message.includes(`routes[0].policies.ip-filter.allowFile: ${file}:2: 'localhost' is not an IP address or CIDR`),
  );
});

test('the defaults apply to every route; a route\'s own ip-filter replaces them, and false turns it off', async (t) => {
  const gw = await startTestGateway({
    config: {
      defaults: { policies: { 'ip-filter': { deny: ['127.0.0.1'] } } },
      routes: [
        { path: '/api/*', methods: METHODS, upstream: 'api', public: true },
        { path: '/office/*', methods: METHODS, upstream: 'api', public: true, policies: { 'ip-filter': { allow: ['127.0.0.0/8'] } } },
        { path: '/open/*', methods: METHODS, upstream: 'api', public: true, policies: { 'ip-filter': false } },
      ],
    },
  });
  t.after(() => gw.close());
  const statuses = [];
  for (const path of ['/api/x', '/office/x', '/open/x']) statuses.push((await get(gw, path)).status);
  assert.deepEqual(statuses, [403, 200, 200]);
});
