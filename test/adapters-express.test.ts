// Portcullis as Express middleware, beyond the shared scenario table: unmatched requests, the
// mount point, request bodies parsed before or after the guard, response-body policies over
// res.json, in-handler ownership checks, end-of-request hooks.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { pino } from 'pino';
import { assertObjectAccess, authorizeObject, expressErrorHandler, expressMiddleware, portcullis, sendDenial, type PolicySettings, type PortcullisOptions } from '../src/index.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';
import { problemOf, send, type Reply } from './helpers/client.js';

const key = generateApiKey();
const auth = { 'x-api-key': key.key };
const json = { ...auth, 'content-type': 'application/json' };
const TASK = { ownerField: 'ownerId' } as const;

async function serve(t: TestContext, policies: PolicySettings, build: (app: Express, middleware: ReturnType<typeof expressMiddleware>) => void, options: PortcullisOptions = {}): Promise<string> {
  const guard = await portcullis({
    defaults: { policies: { 'api-key': { keys: [{ id: 'alice', prefix: key.prefix, hash: key.hash, roles: ['user'] }] }, rbac: { require: [] } } },
    routes: [{ path: '/api/tasks', methods: ['GET', 'POST'], policies }],
  }, { logger: pino({ level: 'silent' }), ...options });
  const app = express();
  build(app, expressMiddleware(guard));
  const server = http.createServer(app);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
    await guard.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function bodyOf(reply: Reply): unknown {
  return JSON.parse(reply.text) as unknown;
}

test('a path the config does not name reaches the app (unmatched: next) with the security headers', async (t) => {
  const url = await serve(t, {}, (app, guard) => {
    app.use(guard);
    app.get('/health', (_req, res) => { res.send('ok'); });
  });
  const reply = await send(`${url}/health`);
  assert.deepEqual([reply.status, reply.text, reply.headers['x-content-type-options'], reply.headers['x-powered-by']], [200, 'ok', 'nosniff', undefined]);
});

test('a configured path asked with an unlisted method is 405 even with unmatched: next', async (t) => {
  let reached = false;
  const url = await serve(t, {}, (app, guard) => {
    app.use(guard);
    app.delete('/api/tasks', (_req, res) => { reached = true; res.send('deleted'); });
  });
  const reply = await send(`${url}/api/tasks`, { method: 'DELETE', headers: auth });
  problemOf(reply, 405, 'route.method_not_allowed');
  assert.deepEqual([reply.headers.allow, reached], ['GET, POST', false]);
});

test('mounted under a path, the guard refuses to run and the handler is never reached', async (t) => {
  let reached = false;
  const url = await serve(t, {}, (app, guard) => {
    app.use('/api', guard);
    app.get('/api/tasks', (_req, res) => { reached = true; res.send('unguarded'); });
  });
  const reply = await send(`${url}/api/tasks`);
  assert.deepEqual([reply.status, reached], [500, false]);
});

test('a JSON body parsed by express.json() before the guard is still checked', async (t) => {
  const url = await serve(t, { 'property-level': { write: { serverOwned: ['ownerId'] } } }, (app, guard) => {
    app.use(express.json());
    app.use(guard);
    app.post('/api/tasks', (_req, res) => { res.json({ saved: true }); });
  });
  const reply = await send(`${url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":"a","ownerId":"mallory"}' });
  problemOf(reply, 400, 'property-level.read_only_property');
});

test('the guard reads the body itself and the app gets it in req.body; a later parser leaves it', async (t) => {
  const url = await serve(t, { 'property-level': { write: { serverOwned: ['ownerId'] } } }, (app, guard) => {
    app.use(guard);
    app.use(express.json());
    app.post('/api/tasks', (req, res) => { res.json({ got: req.body as unknown }); });
  });
  const reply = await send(`${url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":"a"}' });
  assert.deepEqual(bodyOf(reply), { got: { title: 'a' } });
});

test('a body a policy rewrote is the body the app gets', async (t) => {
  const url = await serve(t, { 'property-level': { write: { serverOwned: ['ownerId'], onViolation: 'strip' } } }, (app, guard) => {
    app.use(guard);
    app.post('/api/tasks', (req, res) => { res.json({ got: req.body as unknown }); });
  });
  const reply = await send(`${url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":"a","ownerId":"mallory"}' });
  assert.deepEqual(bodyOf(reply), { got: { title: 'a' } });
});

test('a form body parsed before the guard on a body-reading route is a 500, never passed unchecked', async (t) => {
  let reached = false;
  const url = await serve(t, { 'property-level': { write: { serverOwned: ['ownerId'] } } }, (app, guard) => {
    app.use(express.urlencoded());
    app.use(guard);
    app.post('/api/tasks', (_req, res) => { reached = true; res.json({}); });
  });
  const reply = await send(`${url}/api/tasks`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'ownerId=mallory' });
  problemOf(reply, 500, 'gateway.internal_error');
  assert.equal(reached, false);
});

test('object-level filters a list the app sends with res.json, Content-Length included', async (t) => {
  const url = await serve(t, { 'object-level': { response: { ownerField: 'ownerId' } } }, (app, guard) => {
    app.use(guard);
    app.get('/api/tasks', (_req, res) => { res.json([{ id: 1, ownerId: 'alice' }, { id: 2, ownerId: 'bob' }]); });
  });
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  assert.deepEqual(bodyOf(reply), [{ id: 1, ownerId: 'alice' }]);
  assert.equal(reply.headers['content-length'], String(reply.body.length));
});

test('a response-body refusal replaces the app\'s answer entirely', async (t) => {
  const url = await serve(t, { 'object-level': { response: { ownerField: 'ownerId' } } }, (app, guard) => {
    app.use(guard);
    app.get('/api/tasks', (_req, res) => { res.set('x-app', 'secret').json({ id: 2, ownerId: 'bob', note: 'private' }); });
  });
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  problemOf(reply, 404, 'object-level.not_found');
  assert.deepEqual([reply.text.includes('private'), reply.headers['x-app']], [false, undefined]);
});

test('an app response over maxResponseBytes on a checked route is 502 proxy.response_too_large', async (t) => {
  const url = await serve(t, { 'object-level': { response: { ownerField: 'ownerId' } } }, (app, guard) => {
    app.use(guard);
    app.get('/api/tasks', (_req, res) => { res.json({ ownerId: 'alice', pad: 'x'.repeat(4096) }); });
  }, { maxResponseBytes: 1024 });
  problemOf(await send(`${url}/api/tasks`, { headers: auth }), 502, 'proxy.response_too_large');
});

test('authorizeObject in a handler answers the policy\'s 404 with the route\'s headers', async (t) => {
  const url = await serve(t, {}, (app, guard) => {
    app.use(guard);
    app.get('/api/tasks', (req, res) => {
      const decision = authorizeObject(req.principal, { ownerId: 'bob' }, TASK);
      if (!decision.allowed) return sendDenial(res, decision.denial);
      res.json({});
    });
  });
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  problemOf(reply, 404, 'object-level.not_found');
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
});

test('assertObjectAccess throws into expressErrorHandler, which answers the problem', async (t) => {
  const url = await serve(t, {}, (app, guard) => {
    app.use(guard);
    app.get('/api/tasks', (req, res) => {
      assertObjectAccess(req.principal, { ownerId: 'bob' }, TASK);
      res.json({});
    });
    app.use(expressErrorHandler());
  });
  problemOf(await send(`${url}/api/tasks`, { headers: auth }), 404, 'object-level.not_found');
});

test('end-of-request hooks run: a concurrency slot is freed when the response closes', async (t) => {
  const url = await serve(t, { 'rate-limit': { concurrency: { max: 1 } } }, (app, guard) => {
    app.use(guard);
    app.get('/api/tasks', (_req, res) => { res.json({}); });
  });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await send(`${url}/api/tasks`, { headers: auth })).status);
  assert.deepEqual(statuses, [200, 200, 200]);
});
