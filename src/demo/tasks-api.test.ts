import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { MAX_BODY_BYTES, createTasksApi, startTasksApi } from './tasks-api.js';
import type { RunningTasksApi } from './tasks-api.js';
import { clampInt } from './tasks-http.js';
import { SEED_TASKS } from './tasks-seed.js';

async function start(t: TestContext, options?: Parameters<typeof startTasksApi>[0]): Promise<RunningTasksApi> {
  const api = await startTasksApi(options);
  t.after(() => api.close());
  return api;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** A raw request that tolerates the server answering (and closing) before the body is sent. */
function rawRequest(url: string, headers: Record<string, string | number>, chunks: Buffer[]): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', (err) => (req.writableFinished ? undefined : reject(err)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

test('GET /api/v1/tasks returns every user\'s tasks', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/tasks`));
  const owners = new Set((body['tasks'] as Array<{ ownerId: string }>).map((x) => x.ownerId));
  assert.deepEqual([...owners].sort(), ['alice', 'bob', 'carol']);
});

test('every response carries X-Powered-By and Server, even a 404', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/nope`);
  await res.arrayBuffer();
  assert.equal(res.headers.get('x-powered-by'), 'Express');
  assert.equal(res.headers.get('server'), 'tasks-api/0.1');
});

test('an unknown route is 404 JSON', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v2/tasks`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), { error: 'not found' });
});

test('a known path with another method is 405 with Allow', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/tasks`, { method: 'PUT' });
  await res.arrayBuffer();
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, POST');
});

test('POST /api/v1/tasks takes the owner from x-user-id', async (t) => {
  const api = await start(t);
  const res = await post(`${api.url}/api/v1/tasks`, { title: 'New' }, { 'x-user-id': 'bob' });
  const body = await json(res);
  assert.equal(res.status, 201);
  assert.equal(body['ownerId'], 'bob');
  assert.equal(res.headers.get('location'), `/api/v1/tasks/${String(body['id'])}`);
  assert.equal(api.state.tasks.get(String(body['id']))?.['title'], 'New');
});

test('POST /api/v1/tasks without x-user-id is owned by anonymous', async (t) => {
  const api = await start(t);
  const body = await json(await post(`${api.url}/api/v1/tasks`, { title: 'New' }));
  assert.equal(body['ownerId'], 'anonymous');
});

test('POST /api/v1/tasks accepts server-owned fields (mass assignment)', async (t) => {
  const api = await start(t);
  const sent = { id: 'mine', ownerId: 'carol', createdAt: '1999-01-01T00:00:00.000Z', title: 'x' };
  const body = await json(await post(`${api.url}/api/v1/tasks`, sent, { 'x-user-id': 'bob' }));
  assert.deepEqual(body, { ...sent, priority: 'normal' });
  assert.equal(api.state.tasks.get('mine')?.['ownerId'], 'carol');
});

test('POST with a body that is not JSON is 400', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/tasks`, { method: 'POST', body: '{nope' });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: 'body is not valid JSON' });
});

test('GET /api/v1/tasks/{taskId} returns any task, whoever asks', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/tasks/task-3`, { headers: { 'x-user-id': 'alice' } });
  assert.deepEqual(await res.json(), SEED_TASKS[2]);
});

test('GET /api/v1/tasks/{taskId} of a missing task is 404', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/tasks/task-99`);
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: 'task not found' });
});

test('PATCH /api/v1/tasks/{taskId} merges any field, ownerId included', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/tasks/task-1`, { method: 'PATCH', body: JSON.stringify({ ownerId: 'bob', priority: 'low' }) });
  const body = await json(res);
  assert.equal(res.status, 200);
  assert.deepEqual(body, { ...SEED_TASKS[0], ownerId: 'bob', priority: 'low' });
});

