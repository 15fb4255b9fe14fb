// Exact across nodes: three gateway processes (`portcullis start`) share the Redis on
// 127.0.0.1:6379. For every algorithm, 10 × N concurrent requests spread round-robin over the
// three let exactly N through, and the X-RateLimit-Remaining values the allowed ones carry are
// exactly N−1 … 0, each once: every node's answer came from one atomic count, never a stale copy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { send, type Reply } from './helpers/client.js';

const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const N = 20;
const NODES = 3;
const ALGORITHMS = ['fixed-window', 'sliding-window', 'token-bucket'] as const;
const PREFIX = `portcullis-test:multinode:${randomUUID()}:`;
const BIN = new URL('../bin/portcullis.js', import.meta.url).pathname;

let dir = '';
let upstream: http.Server;
const upstreamCounts = new Map<string, number>();
const nodes: Array<{ child: ChildProcess; url: string; output: () => string }> = [];

function config(upstreamUrl: string): string {
  // failureMode closed: should Redis falter, the test sees 503s instead of a per-node fallback
  // silently counting on its own.
  return `
server: { http: { host: 127.0.0.1, port: 0, redirect: false } }
log: { level: info, access: false }
upstreams: { api: { url: "${upstreamUrl}" } }
defaults:
  policies:
    rate-limit:
      store: { type: redis, url: "${REDIS_URL}", keyPrefix: "${PREFIX}", commandTimeoutMs: 2000 }
      failureMode: closed
routes:
${ALGORITHMS.map((algorithm) => `  - path: /api/${algorithm}
    methods: [GET]
    upstream: api
    public: true
    policies:
      rate-limit: { limits: [{ name: shared, rate: ${N}/day, algorithm: ${algorithm}, key: route }] }
`).join('')}`;
}

/** Starts `portcullis start` and resolves with its URL once it logs `started`. */
function startNode(file: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'started' line within 15 s:\n${out}`)), 15_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"event":"started"')) continue;
        const started = JSON.parse(line) as { http?: { port: number } };
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${started.http!.port}`, output: () => out });
        return;
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`portcullis start exited with ${code}:\n${out}`));
    });
  });
}

before(async () => {
  // A window boundary in the middle of the test would let a second batch through: not near midnight UTC.
  const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
  if (toMidnight < 30_000) await sleep(toMidnight + 1000);
  dir = await mkdtemp(join(tmpdir(), 'portcullis-multinode-'));
  upstream = http.createServer((req, res) => {
    upstreamCounts.set(req.url ?? '', (upstreamCounts.get(req.url ?? '') ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const file = join(dir, 'portcullis.yaml');
  await writeFile(file, config(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`));
  const started = await Promise.allSettled(Array.from({ length: NODES }, () => startNode(file)));
  for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
});

after(async () => {
  await Promise.all(nodes.map(async ({ child }) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }));
  upstream?.closeAllConnections();
  await new Promise<void>((ok) => (upstream ? upstream.close(() => ok()) : ok()));
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  } finally {
    admin.disconnect();
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe(`${NODES} gateway processes on one Redis, a limit of ${N}, ${10 * N} concurrent requests`, () => {
  for (const algorithm of ALGORITHMS) {
    describe(algorithm, () => {
      let replies: Reply[] = [];
      before(async () => {
        replies = await Promise.all(Array.from({ length: 10 * N }, (_, i) => send(`${nodes[i % NODES]!.url}/api/${algorithm}`, { timeoutMs: 10_000 })));
      });

      test(`exactly ${N} are allowed and the rest refused with 429`, () => {
        const statuses = replies.map((r) => r.status);
        assert.deepEqual([statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 429).length], [N, 9 * N], `statuses: ${JSON.stringify(statuses)}`);
      });

      test(`the upstream received exactly ${N}`, () => {
        assert.equal(upstreamCounts.get(`/api/${algorithm}`), N);
      });

      test('every node answered part of the load and refused some of it', () => {
        const perNode = nodes.map((_, n) => replies.filter((_r, i) => i % NODES === n));
        assert.ok(perNode.every((rs) => rs.some((r) => r.status === 429)), 'a node refused nothing');
      });

      test(`the allowed responses' X-RateLimit-Remaining values are exactly ${N - 1} … 0, each once (never a repeat, never up)`, () => {
        const remaining = replies.filter((r) => r.status === 200).map((r) => Number(r.headers['x-ratelimit-remaining'])).sort((a, b) => b - a);
        assert.deepEqual(remaining, Array.from({ length: N }, (_, i) => N - 1 - i));
      });

      test(`every response says X-RateLimit-Limit ${N}, every refusal Remaining 0 with a Retry-After`, () => {
        const refused = replies.filter((r) => r.status === 429);
        assert.deepEqual([
          new Set(replies.map((r) => r.headers['x-ratelimit-limit'])),
          new Set(refused.map((r) => r.headers['x-ratelimit-remaining'])),
          refused.every((r) => Number(r.headers['retry-after']) >= 1),
        ], [new Set([String(N)]), new Set(['0']), true]);
      });
    });
  }
});
