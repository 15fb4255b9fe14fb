/**
 * One scenario table run against the gateway and every adapter (test/adapters-scenarios.test.ts):
 * the same config (the gateway's adds its listener, upstream and an identity header), the same
 * app behind it, the same requests, and the same answers expected — status, code, problem body
 * and headers. Rows run in order: a rate-limit row sends `warmup` requests first.
 */
import assert from 'node:assert/strict';
import { generateApiKey } from '../../src/policies/api-key/key-format.js';
import { REDIS_URL } from '../../src/stores/redis-test-helpers.js';
import type { PortcullisConfig } from '../../src/index.js';
import { send, type Reply } from './client.js';

/** The API keys of the table: alice edits, bob only reads. */
export const KEYS = { alice: generateApiKey(), bob: generateApiKey() } as const;

/** The browser origin CORS allows. */
export const APP_ORIGIN = 'https://app.example.com';

/** The OpenAPI document of the schema-validation rows (write it as `openapi.yaml` in baseDir). */
export const OPENAPI_DOCUMENT = `
openapi: 3.0.3
info: { title: Items, version: '1' }
paths:
  /api/v1/items:
    post:
      operationId: createItem
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [title]
              properties:
                title: { type: string, minLength: 1, maxLength: 100 }
      responses:
        '200':
          description: created
          content:
            application/json:
              schema: { type: object, required: [id, principal], properties: { id: { type: string }, principal: { type: string } } }
`;

/**
 * The config every target runs, in the library's shape (no listener, no upstream).
 *
 * @example
 * ```ts
 * await portcullis(scenarioConfig(uniquePrefix()), { baseDir, unmatched: 'deny' });
 * ```
 */
export function scenarioConfig(redisPrefix: string): PortcullisConfig {
  const limit = [{ name: 'burst', rate: '2/hour', algorithm: 'token-bucket', burst: 2, key: 'principal' }] as const;
  return {
    defaults: {
      policies: {
        'api-key': {
          keys: [
            { id: 'alice', prefix: KEYS.alice.prefix, hash: KEYS.alice.hash, roles: ['editor'] },
            { id: 'bob', prefix: KEYS.bob.prefix, hash: KEYS.bob.hash, roles: ['viewer'] },
          ],
        },
        rbac: { roles: { viewer: { permissions: ['read'] }, editor: { permissions: ['write'], inherits: ['viewer'] } } },
        cors: { origins: [APP_ORIGIN], methods: ['GET', 'POST'], allowedHeaders: ['x-api-key', 'content-type'], maxAgeSec: 60 },
      },
    },
    routes: [
      { path: '/api/tasks', methods: ['GET'], policies: { rbac: { require: ['read'] } } },
      { path: '/api/tasks', methods: ['POST'], policies: { rbac: { require: ['write'] } } },
      { path: '/api/limited', methods: ['GET'], policies: { rbac: { require: ['read'] }, 'rate-limit': { limits: limit } } },
      { path: '/api/limited-redis', methods: ['GET'], policies: { rbac: { require: ['read'] }, 'rate-limit': { store: { type: 'redis', url: REDIS_URL, keyPrefix: redisPrefix }, limits: limit } } },
    ],
    openapi: { document: 'openapi.yaml', operations: [{ policies: { rbac: { require: ['write'] } } }] },
  };
}

/**
 * The same config for the gateway: an upstream for every route, and the principal's id sent to
 * it in a header (what req.principal is inside an app).
 *
 * @example
 * ```ts
 * startTestGateway({ tls: false, files: { 'openapi.yaml': OPENAPI_DOCUMENT }, config: gatewayScenarioConfig(prefix) });
 * ```
 */
export function gatewayScenarioConfig(redisPrefix: string): Record<string, unknown> {
  const config = JSON.parse(JSON.stringify(scenarioConfig(redisPrefix))) as { defaults: { policies: Record<string, unknown> }; routes: Array<Record<string, unknown>>; openapi: Record<string, unknown> };
  config.defaults.policies.transform = { request: { identityHeaders: { 'x-principal-id': 'id' } } };
  for (const route of config.routes) route.upstream = 'api';
  config.openapi.upstream = 'api';
  return config;
}

