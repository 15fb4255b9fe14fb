/**
 * Alerts through a real gateway: a burst of 401s from one client opens one alert (a log line and
 * an audit record), and its webhook arrives signed, through the outbound client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '../src/observe/alert-webhook.js';
import { send } from './helpers/client.js';
import { startTestGateway } from './helpers/gateway.js';

const SECRET = 'webhook-secret-for-tests-0123456789';

test('a burst of 401s fires one alert whose webhook arrives signed', async (t) => {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => hook.listen(0, '127.0.0.1', ok));
  t.after(() => hook.close());
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  process.env.PORTCULLIS_TEST_ALERT_SECRET = SECRET;
  const gw = await startTestGateway({
    tls: false,
    config: {
      outbound: { allow: [hookUrl] },
      alerts: {
        rules: [{ name: 'auth-failures', kind: 'status', statuses: [401], per: 'ip', threshold: 10, windowSec: 60 }],
        webhook: { url: `${hookUrl}/alerts`, secretEnv: 'PORTCULLIS_TEST_ALERT_SECRET' },
      },
      routes: [{ path: '/api/*', methods: ['GET'], upstream: 'api', policies: { 'api-key': { keys: [] }, rbac: { require: [] } } }],
    },
  });
  t.after(() => gw.close());
  for (let i = 0; i < 30; i++) assert.equal((await send(`${gw.url}/api/x`, { headers: { 'x-api-key': `pk_AAAAAAAAAAAA_${'x'.repeat(43)}` } })).status, 401);
  await gw.waitForLog((l) => l.event === 'alert');
  assert.equal(gw.logs.filter((l) => l.event === 'alert').length, 1);
  assert.ok(gw.logs.some((l) => l.event === 'audit' && l.type === 'alert'));
  const deadline = Date.now() + 3000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((ok) => setImmediate(ok));
  assert.equal(received.length, 1);
  const [delivery] = received;
  const timestamp = String(delivery!.headers['x-portcullis-timestamp']);
  assert.equal(delivery!.headers['x-portcullis-signature'], signWebhook(SECRET, timestamp, delivery!.body));
  assert.equal((JSON.parse(delivery!.body) as { event: string }).event, 'opened');
});
