/**
 * The sample "Tasks API" that the demo puts behind the gateway. It is deliberately naive: it trusts
 * the `x-user-id` header, returns everyone's data, accepts any field (mass assignment), builds SQL
 * by concatenation, leaks secrets and still serves an old version and a debug route. Every defence
 * in the demo is the gateway's. The only limit it keeps is a 1 MiB cap on request bodies.
 *
 * Every response carries `X-Powered-By: Express` and `Server: tasks-api/0.1`, for the gateway to
 * strip. The route table is in `tasks-routes.ts`; what each route is for is in DEMO.md.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { HttpError, sendJson } from './tasks-http.js';
import { routeRequest } from './tasks-routes.js';
import type { TaskRecord, TasksApiState } from './tasks-routes.js';
import { SEED_TASKS, SEED_USERS } from './tasks-seed.js';
import type { TasksSeed } from './tasks-seed.js';

export type { TaskRecord, TasksApiState, WebhookRecord } from './tasks-routes.js';
export type { DemoUser, Priority, Task, TasksSeed } from './tasks-seed.js';
export { MAX_BODY_BYTES } from './tasks-http.js';

/** Options of {@link createTasksApi}. */
export interface TasksApiOptions {
  /** Initial users and tasks; the demo seed ({@link SEED_USERS}, {@link SEED_TASKS}) when omitted. Copied, never mutated. */
  seed?: TasksSeed;
}

/** Options of {@link startTasksApi}. */
export interface StartTasksApiOptions extends TasksApiOptions {
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** Port; default 0 (a free port chosen by the OS). */
  port?: number;
}

/** A sample API that is built but not listening. */
export interface TasksApi {
  /** The node:http server; call `listen` on it. */
  readonly server: Server;
  /** Its in-memory data. */
  readonly state: TasksApiState;
}

/** A listening sample API. */
export interface RunningTasksApi extends TasksApi {
  /** Base URL, e.g. `http://127.0.0.1:43117` (no trailing slash). */
  readonly url: string;
  /** Stops listening and drops open connections (and their pending timers); safe to call twice. */
  close(): Promise<void>;
}

/**
 * Builds the sample API without listening.
 *
 * @example
 * ```ts
 * const { server, state } = createTasksApi();
 * server.listen(0, '127.0.0.1');
 * state.tasks.size // 6
 * ```
 */
export function createTasksApi(options: TasksApiOptions = {}): TasksApi {
  const users = structuredClone(options.seed?.users ?? SEED_USERS);
  const tasks = structuredClone(options.seed?.tasks ?? SEED_TASKS);
  const state: TasksApiState = {
    users: new Map(users.map((u) => [u.id, u])),
    tasks: new Map(tasks.map((t): [string, TaskRecord] => [t.id, { ...t }])),
    webhooks: [],
    exportCalls: 0,
  };
  const server = createServer((req, res) => {
    res.setHeader('X-Powered-By', 'Express');
    res.setHeader('Server', 'tasks-api/0.1');
    routeRequest(state, req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else if (err instanceof HttpError) {
        // The rest of an oversized body is not worth reading: answer, then drop the connection.
        if (err.status === 413) res.setHeader('Connection', 'close');
        sendJson(res, err.status, { error: err.message });
      } else {
        sendJson(res, 500, { error: 'internal error' });
      }
    });
  });
  return { server, state };
}

/**
 * Creates the sample API and listens on `host:port` (default: loopback, a free port).
 *
 * @example
 * ```ts
 * const api = await startTasksApi();
 * const res = await fetch(`${api.url}/api/v1/tasks`); // everyone's tasks
 * await api.close();
 * ```
 */
export async function startTasksApi(options: StartTasksApiOptions = {}): Promise<RunningTasksApi> {
  const { server, state } = createTasksApi(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tasks-api: not listening on a TCP port');
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    state,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
