/**
 * Hot reload through a real gateway: the new configuration is compiled fully before it is
 * swapped in, requests in flight finish, none fails, and a bad file keeps the running one.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { problemOf, send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

async function gateway(t: TestContext): Promise<TestGateway> {
  const gw = await startTestGateway({ tls: false, fromFile: true });
  t.after(() => gw.close());
  return gw;
}

async function addRoute(gw: TestGateway, path: string): Promise<void> {
  const file = join(gw.dir, 'portcullis.yaml');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('routes:\n', `routes:\n  - path: ${path}\n    methods: [GET]\n    upstream: api\n    public: true\n`));
}

test('a reload puts the new configuration in force', async (t) => {
  const gw = await gateway(t);
  problemOf(await send(`${gw.url}/new/thing`), 404, 'route.not_found');
  await addRoute(gw, '/new/*');
  const result = await gw.gateway.reload('test');
  assert.equal(result.ok, true);
  assert.equal((await send(`${gw.url}/new/thing`)).status, 200);
});

test('an invalid file is refused with its reasons and the running configuration keeps serving', async (t) => {
  const gw = await gateway(t);
  await writeFile(join(gw.dir, 'portcullis.yaml'), 'routes: [ {path: nope} ]\n');
  const result = await gw.gateway.reload('test');
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.issues.length > 0);
  assert.equal((await send(`${gw.url}/api/x`)).status, 200);
  await gw.waitForLog((l) => l.event === 'reload_failed');
});

test('reloading under load fails no request', async (t) => {
  const gw = await gateway(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());
  const get = (path: string) => new Promise<number>((ok, fail) => {
    http.get(`${gw.url}${path}`, { agent }, (res) => {
      res.resume();
      res.once('end', () => ok(res.statusCode ?? 0));
    }).once('error', fail);
  });
  const statuses: number[] = [];
  let reloaded: Promise<unknown> | undefined;
  // Bounded: 8 workers x 40 requests on loopback, with two reloads in the middle.
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < 40; i++) {
      if (w === 0 && i === 10) reloaded = addRoute(gw, '/new/*').then(() => gw.gateway.reload('test'));
      if (w === 0 && i === 25) await reloaded;
      if (w === 1 && i === 20) void gw.gateway.reload('again');
      statuses.push(await get(`/api/item-${w}-${i}`));
    }
  }));
  await reloaded;
  assert.equal(statuses.length, 320);
  assert.deepEqual([...new Set(statuses)], [200]);
  assert.equal((await send(`${gw.url}/new/x`)).status, 200);
});

test('a configuration loaded from text cannot be reloaded, and says why', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  const result = await gw.gateway.reload('test');
  assert.equal(result.ok, false);
});
