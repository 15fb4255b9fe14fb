// The demo stack as a newcomer runs it (`npm start`), on free ports and a temporary .demo dir.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { getUserToken } from './idp-client.js';

let child: ChildProcess;
let dir: string;
let gatewayUrl: string;
let redirectUrl: string;
let ca: string;
let idpUrl: string;
let token: string;
let carolToken: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-demo-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/start.ts'], {
    env: { ...process.env, PORTCULLIS_DEMO_DIR: dir, PORTCULLIS_DEMO_HTTPS_PORT: '0', PORTCULLIS_DEMO_HTTP_PORT: '0', PORTCULLIS_DEMO_IDP_PORT: '0', PORTCULLIS_DEMO_ADMIN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'ready' within 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready: gateway (https:\/\/localhost:\d+) \(redirect (http:\/\/localhost:\d+)\), identity provider (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        gatewayUrl = m[1]!;
        redirectUrl = m[2]!;
        idpUrl = m[3]!;
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
  await ready;
  ca = await readFile(join(dir, 'ca.pem'), 'utf8');
  token = await getUserToken(idpUrl, 'alice');
  // A second caller, so the newer tests do not spend alice's token bucket (burst 20).
  carolToken = await getUserToken(idpUrl, 'carol');
});

after(async () => {
  if (child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await rm(dir, { recursive: true, force: true });
});

function get(url: string, options: { ca?: string; headers?: Record<string, string> } = {}): Promise<{ res: IncomingMessage; body: string }> {
  const doRequest = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = doRequest(url, { ca: options.ca, agent: false, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ res, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('without a token the gateway answers 401 with a Bearer challenge', async () => {
  const { res, body } = await get(`${gatewayUrl}/api/v1/tasks`, { ca });
  assert.equal(res.statusCode, 401);
  assert.match(String(res.headers['www-authenticate']), /^Bearer /);
  assert.equal((JSON.parse(body) as { code: string }).code, 'authenticate.required');
});

test('with a token from the identity provider (code + PKCE as alice) the request reaches the sample API', async () => {
  const { res, body } = await get(`${gatewayUrl}/api/v1/tasks`, { ca, headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200);
  assert.ok(Array.isArray((JSON.parse(body) as { tasks: unknown[] }).tasks));
});

test('the reporting service\'s API key from .demo/api-key opens the reports route', async () => {
  const key = (await readFile(join(dir, 'api-key'), 'utf8')).trim();
  const { res } = await get(`${gatewayUrl}/api/v1/reports/engineering`, { ca, headers: { 'x-api-key': key } });
  assert.equal(res.statusCode, 200);
});

test('proxied responses carry HSTS and nosniff and lose X-Powered-By and Server', async () => {
  const { res } = await get(`${gatewayUrl}/api/v1/tasks`, { ca, headers: { authorization: `Bearer ${token}` } });
  assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['x-powered-by'], undefined);
  assert.equal(res.headers.server, undefined);
});

test('routes the sample API serves but the inventory lacks are 404 at the gateway', async () => {
  const { res, body } = await get(`${gatewayUrl}/api/v1/debug`, { ca });
  assert.equal(res.statusCode, 404);
  assert.equal((JSON.parse(body) as { code: string }).code, 'route.not_found');
});

test('the plain-HTTP listener answers 308 to the same path on https', async () => {
  const { res } = await get(`${redirectUrl}/api/v1/tasks?page=2`);
  assert.equal(res.statusCode, 308);
  assert.equal(res.headers.location, `${gatewayUrl}/api/v1/tasks?page=2`);
});

function call(method: string, path: string, body?: string, bearer = token): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${gatewayUrl}${path}`, { method, ca, agent: false, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('alice\'s task list holds only her own tasks', async () => {
  const { body } = await call('GET', '/api/v1/tasks');
  const owners = new Set((JSON.parse(body) as { tasks: Array<{ ownerId: string }> }).tasks.map((t) => t.ownerId));
  assert.deepEqual([...owners], ['alice']);
});

test('alice reading bob\'s task gets 404 and nothing of it', async () => {
  const { status, body } = await call('GET', '/api/v1/tasks/task-3');
  assert.deepEqual([status, (JSON.parse(body) as { code: string }).code, body.includes('Acme')], [404, 'object-level.not_found', false]);
});

test('a PATCH that sets ownerId is refused (mass assignment)', async () => {
  const { status, body } = await call('PATCH', '/api/v1/tasks/task-1', '{"ownerId":"bob"}');
  assert.deepEqual([status, (JSON.parse(body) as { code: string }).code], [400, 'property-level.read_only_property']);
});

test('a task within the document\'s schema is created', async () => {
  const { status, body } = await call('POST', '/api/v1/tasks', '{"title":"Write the report","priority":"high","dueDate":"2026-12-31"}');
  assert.deepEqual([status, (JSON.parse(body) as { ownerId: string }).ownerId], [201, 'alice']);
});

test('a task outside the schema is refused with every violation (400)', async () => {
  const { status, body } = await call('POST', '/api/v1/tasks', `{"title":"${'x'.repeat(201)}","priority":"urgent","dueDate":"tomorrow","colour":"red"}`);
  const problem = JSON.parse(body) as { code: string; errors: Array<{ pointer: string }> };
  assert.deepEqual([status, problem.code, problem.errors.map((e) => e.pointer).sort()], [400, 'openapi.invalid_request', ['/colour', '/dueDate', '/priority', '/title']]);
});

test('an export that breaks the document\'s schema is 502, never passed on', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/api/v1/tasks/task-1/export')).status);
  assert.deepEqual(statuses.sort(), [200, 200, 502]);
});

test('a search passes the WAF; SQL injection and XSS in q are refused (403)', async () => {
  const search = async (q: string) => {
    const { status, body } = await call('GET', `/api/v1/tasks/search?q=${encodeURIComponent(q)}`, undefined, carolToken);
    return [status, (JSON.parse(body) as { code?: string }).code];
  };
  assert.deepEqual(await search('report'), [200, undefined]);
  assert.deepEqual(await search("' OR '1'='1' --"), [403, 'waf.blocked']);
  assert.deepEqual(await search('<script>alert(document.cookie)</script>'), [403, 'waf.blocked']);
});

test('a webhook to a public https address is accepted; loopback, metadata and encoded forms are refused', async () => {
  const hook = async (url: string) => {
    const { status, body } = await call('POST', '/api/v1/webhooks', JSON.stringify({ url }), carolToken);
    return [status, (JSON.parse(body) as { code?: string }).code];
  };
  assert.deepEqual(await hook('https://93.184.215.14/hooks/tasks'), [201, undefined]);
  assert.deepEqual(await hook('https://127.0.0.1/hook'), [403, 'ssrf.blocked_address']);
  assert.deepEqual(await hook('https://169.254.169.254/latest/meta-data/'), [403, 'ssrf.blocked_address']);
  assert.deepEqual(await hook('https://2130706433/'), [403, 'ssrf.blocked_address']);
  assert.deepEqual(await hook('https://[::ffff:7f00:1]/'), [403, 'ssrf.blocked_address']);
  assert.deepEqual(await hook('http://93.184.215.14/'), [400, 'ssrf.invalid_url']);
});

test('an editor deleting a task gets 403 (function-level)', async () => {
  const { status, body } = await call('DELETE', '/api/v1/tasks/task-1');
  assert.deepEqual([status, (JSON.parse(body) as { code: string }).code], [403, 'rbac.forbidden']);
});

test('users/me no longer leaks passwordHash or internalNotes', async () => {
  const { status, body } = await call('GET', '/api/v1/users/me');
  const me = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual([status, me.id, 'passwordHash' in me, 'internalNotes' in me], [200, 'alice', false, false]);
});

test('a preflight from the demo app\'s origin is answered at the gateway; another origin is refused', async () => {
  const preflight = (origin: string) => new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpsRequest(`${gatewayUrl}/api/v1/tasks`, { method: 'OPTIONS', ca, agent: false, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.end();
  });
  const ok = await preflight('https://app.example.com');
  const bad = await preflight('https://app.example.com.evil.io');
  assert.deepEqual([ok.statusCode, ok.headers['access-control-allow-origin'], bad.statusCode, bad.headers['access-control-allow-origin']], [204, 'https://app.example.com', 403, undefined]);
});

test('SIGINT stops the whole demo cleanly', async () => {
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
});
