/**
 * Seed data of the sample Tasks API: three demo users and a handful of tasks. Every secret here is
 * fake; the password hashes and notes exist so the demo can show the gateway removing them from
 * responses. The user ids double as the `sub` of the demo identity provider's users.
 */

/** Priority of a task, as the OpenAPI document of the sample API declares it. */
export type Priority = 'low' | 'normal' | 'high';

/** A user of the sample API, with the fields it should never have exposed. */
export interface DemoUser {
  /** Stable id; also the `x-user-id` the sample API trusts and the owner id of tasks. */
  id: string;
  /** Display name. */
  name: string;
  /** Email address (example.com, not routable). */
  email: string;
  /** Role in the demo's permission table. */
  role: 'viewer' | 'editor' | 'admin';
  /** ABAC attribute: the department whose reports the user may read. */
  department: string;
  /** ABAC attribute: the highest report classification the user may read. */
  clearance: number;
  /** A fake bcrypt-looking hash; the gateway's response filter removes it. */
  passwordHash: string;
  /** Fake HR notes; the gateway's response filter removes them. */
  internalNotes: string;
}

/** A task as the sample API's schema describes it. */
export interface Task {
  /** Server-assigned id (`task-1`, …). */
  id: string;
  /** 1–200 characters. */
  title: string;
  /** Up to 2000 characters. */
  description: string;
  /** low, normal or high. */
  priority: Priority;
  /** Due date, `YYYY-MM-DD`. */
  dueDate: string;
  /** Id of the user who owns the task. */
  ownerId: string;
  /** Creation time, ISO 8601. */
  createdAt: string;
}

/** Initial data for one sample API instance. */
export interface TasksSeed {
  /** Users; defaults to {@link SEED_USERS}. */
  users?: readonly DemoUser[];
  /** Tasks; defaults to {@link SEED_TASKS}. */
  tasks?: readonly Task[];
}

/**
 * The demo users: alice (editor, engineering, clearance 2), bob (viewer, sales, clearance 1) and
 * carol (admin, engineering, clearance 3).
 *
 * @example
 * ```ts
 * SEED_USERS.find((u) => u.id === 'bob')?.department // 'sales'
 * ```
 */
export const SEED_USERS: readonly DemoUser[] = Object.freeze([
  {
    id: 'alice',
    name: 'Alice Example',
    email: 'alice@example.com',
    role: 'editor',
    department: 'engineering',
    clearance: 2,
    passwordHash: '$2b$12$FAKEFAKEFAKEFAKEFAKE.uAliceDemoHashNotARealOne000000',
    internalNotes: 'Fake note: performance review pending; salary band E4.',
  },
  {
    id: 'bob',
    name: 'Bob Example',
    email: 'bob@example.com',
    role: 'viewer',
    department: 'sales',
    clearance: 1,
    passwordHash: '$2b$12$FAKEFAKEFAKEFAKEFAKE.uBobDemoHashNotARealOne00000000',
    internalNotes: 'Fake note: on a performance improvement plan.',
  },
  {
    id: 'carol',
    name: 'Carol Example',
    email: 'carol@example.com',
    role: 'admin',
    department: 'engineering',
    clearance: 3,
    passwordHash: '$2b$12$FAKEFAKEFAKEFAKEFAKE.uCarolDemoHashNotARealOne000000',
    internalNotes: 'Fake note: holds the break-glass credentials for production.',
  },
]);

/**
 * The demo tasks: two for each user, fixed dates so tests can match on them.
 *
 * @example
 * ```ts
 * SEED_TASKS.filter((t) => t.ownerId === 'alice').length // 2
 * ```
 */
export const SEED_TASKS: readonly Task[] = Object.freeze([
  task('task-1', 'Write the threat model', 'STRIDE pass over the gateway design.', 'high', '2030-01-15', 'alice'),
  task('task-2', 'Review pull requests', 'The backlog of open reviews.', 'normal', '2030-01-20', 'alice'),
  task('task-3', 'Call the Acme account', 'Renewal is due next quarter.', 'high', '2030-02-01', 'bob'),
  task('task-4', 'Update the sales deck', 'New pricing slide.', 'low', '2030-02-10', 'bob'),
  task('task-5', 'Rotate the signing keys', 'Quarterly key rotation.', 'high', '2030-01-31', 'carol'),
  task('task-6', 'Audit admin accounts', 'Remove stale administrators.', 'normal', '2030-03-01', 'carol'),
]);

function task(id: string, title: string, description: string, priority: Priority, dueDate: string, ownerId: string): Task {
  return Object.freeze({ id, title, description, priority, dueDate, ownerId, createdAt: '2025-01-01T09:00:00.000Z' });
}
