/**
 * cors proven in a real browser: headless Chromium (/usr/bin/chromium, driven by playwright-core)
 * loads pages from two origins, http://127.0.0.1:<a> (allowed) and http://localhost:<b> (not
 * allowed), and fetches through a plain-HTTP gateway. What is checked is what the browser lets
 * the page's script do, not only the headers. One browser for the whole file; every test uses its
 * own paths, so the shared preflight cache cannot carry over. Without Chromium the file fails.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';

const CHROMIUM = '/usr/bin/chromium';
const key = generateApiKey();

let browser: Browser;
let context: BrowserContext;
let gw: TestGateway;
let allowedPage: Page;
let otherPage: Page;
const pageServers: http.Server[] = [];
/** Access-Control-Allow-Origin of every response (preflights included) Chromium got from /cred/. */
const credAllowOrigins: Array<string | undefined> = [];

async function pageServer(host: string): Promise<number> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>page</title>');
  });
  pageServers.push(server);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => ok());
  });
  return (server.address() as AddressInfo).port;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: the browser tests need Chromium (apt-get install chromium)`);
  const [portA, portB] = await Promise.all([pageServer('127.0.0.1'), pageServer('127.0.0.1')]);
  const allowed = `http://127.0.0.1:${portA}`;
  gw = await startTestGateway({
    tls: false,
    upstream: (req, res) => {
      req.resume();
      req.once('end', () => {
        // An upstream that tries to open every route to every origin: the gateway decides.
        const body = JSON.stringify({ method: req.method, cookie: req.headers.cookie ?? null });
        res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    },
    yaml: (url) => `
server: { http: { host: 127.0.0.1, port: 0, redirect: false } }
upstreams: { api: { url: "${url}" } }
defaults:
  policies:
    api-key:
      keys:
        - { id: web, prefix: ${key.prefix}, hash: "${key.hash}", roles: [user] }
routes:
  - path: /cred/*
    methods: [GET, PUT]
    upstream: api
    policies:
      rbac: { require: [] }
      cors: { origins: ["${allowed}"], methods: [GET, PUT], allowedHeaders: [x-api-key, content-type], credentials: true, maxAgeSec: 600 }
  - path: /open/*
    methods: [GET]
    upstream: api
    public: true
    policies:
      cors: { origins: ["${allowed}"] }
  - path: /nocache/*
    methods: [PUT]
    upstream: api
    policies:
      rbac: { require: [] }
      cors: { origins: ["${allowed}"], methods: [PUT], allowedHeaders: [x-api-key], credentials: true, maxAgeSec: 0 }
`,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  context = await browser.newContext();
  // A cookie of the gateway's host: a credentialed fetch carries it, any other does not.
  await context.addCookies([{ name: 'session', value: 's1', domain: '127.0.0.1', path: '/' }]);
  allowedPage = await context.newPage();
  otherPage = await context.newPage();
  for (const page of [allowedPage, otherPage]) {
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.responseReceived', (e: { response: { url: string; headers: Record<string, string> } }) => {
      if (!e.response.url.includes('/cred/')) return;
      const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      credAllowOrigins.push(headers['access-control-allow-origin']);
    });
    await cdp.send('Network.enable');
  }
  await allowedPage.goto(`${allowed}/`);
  await otherPage.goto(`http://localhost:${portB}/`);
});

