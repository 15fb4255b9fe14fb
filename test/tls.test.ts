/**
 * The HTTPS listener's protocol versions: TLS 1.2 and 1.3 by default, never 1.1 or older, and
 * only 1.3 when minVersion says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { startTestGateway, testCertificates } from './helpers/gateway.js';

interface Handshake {
  readonly protocol: string | null;
  readonly error: NodeJS.ErrnoException | undefined;
}

/** Connects, completes (or fails) the handshake, and closes. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((ok) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      const protocol = socket.getProtocol();
      socket.destroy();
      ok({ protocol, error: undefined });
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('handshake timed out')));
    socket.once('error', (error: NodeJS.ErrnoException) => ok({ protocol: null, error }));
  });
}

// OpenSSL 3 only signs TLS 1.1 handshakes at security level 0; the client must really offer 1.1
// for its refusal to prove anything about the server.
const TLS11_CLIENT: tls.ConnectionOptions = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0', rejectUnauthorized: false };

test('a TLS 1.2 client completes the handshake', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await handshake(gw.httpsPort, { ca: gw.ca, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.equal(r.error, undefined);
  assert.equal(r.protocol, 'TLSv1.2');
});

test('a TLS 1.3 client completes the handshake', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await handshake(gw.httpsPort, { ca: gw.ca, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  assert.equal(r.error, undefined);
  assert.equal(r.protocol, 'TLSv1.3');
});

test('the test client can speak TLS 1.1 to a server that allows it (control)', async (t) => {
  const { certPem, keyPem } = await testCertificates();
  const legacy = tls.createServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  await new Promise<void>((ok) => legacy.listen(0, '127.0.0.1', ok));
  t.after(() => legacy.close());
  const r = await handshake((legacy.address() as AddressInfo).port, TLS11_CLIENT);
  assert.equal(r.protocol, 'TLSv1.1');
});

test('a TLS 1.1 client is refused with a protocol-version alert', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await handshake(gw.httpsPort, TLS11_CLIENT);
  assert.equal(r.protocol, null);
  // The server's alert, not the client giving up before offering anything.
  assert.equal(r.error?.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
});

test('minVersion TLSv1.3 refuses a TLS 1.2 client', async (t) => {
  const gw = await startTestGateway({ config: { server: { https: { minVersion: 'TLSv1.3' } } } });
  t.after(() => gw.close());
  const r = await handshake(gw.httpsPort, { ca: gw.ca, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.equal(r.protocol, null);
  assert.equal(r.error?.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
});

test('minVersion TLSv1.3 accepts a TLS 1.3 client', async (t) => {
  const gw = await startTestGateway({ config: { server: { https: { minVersion: 'TLSv1.3' } } } });
  t.after(() => gw.close());
  const r = await handshake(gw.httpsPort, { ca: gw.ca });
  assert.equal(r.protocol, 'TLSv1.3');
});
