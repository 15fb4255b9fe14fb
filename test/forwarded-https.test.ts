// Behind a TLS-terminating proxy: the plain-HTTP listener answers as HTTPS only when a trusted
// proxy says the client used https.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from './helpers/gateway.js';
import { send } from './helpers/client.js';

test('a trusted proxy\'s X-Forwarded-Proto: https brings HSTS to plain-HTTP responses', async (t) => {
  const gw = await startTestGateway({ tls: false, config: { server: { trustedProxies: ['127.0.0.1'] } } });
  t.after(() => gw.close());
  const reply = await send(`${gw.url}/api/x`, { headers: { 'x-forwarded-proto': 'https' } });
  assert.match(String(reply.headers['strict-transport-security']), /max-age=/);
});

test('an untrusted client\'s X-Forwarded-Proto: https changes nothing', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  const reply = await send(`${gw.url}/api/x`, { headers: { 'x-forwarded-proto': 'https' } });
  assert.equal(reply.headers['strict-transport-security'], undefined);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers['x-forwarded-proto'], 'http');
});