/**
 * What the app (and the gateway's upstream) answers: 200 with the caller's id as it saw it.
 *
 * @example
 * ```ts
 * res.status(200).json(appAnswer(req.path, req.principal?.id));
 * ```
 */
export function appAnswer(path: string, principal: string | undefined): Record<string, unknown> {
  return path === '/api/v1/items' ? { id: '1', principal: principal ?? 'anonymous' } : { principal: principal ?? 'anonymous' };
}

/** A header expectation: an exact value, a pattern, or null for "absent". */
export type HeaderExpectation = string | RegExp | null;

/** One row. */
export interface Scenario {
  readonly name: string;
  readonly request: { readonly method: string; readonly path: string; readonly headers?: Readonly<Record<string, string>>; readonly body?: string };
  /** Sent this many times first (each answered 200), for rate limits. */
  readonly warmup?: number;
  readonly expect: {
    readonly status: number;
    readonly code?: string;
    /** The principal the app saw (the body of a 200). */
    readonly principal?: string;
    readonly headers?: Readonly<Record<string, HeaderExpectation>>;
  };
}

const alice = { 'x-api-key': KEYS.alice.key };
const bob = { 'x-api-key': KEYS.bob.key };
const json = { 'content-type': 'application/json' };
const SECURE: Readonly<Record<string, HeaderExpectation>> = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'content-security-policy': /default-src 'none'/, 'strict-transport-security': null, 'x-powered-by': null, 'x-request-id': /^[\w.:-]{8,128}$/ };
const PROBLEM = { 'content-type': 'application/problem+json', ...SECURE };

