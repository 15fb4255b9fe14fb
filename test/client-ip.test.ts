/**
 * The client IP end to end: what the access log records and what X-Forwarded-For the upstream
 * gets, with and without trusted proxies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

/** Sends one request with X-Forwarded-For and returns the access-log line and what the upstream got. */
async function through(gw: TestGateway, forwardedFor: string) {
  const id = `client-ip-${Math.random().toString(36).slice(2)}`;
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, headers: { 'x-forwarded-for': forwardedFor, 'x-request-id': id } });
  assert.equal(r.status, 200);
  const line = await gw.waitForLog((l) => l.event === 'request' && l.requestId === id);
  await gw.upstream.recorded(1);
  return { clientIp: line.clientIp, upstreamForwardedFor: gw.upstream.requests[0]!.headers['x-forwarded-for'] };
}

test('without trusted proxies a spoofed X-Forwarded-For is not the client IP in the log', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { clientIp } = await through(gw, '203.0.113.9');
  assert.equal(clientIp, '127.0.0.1');
});

test('without trusted proxies the upstream gets X-Forwarded-For with only the peer', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const { upstreamForwardedFor } = await through(gw, '203.0.113.9');
  assert.equal(upstreamForwardedFor, '127.0.0.1');
});

test('behind a trusted proxy the rightmost untrusted hop is the client IP', async (t) => {
  const gw = await startTestGateway({ config: { server: { trustedProxies: ['127.0.0.1'] } } });
  t.after(() => gw.close());
  const { clientIp } = await through(gw, '192.0.2.66, 203.0.113.9');
  assert.equal(clientIp, '203.0.113.9');
});

test('behind a trusted proxy the upstream gets the chain with the proxy appended', async (t) => {
  const gw = await startTestGateway({ config: { server: { trustedProxies: ['127.0.0.1'] } } });
  t.after(() => gw.close());
  const { upstreamForwardedFor } = await through(gw, '192.0.2.66, 203.0.113.9');
  assert.equal(upstreamForwardedFor, '192.0.2.66, 203.0.113.9, 127.0.0.1');
});

test('behind a trusted proxy a garbage hop is not believed', async (t) => {
  const gw = await startTestGateway({ config: { server: { trustedProxies: ['127.0.0.1'] } } });
  t.after(() => gw.close());
  const { clientIp } = await through(gw, '203.0.113.9, not-an-ip');
  assert.equal(clientIp, '127.0.0.1');
});

test('behind a trusted proxy a garbage chain is not forwarded upstream', async (t) => {
  const gw = await startTestGateway({ config: { server: { trustedProxies: ['127.0.0.1'] } } });
  t.after(() => gw.close());
  const { upstreamForwardedFor } = await through(gw, '203.0.113.9, not-an-ip');
  assert.equal(upstreamForwardedFor, '127.0.0.1');
});

test('on a dual-stack listener an IPv4 client is logged as IPv4, not IPv4-mapped IPv6', async (t) => {
  const gw = await startTestGateway({ config: { server: { https: { host: '::' } } } });
  t.after(() => gw.close());
  const { clientIp } = await through(gw, '203.0.113.9');
  assert.equal(clientIp, '127.0.0.1');
});

test('on a dual-stack listener an IPv4-mapped peer matches a trusted IPv4 proxy', async (t) => {
  const gw = await startTestGateway({ config: { server: { https: { host: '::' }, trustedProxies: ['127.0.0.1'] } } });
  t.after(() => gw.close());
  const { clientIp, upstreamForwardedFor } = await through(gw, '203.0.113.9');
  assert.equal(clientIp, '203.0.113.9');
  assert.equal(upstreamForwardedFor, '203.0.113.9, 127.0.0.1');
});
