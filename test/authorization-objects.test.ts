/**
 * Object- and property-level authorization through the whole gateway, in front of an upstream
 * that mimics the demo's naive Tasks API: it returns everyone's tasks, accepts any field and
 * leaks password hashes. Callers authenticate with API keys (alice: editor, bob: viewer, carol:
 * admin); everything refused here is refused by the gateway.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateApiKey } from '../src/policies/api-key/key-format.js';
import { problemOf, send, type Reply } from './helpers/client.js';
import { startTestGateway, type LogLine, type TestGateway } from './helpers/gateway.js';

const keys = { alice: generateApiKey(), bob: generateApiKey(), carol: generateApiKey() };
type Caller = keyof typeof keys;

const BOB_TITLE = 'Bob private plan: acquire the competitor';

interface Task { id: string; title: string; ownerId: string; createdAt: string; [k: string]: unknown }

function seedTasks(): Map<string, Task> {
  const tasks: Task[] = [
    { id: 'task-1', title: 'Alice writes the spec', ownerId: 'alice', createdAt: '2026-01-01T00:00:00Z' },
    { id: 'task-2', title: BOB_TITLE, ownerId: 'bob', createdAt: '2026-01-02T00:00:00Z' },
    { id: 'task-3', title: 'Alice reviews the plan', ownerId: 'alice', createdAt: '2026-01-03T00:00:00Z' },
  ];
  return new Map(tasks.map((t) => [t.id, t]));
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The naive Tasks API: no checks of its own. */
function tasksApi(tasks: Map<string, Task>): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> : {};
      const one = /^\/api\/v1\/(?:tasks|by-permission)\/([^/]+)$/.exec(path);
      const profile = /^\/api\/v1\/users\/([^/]+)\/profile$/.exec(path);
      if (path === '/api/v1/tasks' && req.method === 'GET') return json(res, 200, { tasks: [...tasks.values()] });
      if (path === '/api/v1/tasks' && req.method === 'POST') return json(res, 201, { id: 'task-9', ownerId: 'anonymous', createdAt: 'now', ...body });
      if (one !== null) {
        const task = tasks.get(decodeURIComponent(one[1]!));
        if (task === undefined) return json(res, 404, { error: 'task not found' });
        if (req.method === 'PATCH') {
          Object.assign(task, body);
          return json(res, 200, task);
        }
        return json(res, 200, task);
      }
      if (path === '/api/v1/users/me') {
        return json(res, 200, { id: 'alice', name: 'Alice Example', email: 'alice@example.com', passwordHash: '$2b$12$FAKEHASH', internalNotes: 'salary band E4' });
      }
      if (profile !== null) return json(res, 200, { id: profile[1], bio: `profile of ${profile[1]}` });
      const report = /^\/api\/v1\/reports\/([^/]+)$/.exec(path);
      if (report !== null) return json(res, 200, { department: decodeURIComponent(report[1]!), classification: 2, title: 'Quarterly report' });
      return json(res, 404, { error: 'not found' });
    });
  };
}

/** An origin where nothing listens (a lookup there fails to connect). */
async function deadOrigin(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return `http://127.0.0.1:${port}`;
}