/** The table. */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'no credential: 401 authenticate.required with the ApiKey challenge', request: { method: 'GET', path: '/api/tasks' }, expect: { status: 401, code: 'authenticate.required', headers: { ...PROBLEM, 'www-authenticate': 'ApiKey header="X-API-Key"' } } },
  { name: 'a wrong API key: 401 authenticate.invalid_credentials', request: { method: 'GET', path: '/api/tasks', headers: { 'x-api-key': `${KEYS.alice.key.slice(0, -4)}AAAA` } }, expect: { status: 401, code: 'authenticate.invalid_credentials', headers: PROBLEM } },
  { name: 'a role without the permission: 403 rbac.forbidden', request: { method: 'POST', path: '/api/tasks', headers: bob }, expect: { status: 403, code: 'rbac.forbidden', headers: PROBLEM } },
  { name: 'allowed: 200, the app sees the principal, security headers and no-store', request: { method: 'GET', path: '/api/tasks', headers: alice }, expect: { status: 200, principal: 'alice', headers: { ...SECURE, 'cache-control': 'no-store' } } },
  { name: 'allowed write for the editor', request: { method: 'POST', path: '/api/tasks', headers: alice }, expect: { status: 200, principal: 'alice' } },
  { name: 'memory rate limit: the third request is 429 with Retry-After', warmup: 2, request: { method: 'GET', path: '/api/limited', headers: bob }, expect: { status: 429, code: 'rate-limit.exceeded', headers: { ...PROBLEM, 'retry-after': '1800' } } },
  { name: 'Redis rate limit: the third request is 429 with Retry-After', warmup: 2, request: { method: 'GET', path: '/api/limited-redis', headers: bob }, expect: { status: 429, code: 'rate-limit.exceeded', headers: { ...PROBLEM, 'retry-after': '1800' } } },
  { name: 'schema violation: 400 openapi.invalid_request with the violations', request: { method: 'POST', path: '/api/v1/items', headers: { ...alice, ...json }, body: '{"title":5,"extra":true}' }, expect: { status: 400, code: 'openapi.invalid_request', headers: PROBLEM } },
  { name: 'malformed JSON on a validated route: 400 request.invalid_json', request: { method: 'POST', path: '/api/v1/items', headers: { ...alice, ...json }, body: '{"title":' }, expect: { status: 400, code: 'request.invalid_json', headers: PROBLEM } },
  { name: 'a valid body passes validation both ways', request: { method: 'POST', path: '/api/v1/items', headers: { ...alice, ...json }, body: '{"title":"milk"}' }, expect: { status: 200, principal: 'alice' } },
  { name: 'CORS preflight from the allowed origin: 204 with the allow headers', request: { method: 'OPTIONS', path: '/api/tasks', headers: { origin: APP_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' } }, expect: { status: 204, code: undefined, headers: { 'access-control-allow-origin': APP_ORIGIN, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'x-api-key', 'access-control-max-age': '60', 'content-type': null } } },
  { name: 'CORS preflight from another origin: refused without CORS headers', request: { method: 'OPTIONS', path: '/api/tasks', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } }, expect: { status: 403, code: 'cors.preflight_denied', headers: { 'access-control-allow-origin': null, 'access-control-allow-methods': null } } },
  { name: 'CORS on an allowed request from the allowed origin', request: { method: 'GET', path: '/api/tasks', headers: { ...alice, origin: APP_ORIGIN } }, expect: { status: 200, principal: 'alice', headers: { 'access-control-allow-origin': APP_ORIGIN, vary: /Origin/ } } },
  { name: 'no route: 404 route.not_found', request: { method: 'GET', path: '/api/nothing', headers: alice }, expect: { status: 404, code: 'route.not_found', headers: PROBLEM } },
  { name: 'another method: 405 with Allow', request: { method: 'DELETE', path: '/api/tasks', headers: alice }, expect: { status: 405, code: 'route.method_not_allowed', headers: { ...PROBLEM, allow: 'GET, POST' } } },
  { name: 'an encoded slash: 400 request.invalid_path', request: { method: 'GET', path: '/api/tasks%2f..%2fadmin', headers: alice }, expect: { status: 400, code: 'request.invalid_path', headers: PROBLEM } },
];

/** What a target answered to a row, in the form compared across targets. */
export interface Observed {
  readonly status: number;
  /** The problem body without its requestId, or undefined for a success. */
  readonly problem: Record<string, unknown> | undefined;
  /** The principal the app saw, for a 200. */
  readonly principal: string | undefined;
  /** The row's listed headers (absent: undefined). */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/**
 * Sends a row's requests to `baseUrl` and returns what came back for the last one.
 *
 * @example
 * ```ts
 * const observed = await exercise('http://127.0.0.1:3000', SCENARIOS[0]);
 * ```
 */
export async function exercise(baseUrl: string, row: Scenario): Promise<Observed> {
  const options = { method: row.request.method, headers: row.request.headers ?? {}, ...(row.request.body === undefined ? {} : { body: row.request.body }) };
  for (let i = 0; i < (row.warmup ?? 0); i++) assert.equal((await send(`${baseUrl}${row.request.path}`, options)).status, 200, `warm-up request ${i + 1}`);
  return observe(await send(`${baseUrl}${row.request.path}`, options), row);
}

function observe(reply: Reply, row: Scenario): Observed {
  const headers: Record<string, string | undefined> = {};
  for (const name of Object.keys(row.expect.headers ?? {})) {
    const value = reply.headers[name];
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  let problem: Record<string, unknown> | undefined;
  let principal: string | undefined;
  if (reply.text !== '') {
    const body = JSON.parse(reply.text) as Record<string, unknown>;
    if (reply.status >= 400) {
      const { requestId, ...rest } = body;
      assert.equal(typeof requestId, 'string', 'a problem carries the request id');
      problem = rest;
    } else {
      principal = body.principal as string;
    }
  }
  return { status: reply.status, problem, principal, headers };
}

/**
 * Asserts a row's expectations on what a target answered.
 *
 * @example
 * ```ts
 * expectRow(row, await exercise(url, row));
 * ```
 */
export function expectRow(row: Scenario, observed: Observed): void {
  assert.equal(observed.status, row.expect.status);
  assert.equal(observed.problem?.code, row.expect.code);
  assert.equal(observed.principal, row.expect.principal);
  for (const [name, expected] of Object.entries(row.expect.headers ?? {})) {
    const actual = observed.headers[name];
    if (expected === null) assert.equal(actual, undefined, `${name} must be absent`);
    else if (typeof expected === 'string') assert.equal(actual, expected, name);
    else assert.match(actual ?? '', expected, name);
  }
}

/**
 * The observed answer with values that differ by nature between two runs (the request id)
 * left out, for comparing a target with the gateway.
 *
 * @example
 * ```ts
 * assert.deepEqual(comparable(express), comparable(gateway));
 * ```
 */
export function comparable(observed: Observed): Observed {
  const headers = { ...observed.headers };
  delete headers['x-request-id'];
  return { ...observed, headers };
}
