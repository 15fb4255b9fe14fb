// A client that goes away must not leave an upstream exchange running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { startTestGateway } from './helpers/gateway.js';

test('when the client disconnects mid-request, the upstream request is aborted', async (t) => {
  let upstreamClosed: Promise<unknown> | undefined;
  let arrived!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const gw = await startTestGateway({
    tls: false,
    upstream: (req) => {
      upstreamClosed = once(req.socket, 'close');
      arrived(); // never answers
    },
  });
  t.after(() => gw.close());
  const client = request(`${gw.url}/api/slow`);
  client.on('error', () => undefined);
  client.end();
  await arrival;
  client.destroy();
  await Promise.race([upstreamClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream connection still open after 3 s')), 3000).unref())]);
  assert.ok(upstreamClosed);
});