test('DELETE /api/v1/tasks/{taskId} removes the task with 204', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/tasks/task-2`, { method: 'DELETE' });
  await res.arrayBuffer();
  assert.equal(res.status, 204);
  assert.equal(api.state.tasks.has('task-2'), false);
});

test('GET /api/v1/tasks/search builds SQL by concatenation and filters titles', async (t) => {
  const api = await start(t);
  const q = "rev' OR '1'='1";
  const body = await json(await fetch(`${api.url}/api/v1/tasks/search?q=${encodeURIComponent(q)}`));
  assert.equal(body['query'], `SELECT * FROM tasks WHERE title LIKE '%${q}%'`);
  assert.deepEqual(body['results'], []);
});

test('GET /api/v1/tasks/search matches a title substring, ignoring case', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/tasks/search?q=REVIEW`));
  assert.deepEqual((body['results'] as Array<{ id: string }>).map((x) => x.id), ['task-2']);
});

test('GET /api/v1/tasks/{taskId}/export breaks the schema on every third call', async (t) => {
  const api = await start(t);
  const bodies = [];
  for (let i = 0; i < 3; i++) bodies.push(await json(await fetch(`${api.url}/api/v1/tasks/task-1/export`)));
  assert.deepEqual(bodies[0], SEED_TASKS[0]);
  assert.deepEqual(bodies[1], SEED_TASKS[0]);
  assert.equal(bodies[2]?.['priority'], 'URGENT!!');
  assert.equal('title' in (bodies[2] ?? {}), false);
});

test('GET /api/v1/users/me defaults to alice and leaks her secrets', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/users/me`));
  assert.equal(body['id'], 'alice');
  assert.equal(typeof body['passwordHash'], 'string');
  assert.equal(typeof body['internalNotes'], 'string');
});

test('GET /api/v1/users/me trusts x-user-id', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/users/me`, { headers: { 'x-user-id': 'bob' } }));
  assert.deepEqual([body['id'], body['role'], body['department'], body['clearance']], ['bob', 'viewer', 'sales', 1]);
});

test('GET /api/v1/admin/users lists every user with the hash', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/admin/users`));
  const users = body['users'] as Array<{ id: string; passwordHash?: string }>;
  assert.deepEqual(users.map((u) => u.id), ['alice', 'bob', 'carol']);
  assert.ok(users.every((u) => typeof u.passwordHash === 'string'));
});

test('GET /api/v1/reports/{department} returns the report with classification 2', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/reports/sales`));
  assert.equal(body['department'], 'sales');
  assert.equal(body['classification'], 2);
});

test('POST /api/v1/webhooks stores the url and answers 201 without calling it', async (t) => {
  let hits = 0;
  const target = createServer((_req, res) => {
    hits++;
    res.end();
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  t.after(() => target.close());
  const address = target.address();
  assert.ok(address !== null && typeof address === 'object');
  const hookUrl = `http://127.0.0.1:${address.port}/hook`;
  const api = await start(t);
  const res = await post(`${api.url}/api/v1/webhooks`, { url: hookUrl }, { 'x-user-id': 'alice' });
  const body = await json(res);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(res.status, 201);
  assert.equal(body['url'], hookUrl);
  assert.equal(api.state.webhooks[0]?.url, hookUrl);
  assert.equal(hits, 0);
});

test('POST /api/v1/signup answers 202 JSON', async (t) => {
  const api = await start(t);
  const res = await post(`${api.url}/api/v1/signup`, { email: 'new@example.com' });
  assert.equal(res.status, 202);
  assert.equal((await json(res))['status'], 'accepted');
});

test('POST /api/v1/password-reset answers 202 JSON, even without a body', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/password-reset`, { method: 'POST' });
  assert.equal(res.status, 202);
  assert.equal((await json(res))['status'], 'accepted');
});

test('GET /api/v0/tasks still serves the old version, owners embedded', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v0/tasks`));
  assert.equal(body['apiVersion'], 'v0');
  assert.equal((body['tasks'] as Array<{ owner: { passwordHash: string } }>)[0]?.owner.passwordHash.startsWith('$2b$'), true);
});

