// `Expect: 100-continue`: the gateway decides before the client uploads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTestGateway } from './helpers/gateway.js';

/** Sends headers only and collects what the gateway answers before any body is sent. */
function headersOnly(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      got += d;
      if (got.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.setTimeout(3000, () => { socket.destroy(); resolve(got); });
    socket.write(head);
  });
}

test('an oversized upload announced with Expect: 100-continue is refused with 413 before any 100', async (t) => {
  const gw = await startTestGateway({ tls: false, config: { defaults: { policies: { 'size-limit': { maxBodyBytes: 10 } } } } });
  t.after(() => gw.close());
  const answer = await headersOnly(gw.httpPort, 'POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 413 /);
});

test('an accepted upload announced with Expect: 100-continue gets 100 Continue', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  const answer = await headersOnly(gw.httpPort, 'POST /api/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 100 Continue/);
});

test('a request refused before it was parsed (header overflow) still gets an access-log line', async (t) => {
  const gw = await startTestGateway({ tls: false, config: { server: { maxHeaderSize: 1024 } } });
  t.after(() => gw.close());
  await headersOnly(gw.httpPort, `GET /api/x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
  const line = await gw.waitForLog((l) => l.event === 'request' && l.decision === 'request.headers_too_large');
  assert.equal(line.status, 431);
});
