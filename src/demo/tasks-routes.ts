/**
 * Routes of the sample Tasks API. Each handler is as naive as the demo needs: it trusts the
 * `x-user-id` header, stores whatever fields a client sends and returns whatever it holds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, clampInt, readJsonObject, sendJson } from './tasks-http.js';
import type { DemoUser } from './tasks-seed.js';

const MAX_SLOW_MS = 60_000;
const MAX_STREAM_CHUNKS = 1000;
const STREAM_INTERVAL_MS = 50;

/** A stored task: seeded ones match `Task`, but the API stores whatever a client sent. */
export type TaskRecord = Record<string, unknown>;

/** A registered webhook (stored, never called). */
export interface WebhookRecord {
  /** `wh-1`, `wh-2`, … */
  id: string;
  /** The `url` of the request body, unchecked. */
  url: unknown;
  /** From `x-user-id`, else `anonymous`. */
  ownerId: string;
  /** Registration time, ISO 8601. */
  createdAt: string;
}

/** The in-memory state of one sample API instance; tests may read and change it. */
export interface TasksApiState {
  /** Users by id. */
  readonly users: Map<string, DemoUser>;
  /** Tasks by the id they were stored under. */
  readonly tasks: Map<string, TaskRecord>;
  /** Webhooks in registration order. */
  readonly webhooks: WebhookRecord[];
  /** Calls of the export route so far; every third one answers with a schema-breaking body. */
  exportCalls: number;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  state: TasksApiState;
  params: Record<string, string>;
  query: URLSearchParams;
}

type Handler = (ctx: Ctx) => void | Promise<void>;

const ROUTES: ReadonlyArray<{ path: readonly string[]; methods: Readonly<Record<string, Handler>> }> = [
  { path: ['api', 'v1', 'tasks'], methods: { GET: listTasks, POST: createTask } },
  { path: ['api', 'v1', 'tasks', 'search'], methods: { GET: searchTasks } },
  { path: ['api', 'v1', 'tasks', '{taskId}'], methods: { GET: getTask, PATCH: patchTask, DELETE: deleteTask } },
  { path: ['api', 'v1', 'tasks', '{taskId}', 'export'], methods: { GET: exportTask } },
  { path: ['api', 'v1', 'users', 'me'], methods: { GET: getMe } },
  { path: ['api', 'v1', 'admin', 'users'], methods: { GET: (c) => sendJson(c.res, 200, { users: [...c.state.users.values()] }) } },
  { path: ['api', 'v1', 'reports', '{department}'], methods: { GET: getReport } },
  { path: ['api', 'v1', 'webhooks'], methods: { POST: createWebhook } },
  { path: ['api', 'v1', 'signup'], methods: { POST: accepted('Check your inbox to confirm the account.') } },
  { path: ['api', 'v1', 'password-reset'], methods: { POST: accepted('If the account exists, a reset link has been sent.') } },
  { path: ['api', 'v0', 'tasks'], methods: { GET: listTasksV0 } },
  { path: ['api', 'v1', 'debug'], methods: { GET: debug } },
  { path: ['api', 'v1', 'echo-headers'], methods: { GET: (c) => sendJson(c.res, 200, c.req.headers) } },
  { path: ['api', 'v1', 'slow'], methods: { GET: slow } },
  { path: ['api', 'v1', 'stream'], methods: { GET: stream } },
];

/**
 * Answers one request from `state`: the matching route's handler, 405 with Allow for a known path
 * and another method, 404 for anything else. Throws HttpError for refusals (the caller renders it).
 *
 * @example
 * ```ts
 * createServer((req, res) => void routeRequest(state, req, res).catch(renderError));
 * ```
 */
export async function routeRequest(state: TasksApiState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  let segments: string[];
  try {
    segments = (q === -1 ? raw : raw.slice(0, q)).split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, 'malformed path');
  }
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  const allowed = new Set<string>();
  for (const route of ROUTES) {
    const params = match(route.path, segments);
    if (params === undefined) continue;
    const handler = route.methods[method];
    if (handler !== undefined) {
      await handler({ req, res, state, params, query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)) });
      return;
    }
    for (const m of Object.keys(route.methods)) allowed.add(m);
  }
  if (allowed.size === 0) throw new HttpError(404, 'not found');
  res.setHeader('Allow', [...allowed].join(', '));
  throw new HttpError(405, 'method not allowed');
}

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith('{')) {
      if (s === '') return undefined;
      params[p.slice(1, -1)] = s;
    } else if (p !== s) {
      return undefined;
    }
  }
  return params;
}

function listTasks(c: Ctx): void {
  sendJson(c.res, 200, { tasks: [...c.state.tasks.values()] });
}