test('GET /api/v1/debug leaks fake settings, not the real environment', async (t) => {
  const api = await start(t);
  const env = (await json(await fetch(`${api.url}/api/v1/debug`)))['env'] as Record<string, string>;
  assert.match(env['DATABASE_URL'] ?? '', /fake-password/);
  assert.equal('PATH' in env, false);
});

test('GET /api/v1/echo-headers returns the headers it received', async (t) => {
  const api = await start(t);
  const body = await json(await fetch(`${api.url}/api/v1/echo-headers`, { headers: { 'x-probe': 'one', authorization: 'Bearer abc' } }));
  assert.equal(body['x-probe'], 'one');
  assert.equal(body['authorization'], 'Bearer abc');
});

test('a declared body over 1 MiB is refused with 413 and the connection closed', async (t) => {
  const api = await start(t);
  const res = await rawRequest(`${api.url}/api/v1/tasks`, { 'content-length': MAX_BODY_BYTES + 1 }, [Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)]);
  assert.equal(res.status, 413);
  assert.equal(res.headers['connection'], 'close');
});

test('a chunked body that grows past 1 MiB is refused with 413', async (t) => {
  const api = await start(t);
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  const res = await rawRequest(`${api.url}/api/v1/tasks`, { 'transfer-encoding': 'chunked' }, [chunk, chunk, chunk, chunk, chunk]);
  assert.equal(res.status, 413);
});

test('a body of exactly 1 MiB is read', async (t) => {
  const api = await start(t);
  const text = JSON.stringify({ title: 'x', pad: '' });
  const body = text.replace('""', `"${' '.repeat(MAX_BODY_BYTES - text.length)}"`);
  const res = await rawRequest(`${api.url}/api/v1/tasks`, { 'content-length': Buffer.byteLength(body) }, [Buffer.from(body)]);
  assert.equal(res.status, 201);
});

test('GET /api/v1/slow waits the requested time before answering', async (t) => {
  const api = await start(t);
  const started = performance.now();
  const body = await json(await fetch(`${api.url}/api/v1/slow?ms=150`));
  assert.equal(body['waitedMs'], 150);
  assert.ok(performance.now() - started >= 140);
});

test('the slow and stream parameters are clamped', () => {
  assert.deepEqual([clampInt('999999', 0, 60_000), clampInt('-5', 0, 10), clampInt('abc', 0, 10), clampInt(null, 0, 10)], [60_000, 0, 0, 0]);
});

test('GET /api/v1/stream sends the chunks 50 ms apart', async (t) => {
  const api = await start(t);
  const res = await fetch(`${api.url}/api/v1/stream?chunks=3`);
  const arrivals: number[] = [];
  const started = performance.now();
  let text = '';
  for await (const part of res.body ?? []) {
    arrivals.push(performance.now() - started);
    text += Buffer.from(part as Uint8Array).toString('utf8');
  }
  assert.deepEqual(text.trim().split('\n').map((l) => JSON.parse(l) as unknown), [0, 1, 2].map((chunk) => ({ chunk, of: 3 })));
  assert.ok(arrivals.length >= 2, 'chunks arrive separately');
  assert.ok((arrivals.at(-1) ?? 0) >= 90);
});

test('close() does not wait for a pending slow request', async (t) => {
  const api = await start(t);
  const pending = fetch(`${api.url}/api/v1/slow?ms=60000`).then(
    () => 'answered',
    () => 'dropped',
  );
  await new Promise((r) => setTimeout(r, 50));
  const started = performance.now();
  await api.close();
  assert.ok(performance.now() - started < 1000);
  assert.equal(await pending, 'dropped');
});

test('the seed option replaces the demo data, and instances do not share state', async (t) => {
  const one = await start(t, { seed: { tasks: [] } });
  const two = await start(t);
  await post(`${one.url}/api/v1/tasks`, { title: 'only here' });
  assert.equal(one.state.tasks.size, 1);
  assert.equal(two.state.tasks.size, SEED_TASKS.length);
});

test('createTasksApi builds a server without listening', () => {
  const { server, state } = createTasksApi();
  assert.equal(server.listening, false);
  assert.equal(state.users.size, 3);
});

