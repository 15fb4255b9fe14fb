/**
 * The OpenAPI document as the source of truth, through a real gateway: its operations are the
 * routes (anything else is 404 even when the upstream serves it), requests are validated against
 * it, responses checked against it, deprecated operations announce it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { ConfigError } from '../src/core/config-error.js';
import { problemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const DOCUMENT = `
openapi: 3.0.3
info: { title: Tasks, version: '1' }
paths:
  /api/v1/tasks:
    get:
      operationId: listTasks
      tags: [tasks]
      parameters:
        - { name: limit, in: query, schema: { type: integer, minimum: 1, maximum: 100 } }
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { type: object, required: [tasks], properties: { tasks: { type: array } } }
    post:
      operationId: createTask
      tags: [tasks]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [title]
              properties:
                id: { type: string, readOnly: true }
                title: { type: string, minLength: 1, maxLength: 200 }
                priority: { type: string, enum: [low, normal, high] }
      responses:
        '200': { description: ok, content: { application/json: { schema: { type: object } } } }
  /api/v1/old:
    get:
      operationId: oldThing
      deprecated: true
      x-deprecated-at: '2026-01-01T00:00:00Z'
      x-sunset: '2027-06-30'
      responses:
        '200': { description: ok, content: { application/json: { schema: { type: object } } } }
  /api/v1/strict:
    get:
      operationId: strictThing
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { type: object, required: [tasks], properties: { tasks: { type: array } } }
`;

async function gateway(t: TestContext, openapi: Record<string, unknown> = {}, upstream?: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestGateway> {
  const gw = await startTestGateway({
    tls: false,
    files: { 'openapi.yaml': DOCUMENT },
    upstream,
    config: {
      routes: [],
      openapi: { document: 'openapi.yaml', upstream: 'api', operations: [{ public: true }], ...openapi },
    },
  });
  t.after(() => gw.close());
  return gw;
}

const json = { 'content-type': 'application/json' };

test('an operation of the document is routed to the upstream', async (t) => {
  const gw = await gateway(t, {}, (_req, res) => res.writeHead(200, json).end('{"tasks":[]}'));
  const res = await send(`${gw.url}/api/v1/tasks`);
  assert.equal(res.status, 200);
  assert.equal(gw.upstream.requests.length, 1);
});

test('a path the upstream serves but the document does not describe is 404', async (t) => {
  const gw = await gateway(t);
  problemOf(await send(`${gw.url}/api/v1/debug`), 404, 'route.not_found');
  problemOf(await send(`${gw.url}/api/v0/tasks`), 404, 'route.not_found');
  assert.equal(gw.upstream.requests.length, 0);
});

test('a method the document does not give a path is 405', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.url}/api/v1/tasks`, { method: 'DELETE' });
  problemOf(res, 405, 'route.method_not_allowed');
  assert.equal(res.headers.allow, 'GET, POST');
});

test('a body that breaks the schema is 400 with every violation and never reaches the upstream', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.url}/api/v1/tasks`, { method: 'POST', headers: json, body: '{"id":"x","title":"","priority":"urgent","extra":1}' });
  const problem = problemOf(res, 400, 'openapi.invalid_request');
  const pointers = (problem.errors as Array<{ pointer: string; in: string }>).map((e) => `${e.in}:${e.pointer}`).sort();
  assert.deepEqual(pointers, ['body:/extra', 'body:/id', 'body:/priority', 'body:/title']);
  assert.equal(gw.upstream.requests.length, 0);
});

test('a query parameter out of its bounds is 400', async (t) => {
  const gw = await gateway(t);
  const problem = problemOf(await send(`${gw.url}/api/v1/tasks?limit=1000`), 400, 'openapi.invalid_request');
  assert.deepEqual((problem.errors as Array<{ pointer: string; in: string }>).map((e) => [e.in, e.pointer]), [['query', '/limit']]);
});

test('a valid body is forwarded unchanged', async (t) => {
  const gw = await gateway(t);
  const body = '{"title":"Write the report","priority":"high"}';
  assert.equal((await send(`${gw.url}/api/v1/tasks`, { method: 'POST', headers: json, body })).status, 200);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.body.toString(), body);
});

test('request validation in monitor mode forwards the request and logs the violation', async (t) => {
  const gw = await gateway(t, { operations: [{ public: true, policies: { openapi: { request: 'monitor' } } }] });
  const res = await send(`${gw.url}/api/v1/tasks`, { method: 'POST', headers: json, body: '{"title":""}' });
  assert.equal(res.status, 200);
  await gw.waitForLog((l) => l.event === 'openapi_violation');
});

test('openapi: false in a scope turns validation off for the operations it matches', async (t) => {
  const gw = await gateway(t, { operations: [{ public: true }, { match: { operationId: 'createTask' }, policies: { openapi: false } }] });
  assert.equal((await send(`${gw.url}/api/v1/tasks`, { method: 'POST', headers: json, body: '{"title":""}' })).status, 200);
});

test('a deprecated operation answers with Deprecation and Sunset headers', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.url}/api/v1/old`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.deprecation, `@${Date.parse('2026-01-01T00:00:00Z') / 1000}`);
  assert.equal(res.headers.sunset, new Date(Date.parse('2027-06-30')).toUTCString());
});

test('an operation that is not deprecated has no Deprecation header', async (t) => {
  const gw = await gateway(t);
  const res = await send(`${gw.url}/api/v1/tasks`);
  assert.equal(res.headers.deprecation, undefined);
});

test('a response that breaks the document is 502 with enforce, and its body is not passed on', async (t) => {
  const gw = await gateway(t, { operations: [{ public: true, policies: { openapi: { response: 'enforce' } } }] }, (_req, res) => res.writeHead(200, json).end('{"secret":"leak"}'));
  const res = await send(`${gw.url}/api/v1/strict`);
  problemOf(res, 502, 'openapi.invalid_response');
  assert.ok(!res.body.includes('leak'));
});

test('a response that breaks the document passes with monitor, and the violation is logged', async (t) => {
  const gw = await gateway(t, { operations: [{ public: true, policies: { openapi: { response: 'monitor' } } }] }, (_req, res) => res.writeHead(200, json).end('{"other":1}'));
  const res = await send(`${gw.url}/api/v1/strict`);
  assert.equal(res.status, 200);
  await gw.waitForLog((l) => l.event === 'openapi_violation');
});

test('an upstream redirect is passed to the client, never followed', async (t) => {
  let calls = 0;
  const gw = await gateway(t, { operations: [{ public: true, policies: { openapi: { response: 'off' } } }] }, (_req, res) => {
    calls++;
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
  });
  const res = await send(`${gw.url}/api/v1/strict`);
  assert.equal(res.status, 302);
  assert.equal(calls, 1);
});

test('an operation routed by hand as well is refused at load', async () => {
  await assert.rejects(startTestGateway({
    tls: false,
    files: { 'openapi.yaml': DOCUMENT },
    config: {
      routes: [{ path: '/api/v1/tasks', methods: ['GET'], upstream: 'api', public: true }],
      openapi: { document: 'openapi.yaml', upstream: 'api', operations: [{ public: true }] },
    },
  }), (error: unknown) => error instanceof ConfigError && error.issues.some((i) => i.path.join('.') === 'openapi.document'));
});

test('an operation without authentication and not public is refused at load', async () => {
  await assert.rejects(startTestGateway({
    tls: false,
    files: { 'openapi.yaml': DOCUMENT },
    config: { routes: [], openapi: { document: 'openapi.yaml', upstream: 'api' } },
  }), (error: unknown) => error instanceof ConfigError && error.issues.some((i) => i.path.join('.') === 'openapi' && i.message.includes('listTasks')));
});