after(async () => {
  await browser?.close();
  await gw?.close();
  await Promise.all(pageServers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
});

/** What the page's script got: the status and body, or the error fetch rejected with. */
type FetchResult = { status: number; body: string } | { error: string };

function pageFetch(page: Page, path: string, init: { method?: string; headers?: Record<string, string>; credentials?: 'include' | 'omit' | 'same-origin' } = {}): Promise<FetchResult> {
  return page.evaluate(async ({ url, init }) => {
    try {
      const r = await fetch(url, init);
      return { status: r.status, body: await r.text() };
    } catch (error) {
      return { error: (error as Error).name };
    }
  }, { url: `${gw.url}${path}`, init });
}

function optionsFor(path: string): number {
  return gw.accessLogs().filter((l) => l.method === 'OPTIONS' && l.path === path).length;
}

function upstreamSaw(method: string, path: string): number {
  return gw.upstream.requests.filter((r) => r.method === method && r.url === path).length;
}

const BLOCKED = { error: 'TypeError' };

test('the allowed origin reads a credentialed answer, and the cookie went along', async () => {
  const result = await pageFetch(allowedPage, '/cred/a', { credentials: 'include', headers: { 'x-api-key': key.key } });
  assert.deepEqual(result, { status: 200, body: JSON.stringify({ method: 'GET', cookie: 'session=s1' }) });
});

test('the allowed origin reads an uncredentialed answer; asking for credentials there is blocked', async () => {
  assert.deepEqual(await pageFetch(allowedPage, '/open/a'), { status: 200, body: JSON.stringify({ method: 'GET', cookie: null }) });
  assert.deepEqual(await pageFetch(allowedPage, '/open/b', { credentials: 'include' }), BLOCKED);
});

test('the allowed origin reads the gateway\'s 401 when it sends no key', async () => {
  const result = await pageFetch(allowedPage, '/cred/no-key', { credentials: 'include' });
  assert.equal('status' in result && result.status, 401);
});

test('a page from a disallowed origin is blocked by the browser', async () => {
  assert.deepEqual(await pageFetch(otherPage, '/open/c'), BLOCKED);
  assert.deepEqual(await pageFetch(otherPage, '/cred/c', { credentials: 'include', headers: { 'x-api-key': key.key } }), BLOCKED);
  // The preflight was refused at the gateway: the credentialed GET itself was never sent.
  assert.equal(upstreamSaw('GET', '/cred/c'), 0);
});

test('a preflighted PUT with a custom header works from the allowed origin only', async () => {
  const put = { method: 'PUT', credentials: 'include' as const, headers: { 'x-api-key': key.key, 'content-type': 'application/json' } };
  assert.deepEqual(await pageFetch(allowedPage, '/cred/put', put), { status: 200, body: JSON.stringify({ method: 'PUT', cookie: 'session=s1' }) });
  assert.deepEqual([optionsFor('/cred/put'), upstreamSaw('OPTIONS', '/cred/put'), upstreamSaw('PUT', '/cred/put')], [1, 0, 1]);

  assert.deepEqual(await pageFetch(otherPage, '/cred/put-other', put), BLOCKED);
  assert.deepEqual(await pageFetch(allowedPage, '/cred/put-header', { ...put, headers: { ...put.headers, 'x-not-allowed': '1' } }), BLOCKED);
  assert.deepEqual([upstreamSaw('PUT', '/cred/put-other'), upstreamSaw('PUT', '/cred/put-header')], [0, 0]);
  const refused = gw.accessLogs().filter((l) => l.method === 'OPTIONS' && (l.path === '/cred/put-other' || l.path === '/cred/put-header'));
  assert.deepEqual(refused.map((l) => [l.status, l.decision]), [[403, 'cors.preflight_denied'], [403, 'cors.preflight_denied']]);
});

test('a preflight answer is cached for its max-age, and not at all with max-age 0', async () => {
  const put = { method: 'PUT', credentials: 'include' as const, headers: { 'x-api-key': key.key } };
  for (let i = 0; i < 2; i++) {
    assert.equal((await pageFetch(allowedPage, '/cred/cached', put) as { status: number }).status, 200);
    assert.equal((await pageFetch(allowedPage, '/nocache/x', put) as { status: number }).status, 200);
  }
  assert.deepEqual([optionsFor('/cred/cached'), optionsFor('/nocache/x')], [1, 2]);
  assert.deepEqual([upstreamSaw('PUT', '/cred/cached'), upstreamSaw('PUT', '/nocache/x')], [2, 2]);
});

test('Chromium never saw Access-Control-Allow-Origin: * on the credentialed route', () => {
  // Runs last: the responses of every test above, the upstream's own `*` included, were recorded.
  assert.ok(credAllowOrigins.length >= 8, `only ${credAllowOrigins.length} responses recorded`);
  assert.equal(credAllowOrigins.includes('*'), false);
});