async function gateway(t: TestContext): Promise<{ gw: TestGateway; tasks: Map<string, Task> }> {
  const tasks = seedTasks();
  const dead = await deadOrigin();
  const entry = (id: Caller, role: string, clearance: number) => `        - { id: ${id}, prefix: ${keys[id].prefix}, hash: "${keys[id].hash}", roles: [${role}], attributes: { department: engineering, clearance: ${clearance} } }`;
  const gw = await startTestGateway({
    upstream: tasksApi(tasks),
    yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${url}" } }
outbound:
  allow: ["${url}", "${dead}"]
defaults:
  policies:
    api-key:
      keys:
${entry('alice', 'editor', 2)}
${entry('bob', 'viewer', 1)}
${entry('carol', 'admin', 3)}
    rbac:
      roles:
        viewer: { permissions: [read] }
        editor: { permissions: [write], inherits: [viewer] }
        admin: { permissions: [delete, read_any], inherits: [editor] }
routes:
  - path: "/api/v1/by-permission/{taskId}"
    methods: [GET]
    upstream: api
    policies:
      object-level:
        response: { ownerField: ownerId, methods: [GET] }
        bypassPermissions: [read_any]
  - path: /api/v1/tasks
    methods: [GET, POST]
    upstream: api
    policies:
      object-level:
        response: { ownerField: ownerId, listPath: tasks, methods: [GET] }
        bypassRoles: [admin]
      property-level:
        write: { serverOwned: [id, ownerId, createdAt] }
  - path: "/api/v1/tasks/{taskId}"
    methods: [GET, PATCH]
    upstream: api
    policies:
      object-level:
        lookup: { url: "${url}/api/v1/tasks/{taskId}", ownerField: ownerId, methods: [PATCH] }
        response: { ownerField: ownerId, methods: [GET] }
        bypassRoles: [admin]
      property-level:
        write: { serverOwned: [id, ownerId, createdAt], allowForRoles: { admin: [ownerId] } }
  - path: /api/v1/users/me
    methods: [GET]
    upstream: api
    policies:
      property-level:
        read: { remove: [passwordHash, internalNotes] }
  - path: "/api/v1/users/{userId}/profile"
    methods: [GET]
    upstream: api
    policies:
      object-level:
        binding: { source: path, name: userId, equals: user.id }
  - path: "/api/v1/reports/{department}"
    methods: [GET]
    upstream: api
    policies:
      object-level:
        lookup: { url: "${url}/api/v1/reports/{department}", attributes: [classification] }
      abac:
        condition: user.department == resource.department && user.clearance >= resource.classification
  - path: "/api/v1/archive/{taskId}"
    methods: [GET]
    upstream: api
    policies:
      object-level:
        lookup: { url: "${dead}/tasks/{taskId}", ownerField: ownerId, timeoutMs: 1000 }
`,
  });
  t.after(() => gw.close());
  return { gw, tasks };
}

function call(gw: TestGateway, who: Caller | undefined, path: string, options: { method?: string; body?: unknown } = {}): Promise<Reply> {
  const headers: http.OutgoingHttpHeaders = {};
  if (who !== undefined) headers['x-api-key'] = keys[who].key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return send(`${gw.url}${path}`, { ca: gw.ca, method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
}

function authorizationAudit(gw: TestGateway, match: (line: LogLine) => boolean): Promise<LogLine> {
  return gw.waitForLog((l) => l.event === 'audit' && l.type === 'authorization' && match(l));
}

// ── object-level: response check ──────────────────────────────────────────────

test('alice reading bob\'s task gets 404 object-level.not_found and none of its content', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks/task-2');
  problemOf(reply, 404, 'object-level.not_found');
  assert.deepEqual([reply.text.includes(BOB_TITLE), reply.text.includes('task-2'), reply.text.includes('bob')], [false, false, false]);
});

test('the refusal is audited with the rule and the reason', async (t) => {
  const { gw } = await gateway(t);
  await call(gw, 'alice', '/api/v1/tasks/task-2');
  const audit = await authorizationAudit(gw, (l) => l.outcome === 'failure');
  assert.deepEqual([audit.policy, audit.rule, audit.reason, audit.principal], ['object-level', 'object-level: response ownerId == user.id', 'not_owner', 'alice']);
});

test('a task that does not exist gets the same answer as another\'s (existence is not confirmed)', async (t) => {
  const { gw } = await gateway(t);
  const other = problemOf(await call(gw, 'alice', '/api/v1/tasks/task-2'), 404, 'object-level.not_found');
  const missing = problemOf(await call(gw, 'alice', '/api/v1/tasks/task-404'), 404, 'object-level.not_found');
  assert.deepEqual({ ...other, requestId: '' }, { ...missing, requestId: '' });
});

test('alice reads her own task, and the decision is audited as a success', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks/task-1');
  assert.deepEqual([reply.status, (JSON.parse(reply.text) as Task).title], [200, 'Alice writes the spec']);
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.outcome, audit.rule], ['success', 'object-level: response ownerId == user.id']);
});

test('the list of tasks is filtered to the caller\'s own', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks');
  const { tasks } = JSON.parse(reply.text) as { tasks: Task[] };
  assert.deepEqual([reply.status, tasks.map((x) => x.id), reply.text.includes(BOB_TITLE)], [200, ['task-1', 'task-3'], false]);
});

test('a filtered list is audited with how many items were removed', async (t) => {
  const { gw } = await gateway(t);
  await call(gw, 'bob', '/api/v1/tasks');
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.outcome, audit.reason], ['success', 'filtered: 2 of 3 items removed']);
});

test('the filtered list has a content-length that matches its body', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'bob', '/api/v1/tasks');
  assert.equal(reply.headers['content-length'], String(reply.body.length));
});

// ── admin override ────────────────────────────────────────────────────────────

test('a role granting a bypassPermissions permission in rbac\'s table reads another\'s task', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'carol', '/api/v1/by-permission/task-2');
  assert.deepEqual([reply.status, (JSON.parse(reply.text) as Task).title], [200, BOB_TITLE]);
});

test('a role without that permission still gets 404 on another\'s task', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/by-permission/task-2');
  assert.equal(reply.status, 404);
});

test('an admin (bypassRoles) sees every task of the list', async (t) => {
  const { gw } = await gateway(t);
  const { tasks } = JSON.parse((await call(gw, 'carol', '/api/v1/tasks')).text) as { tasks: Task[] };
  assert.deepEqual(tasks.map((x) => x.id), ['task-1', 'task-2', 'task-3']);
});

test('an admin reads bob\'s task, and the bypass is audited with its rule', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'carol', '/api/v1/tasks/task-2');
  assert.deepEqual([reply.status, (JSON.parse(reply.text) as Task).title], [200, BOB_TITLE]);
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.outcome, audit.rule, audit.principal], ['success', 'object-level: bypass role admin', 'carol']);
});

// ── object-level: lookup ──────────────────────────────────────────────────────

test('alice patching bob\'s task is 404 and the PATCH never reaches the upstream', async (t) => {
  const { gw, tasks } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks/task-2', { method: 'PATCH', body: { title: 'mine now' } });
  problemOf(reply, 404, 'object-level.not_found');
  assert.deepEqual([gw.upstream.requests.map((r) => r.method), tasks.get('task-2')!.title], [['GET'], BOB_TITLE]);
});

test('the lookup refusal is audited with the lookup rule', async (t) => {
  const { gw } = await gateway(t);
  await call(gw, 'alice', '/api/v1/tasks/task-2', { method: 'PATCH', body: { title: 'x' } });
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.outcome, audit.rule, audit.reason], ['failure', 'object-level: lookup ownerId == user.id', 'not_owner']);
});

test('alice patches her own task after a lookup that finds her the owner', async (t) => {
  const { gw, tasks } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks/task-1', { method: 'PATCH', body: { title: 'Alice rewrites the spec' } });
  assert.deepEqual([reply.status, tasks.get('task-1')!.title], [200, 'Alice rewrites the spec']);
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.outcome, audit.rule], ['success', 'object-level: lookup ownerId == user.id']);
});

test('a lookup whose upstream is down fails closed with 503 object-level.unavailable', async (t) => {
  const { gw } = await gateway(t);
  problemOf(await call(gw, 'alice', '/api/v1/archive/task-1'), 503, 'object-level.unavailable');
  assert.equal(gw.upstream.requests.length, 0);
});

test('the failed lookup is audited with the outbound failure', async (t) => {
  const { gw } = await gateway(t);
  await call(gw, 'alice', '/api/v1/archive/task-1');
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.outcome, audit.reason], ['failure', 'lookup_failed: outbound.failed']);
});

test('a request without a credential is refused before any lookup is made', async (t) => {
  const { gw } = await gateway(t);
  problemOf(await call(gw, undefined, '/api/v1/tasks/task-1', { method: 'PATCH', body: { title: 'x' } }), 401, 'authenticate.required');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a lookup\'s attributes reach an abac condition: clearance 2 reads a classification-2 report', async (t) => {
  const { gw } = await gateway(t);
  assert.equal((await call(gw, 'alice', '/api/v1/reports/engineering')).status, 200);
});

test('a lookup\'s attributes reach an abac condition: clearance 1 is refused', async (t) => {
  const { gw } = await gateway(t);
  problemOf(await call(gw, 'bob', '/api/v1/reports/engineering'), 403, 'abac.forbidden');
});

// ── object-level: binding ─────────────────────────────────────────────────────

test('a binding lets alice read /users/alice/profile', async (t) => {
  const { gw } = await gateway(t);
  assert.equal((await call(gw, 'alice', '/api/v1/users/alice/profile')).status, 200);
});

test('a binding refuses alice on /users/bob/profile with 404 and audits why', async (t) => {
  const { gw } = await gateway(t);
  problemOf(await call(gw, 'alice', '/api/v1/users/bob/profile'), 404, 'object-level.not_found');
  const audit = await authorizationAudit(gw, (l) => l.policy === 'object-level');
  assert.deepEqual([audit.rule, audit.reason, gw.upstream.requests.length], ['object-level: binding path.userId == user.id', 'not_bound_to_caller', 0]);
});

// ── property-level: write ─────────────────────────────────────────────────────

test('PATCH with ownerId is refused with 400 property-level.read_only_property and a pointer', async (t) => {
  const { gw, tasks } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks/task-1', { method: 'PATCH', body: { title: 'x', ownerId: 'mallory' } });
  const problem = problemOf(reply, 400, 'property-level.read_only_property');
  assert.deepEqual([problem.errors, reply.text.includes('mallory'), tasks.get('task-1')!.ownerId], [[{ pointer: '/ownerId', in: 'body', reason: 'read-only' }], false, 'alice']);
});

test('the refused PATCH is audited with the property names', async (t) => {
  const { gw } = await gateway(t);
  await call(gw, 'alice', '/api/v1/tasks/task-1', { method: 'PATCH', body: { ownerId: 'mallory', createdAt: 'x' } });
  const audit = await authorizationAudit(gw, (l) => l.policy === 'property-level');
  assert.deepEqual([audit.outcome, audit.rule, audit.reason], ['failure', 'property-level: write serverOwned id, ownerId, createdAt', 'read_only: ownerId, createdAt']);
});

test('POST with an id is refused (mass assignment on create)', async (t) => {
  const { gw } = await gateway(t);
  problemOf(await call(gw, 'alice', '/api/v1/tasks', { method: 'POST', body: { title: 'x', id: 'task-1' } }), 400, 'property-level.read_only_property');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a case variant of a server-owned property is refused too', async (t) => {
  const { gw } = await gateway(t);
  const problem = problemOf(await call(gw, 'alice', '/api/v1/tasks', { method: 'POST', body: { title: 'x', OwnerId: 'bob' } }), 400, 'property-level.read_only_property');
  assert.deepEqual(problem.errors, [{ pointer: '/OwnerId', in: 'body', reason: 'read-only' }]);
});

test('an admin may reassign a task (allowForRoles)', async (t) => {
  const { gw, tasks } = await gateway(t);
  const reply = await call(gw, 'carol', '/api/v1/tasks/task-1', { method: 'PATCH', body: { ownerId: 'bob' } });
  assert.deepEqual([reply.status, tasks.get('task-1')!.ownerId], [200, 'bob']);
});

test('a body without server-owned properties is forwarded as sent', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/tasks', { method: 'POST', body: { title: 'new task' } });
  await gw.upstream.recorded(1);
  assert.deepEqual([reply.status, gw.upstream.requests[0]!.body.toString()], [201, '{"title":"new task"}']);
});

// ── property-level: read ──────────────────────────────────────────────────────

test('users/me loses passwordHash and internalNotes and keeps the rest', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/users/me');
  assert.deepEqual(JSON.parse(reply.text), { id: 'alice', name: 'Alice Example', email: 'alice@example.com' });
});

test('the removed fields leave no trace in the response', async (t) => {
  const { gw } = await gateway(t);
  const reply = await call(gw, 'alice', '/api/v1/users/me');
  assert.deepEqual([reply.text.includes('FAKEHASH'), reply.text.includes('salary'), reply.headers['content-length']], [false, false, String(reply.body.length)]);
});

test('the response filtering is audited with what was removed', async (t) => {
  const { gw } = await gateway(t);
  await call(gw, 'alice', '/api/v1/users/me');
  const audit = await authorizationAudit(gw, (l) => l.policy === 'property-level');
  assert.deepEqual([audit.outcome, audit.reason], ['success', 'filtered: passwordHash, internalNotes']);
});
