// The demo stack's limits (DEMO.md): signup 3 per IP per hour, password reset 5 per IP per 15
// minutes with Retry-After, and a per-principal token bucket on everything. The stack runs as
// `npm start` runs it, on free ports and a temporary .demo directory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getUserToken } from '../src/demo/idp-client.js';
import { problemOf, send, type Reply } from './helpers/client.js';

let child: ChildProcess;
let dir = '';
let gatewayUrl = '';
let idpUrl = '';
let ca = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-demo-rl-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/start.ts'], {
    env: { ...process.env, PORTCULLIS_DEMO_DIR: dir, PORTCULLIS_DEMO_HTTPS_PORT: '0', PORTCULLIS_DEMO_HTTP_PORT: '0', PORTCULLIS_DEMO_IDP_PORT: '0', PORTCULLIS_DEMO_ADMIN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'ready' within 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready: gateway (https:\/\/localhost:\d+) \(redirect http:\/\/localhost:\d+\), identity provider (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        gatewayUrl = m[1]!;
        idpUrl = m[2]!;
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${out}`)));
  });
  ca = await readFile(join(dir, 'ca.pem'), 'utf8');
});

after(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function posts(path: string, n: number): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) out.push(await send(`${gatewayUrl}${path}`, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, body: '{"email":"new@example.com"}' }));
  return out;
}

test('signup: 3 per IP per hour, the fourth is 429 rate-limit.exceeded', async () => {
  const replies = await posts('/api/v1/signup', 4);
  assert.deepEqual(replies.map((r) => r.status), [202, 202, 202, 429]);
  problemOf(replies[3]!, 429, 'rate-limit.exceeded');
});

test('password reset: 5 per IP per 15 minutes, the sixth is 429 with Retry-After', async () => {
  const replies = await posts('/api/v1/password-reset', 6);
  assert.deepEqual(replies.map((r) => r.status), [202, 202, 202, 202, 202, 429]);
  const retryAfter = Number(replies[5]!.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${String(replies[5]!.headers['retry-after'])}`);
});

test('the limited flows say where the caller stands: X-RateLimit-* and the IETF fields', async () => {
  const [reply] = await posts('/api/v1/password-reset', 1);
  assert.deepEqual([reply!.headers['x-ratelimit-limit'], reply!.headers['ratelimit-policy']], ['5', '"password-reset";q=5;w=900']);
});

test('everything else: a token bucket per principal, 100 a minute with bursts of 20', async () => {
  const token = await getUserToken(idpUrl, 'bob');
  const replies: Reply[] = [];
  // Tokens refill every 0.6 s, far slower than these requests: the bucket runs dry soon after 20.
  while (replies.length < 60 && replies.at(-1)?.status !== 429) replies.push(await send(`${gatewayUrl}/api/v1/tasks`, { ca, headers: { authorization: `Bearer ${token}` } }));
  const first = replies[0]!;
  assert.deepEqual([first.status, first.headers['x-ratelimit-limit'], first.headers['ratelimit-policy']], [200, '20', '"per-principal";q=100;w=60;portcullis-burst=20']);
  assert.deepEqual(replies.slice(0, 20).map((r) => r.status), new Array(20).fill(200));
  problemOf(replies.at(-1)!, 429, 'rate-limit.exceeded');
});
