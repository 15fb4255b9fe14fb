// The scenario table (test/helpers/scenarios.ts) against the gateway, then Express, Fastify and
// node:http with the same config: each row must give the same status, code, problem body and
// headers everywhere. The gateway runs first and is the reference.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { expressMiddleware, fastifyPlugin, nodeHttpHandler, portcullis, type Portcullis } from '../src/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../src/stores/redis-test-helpers.js';
import { startTestGateway } from './helpers/gateway.js';
import { appAnswer, comparable, exercise, expectRow, gatewayScenarioConfig, OPENAPI_DOCUMENT, scenarioConfig, SCENARIOS, type Observed } from './helpers/scenarios.js';

interface Target {
  readonly url: string;
  close(): Promise<void>;
}

let dir = '';
const silent = pino({ level: 'silent' });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-adapters-'));
  await writeFile(join(dir, 'openapi.yaml'), OPENAPI_DOCUMENT);
});
after(() => rm(dir, { recursive: true, force: true }));

function guard(prefix: string): Promise<Portcullis> {
  return portcullis(scenarioConfig(prefix), { baseDir: dir, unmatched: 'deny', logger: silent });
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}

const targets: ReadonlyArray<readonly [string, (prefix: string) => Promise<Target>]> = [
  ['gateway', async (prefix) => {
    const gw = await startTestGateway({
      tls: false,
      files: { 'openapi.yaml': OPENAPI_DOCUMENT },
      config: gatewayScenarioConfig(prefix),
      upstream: (req, res) => {
        req.resume();
        req.once('end', () => {
          const id = req.headers['x-principal-id'];
          const body = JSON.stringify(appAnswer((req.url ?? '').split('?')[0]!, typeof id === 'string' ? id : undefined));
          res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'upstream' });
          res.end(body);
        });
      },
    });
    return { url: gw.url, close: () => gw.close() };
  }],
  ['express', async (prefix) => {
    const g = await guard(prefix);
    const app = express();
    app.use(expressMiddleware(g));
    app.use(express.json());
    app.use((req, res) => {
      res.status(200).json(appAnswer(req.path, req.principal?.id));
    });
    const server = http.createServer(app);
    const url = await listen(server);
    return { url, close: async () => { await closeServer(server); await g.close(); } };
  }],
  ['fastify', async (prefix) => {
    const g = await guard(prefix);
    const app = Fastify();
    await app.register(fastifyPlugin(g));
    app.all('/*', (request) => appAnswer(request.url.split('?')[0]!, request.principal?.id));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: async () => { await app.close(); await g.close(); } };
  }],
  ['node-http', async (prefix) => {
    const g = await guard(prefix);
    const server = http.createServer(nodeHttpHandler(g, (req, res) => {
      const body = JSON.stringify(appAnswer((req.url ?? '').split('?')[0]!, req.principal?.id));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }));
    const url = await listen(server);
    return { url, close: async () => { await closeServer(server); await g.close(); } };
  }],
];

const reference = new Map<string, Observed>();

for (const [name, start] of targets) {
  describe(name, () => {
    let target: Target;
    const prefix = uniquePrefix();
    before(async () => {
      target = await start(prefix);
    });
    after(async () => {
      await target?.close();
      const redis = new Redis(REDIS_URL);
      await deletePrefix(redis, prefix);
      redis.disconnect();
    });
    for (const row of SCENARIOS) {
      test(row.name, async () => {
        const observed = await exercise(target.url, row);
        expectRow(row, observed);
        if (name === 'gateway') reference.set(row.name, observed);
        else assert.deepEqual(comparable(observed), comparable(reference.get(row.name)!), 'the same answer as the gateway');
      });
    }
  });
}