async function createTask(c: Ctx): Promise<void> {
  const body = await readJsonObject(c.req);
  let n = c.state.tasks.size + 1;
  while (c.state.tasks.has(`task-${n}`)) n++;
  const now = new Date().toISOString();
  const task: TaskRecord = { id: `task-${n}`, priority: 'normal', ownerId: callerId(c.req) ?? 'anonymous', createdAt: now, ...body };
  const key = String(task['id']);
  c.state.tasks.set(key, task);
  c.res.setHeader('Location', `/api/v1/tasks/${encodeURIComponent(key)}`);
  sendJson(c.res, 201, task);
}

function searchTasks(c: Ctx): void {
  const q = c.query.get('q') ?? '';
  const needle = q.toLowerCase();
  const results = [...c.state.tasks.values()].filter((t) => String(t['title']).toLowerCase().includes(needle));
  sendJson(c.res, 200, { query: "SELECT * FROM tasks WHERE title LIKE '%" + q + "%'", results });
}

function getTask(c: Ctx): void {
  sendJson(c.res, 200, findTask(c));
}

async function patchTask(c: Ctx): Promise<void> {
  const task = findTask(c);
  const updated = { ...task, ...(await readJsonObject(c.req)) };
  c.state.tasks.set(c.params['taskId']!, updated);
  sendJson(c.res, 200, updated);
}

function deleteTask(c: Ctx): void {
  findTask(c);
  c.state.tasks.delete(c.params['taskId']!);
  c.res.writeHead(204).end();
}

function exportTask(c: Ctx): void {
  const task = findTask(c);
  c.state.exportCalls++;
  if (c.state.exportCalls % 3 !== 0) {
    sendJson(c.res, 200, task);
    return;
  }
  const broken: TaskRecord = { ...task, priority: 'URGENT!!' };
  delete broken['title'];
  sendJson(c.res, 200, broken);
}

function getMe(c: Ctx): void {
  const user = c.state.users.get(callerId(c.req) ?? 'alice');
  if (user === undefined) throw new HttpError(404, 'user not found');
  sendJson(c.res, 200, user);
}

function getReport(c: Ctx): void {
  const department = c.params['department']!;
  sendJson(c.res, 200, {
    department,
    classification: 2,
    title: `Quarterly report: ${department}`,
    period: '2025-Q4',
    figures: { revenue: 1_250_000, headcount: 42, openTasks: c.state.tasks.size },
  });
}

async function createWebhook(c: Ctx): Promise<void> {
  const body = await readJsonObject(c.req);
  const hook: WebhookRecord = {
    id: `wh-${c.state.webhooks.length + 1}`,
    url: body['url'],
    ownerId: callerId(c.req) ?? 'anonymous',
    createdAt: new Date().toISOString(),
  };
  c.state.webhooks.push(hook);
  sendJson(c.res, 201, hook);
}

function accepted(message: string): Handler {
  return async (c) => {
    await readJsonObject(c.req);
    sendJson(c.res, 202, { status: 'accepted', message });
  };
}

function listTasksV0(c: Ctx): void {
  const tasks = [...c.state.tasks.values()].map((t) => ({ ...t, owner: c.state.users.get(String(t['ownerId'])) ?? null }));
  sendJson(c.res, 200, { apiVersion: 'v0', deprecated: true, tasks });
}

function debug(c: Ctx): void {
  // Fake values only: the demo shows the gateway hiding this route, not a real leak.
  sendJson(c.res, 200, {
    debug: true,
    env: {
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://tasks:fake-password@db.internal.example:5432/tasks',
      JWT_SECRET: 'fake-dev-secret-not-used-anywhere',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    tasks: c.state.tasks.size,
    users: c.state.users.size,
  });
}

function slow(c: Ctx): void {
  const ms = clampInt(c.query.get('ms'), 0, MAX_SLOW_MS);
  const timer = setTimeout(() => sendJson(c.res, 200, { waitedMs: ms }), ms);
  c.res.on('close', () => clearTimeout(timer));
}

function stream(c: Ctx): void {
  const chunks = clampInt(c.query.get('chunks'), 0, MAX_STREAM_CHUNKS);
  c.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (sent === chunks) {
      c.res.end();
      return;
    }
    c.res.write(`${JSON.stringify({ chunk: sent, of: chunks })}\n`);
    sent++;
    timer = setTimeout(next, sent === chunks ? 0 : STREAM_INTERVAL_MS);
  };
  c.res.on('close', () => clearTimeout(timer));
  next();
}

function findTask(c: Ctx): TaskRecord {
  const task = c.state.tasks.get(c.params['taskId']!);
  if (task === undefined) throw new HttpError(404, 'task not found');
  return task;
}

function callerId(req: IncomingMessage): string | undefined {
  const v = req.headers['x-user-id'];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
