// Portcullis as a Fastify plugin, beyond the shared scenario table: Fastify's own 404, routes of
// child contexts, the body Fastify parses being the one that was checked (or rewritten),
// response-body policies on onSend (objects and streams), in-handler ownership checks.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { authorizeObject, fastifyPlugin, portcullis, replyDenial, type PolicySettings } from '../src/index.js';
import { generateApiKey } from '../src/policies/api-key/key-format.js';
import { problemOf, send, type Reply } from './helpers/client.js';

const key = generateApiKey();
const auth = { 'x-api-key': key.key };
const json = { ...auth, 'content-type': 'application/json' };

async function serve(t: TestContext, policies: PolicySettings, routes: (app: FastifyInstance) => void): Promise<string> {
  const guard = await portcullis({
    defaults: { policies: { 'api-key': { keys: [{ id: 'alice', prefix: key.prefix, hash: key.hash, roles: ['user'] }] }, rbac: { require: [] } } },
    routes: [{ path: '/api/tasks', methods: ['GET', 'POST'], policies }],
  }, { logger: pino({ level: 'silent' }) });
  const app = Fastify();
  await app.register(fastifyPlugin(guard));
  routes(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await app.close();
    await guard.close();
  });
  return url;
}

function bodyOf(reply: Reply): unknown {
  return JSON.parse(reply.text) as unknown;
}

test('a path the config does not name gets Fastify\'s own 404, with the security headers', async (t) => {
  const url = await serve(t, {}, () => {});
  const reply = await send(`${url}/nowhere`);
  assert.deepEqual([reply.status, (bodyOf(reply) as { error: string }).error, reply.headers['x-content-type-options']], [404, 'Not Found', 'nosniff']);
});

test('routes registered in a child context are guarded too', async (t) => {
  const url = await serve(t, {}, (app) => {
    void app.register((child, _options, done) => {
      child.get('/api/tasks', () => ({ reached: true }));
      done();
    });
  });
  problemOf(await send(`${url}/api/tasks`), 401, 'authenticate.required');
});

test('the handler sees request.principal', async (t) => {
  const url = await serve(t, {}, (app) => {
    app.get('/api/tasks', (request) => ({ id: request.principal?.id, requestId: request.portcullis?.requestId }));
  });
  const reply = await send(`${url}/api/tasks`, { headers: { ...auth, 'x-request-id': 'trace-12345678' } });
  assert.deepEqual([bodyOf(reply), reply.headers['x-request-id']], [{ id: 'alice', requestId: 'trace-12345678' }, 'trace-12345678']);
});

test('Fastify parses the body that was checked; a forbidden property is refused before the handler', async (t) => {
  let reached = false;
  const url = await serve(t, { 'property-level': { write: { serverOwned: ['ownerId'] } } }, (app) => {
    app.post('/api/tasks', () => { reached = true; return {}; });
  });
  problemOf(await send(`${url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":"a","ownerId":"m"}' }), 400, 'property-level.read_only_property');
  assert.equal(reached, false);
});

test('a body a policy rewrote is the body Fastify parses for the handler', async (t) => {
  const url = await serve(t, { 'property-level': { write: { serverOwned: ['ownerId'], onViolation: 'strip' } } }, (app) => {
    app.post('/api/tasks', (request) => ({ got: request.body }));
  });
  const reply = await send(`${url}/api/tasks`, { method: 'POST', headers: json, body: '{"title":"a","ownerId":"mallory"}' });
  assert.deepEqual(bodyOf(reply), { got: { title: 'a' } });
});

test('object-level filters a list a handler returns, on onSend', async (t) => {
  const url = await serve(t, { 'object-level': { response: { ownerField: 'ownerId' } } }, (app) => {
    app.get('/api/tasks', () => Promise.resolve([{ id: 1, ownerId: 'alice' }, { id: 2, ownerId: 'bob' }]));
  });
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  assert.deepEqual([bodyOf(reply), reply.headers['content-length']], [[{ id: 1, ownerId: 'alice' }], String(reply.body.length)]);
});

test('a streamed payload is read whole and checked before anything is sent', async (t) => {
  const url = await serve(t, { 'object-level': { response: { ownerField: 'ownerId' } } }, (app) => {
    app.get('/api/tasks', (_request, reply) => reply.type('application/json').send(Readable.from([Buffer.from('{"ownerId":'), Buffer.from('"bob","x":1}')])));
  });
  problemOf(await send(`${url}/api/tasks`, { headers: auth }), 404, 'object-level.not_found');
});

test('replyDenial answers an in-handler ownership refusal as the gateway would', async (t) => {
  const url = await serve(t, {}, (app) => {
    app.get('/api/tasks', (request, reply) => {
      const decision = authorizeObject(request.principal, { ownerId: 'bob' }, { ownerField: 'ownerId', denyAs: 'forbidden' });
      if (!decision.allowed) return replyDenial(reply, decision.denial);
      return {};
    });
  });
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  problemOf(reply, 403, 'object-level.forbidden');
  assert.equal(reply.headers['content-type'], 'application/problem+json');
});

test('a handler\'s error answer still gets the route\'s headers', async (t) => {
  const url = await serve(t, {}, (app) => {
    app.get('/api/tasks', () => { throw new Error('boom'); });
  });
  const reply = await send(`${url}/api/tasks`, { headers: auth });
  assert.deepEqual([reply.status, reply.headers['x-content-type-options'], reply.headers['cache-control']], [500, 'nosniff', 'no-store']);
});
