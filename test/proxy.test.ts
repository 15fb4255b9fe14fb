/**
 * Forwarding: the headers the upstream gets (X-Forwarded-*, X-Request-Id, no hop-by-hop, no
 * stripped names), the request target as sent, and bodies streamed in both directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import { send } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Sends a GET through the gateway and returns the headers the upstream received. */
async function upstreamHeaders(gw: TestGateway, headers: Record<string, string> = {}, path = '/api/x') {
  const r = await send(`${gw.url}${path}`, { ca: gw.ca, headers });
  assert.equal(r.status, 200);
  await gw.upstream.recorded(1);
  return gw.upstream.requests[0]!.headers;
}

test('the upstream gets X-Forwarded-Proto https from the HTTPS listener', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw))['x-forwarded-proto'], 'https');
});

test('the upstream gets X-Forwarded-Proto http from the plain-HTTP listener', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw))['x-forwarded-proto'], 'http');
});

test('a client\'s own X-Forwarded-Proto is replaced', async (t) => {
  const gw = await startTestGateway({ tls: false });
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { 'x-forwarded-proto': 'https' }))['x-forwarded-proto'], 'http');
});

test('the upstream gets the client\'s Host as X-Forwarded-Host', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { host: 'api.example.test' }))['x-forwarded-host'], 'api.example.test');
});

test('a client\'s own X-Forwarded-Host is replaced by its Host', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { host: 'api.example.test', 'x-forwarded-host': 'evil.example' }))['x-forwarded-host'], 'api.example.test');
});

test('the upstream gets its own host as Host, not the client\'s', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { host: 'api.example.test' })).host, `127.0.0.1:${gw.upstream.port}`);
});

test('preserveHost sends the client\'s Host upstream', async (t) => {
  const gw = await startTestGateway({ config: { upstreams: { api: { preserveHost: true } } } });
  t.after(() => gw.close());
  // merge() keeps the upstream url: only preserveHost is added.
  assert.equal((await upstreamHeaders(gw, { host: 'api.example.test' })).host, 'api.example.test');
});

test('the upstream gets X-Forwarded-For with the client address', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw))['x-forwarded-for'], '127.0.0.1');
});

test('a client\'s Forwarded header is not passed on', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { forwarded: 'for=203.0.113.9;proto=https' })).forwarded, undefined);
});

test('the upstream gets a generated X-Request-Id when the client sent none', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.match(String((await upstreamHeaders(gw))['x-request-id']), UUID);
});

test('a well-formed client X-Request-Id is passed upstream', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { 'x-request-id': 'req-0123456789abcdef' }))['x-request-id'], 'req-0123456789abcdef');
});

test('a well-formed client X-Request-Id is echoed in the response', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, headers: { 'x-request-id': 'req-0123456789abcdef' } });
  assert.equal(r.headers['x-request-id'], 'req-0123456789abcdef');
});

test('a malformed client X-Request-Id is replaced, upstream and in the response', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, headers: { 'x-request-id': '<script>alert(1)</script>' } });
  assert.match(String(r.headers['x-request-id']), UUID);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.headers['x-request-id'], r.headers['x-request-id']);
});

test('traceparent is passed through', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  assert.equal((await upstreamHeaders(gw, { traceparent }))['traceparent'], traceparent);
});

test('Keep-Alive is not forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { connection: 'keep-alive', 'keep-alive': 'timeout=600' }))['keep-alive'], undefined);
});

test('TE is not forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { te: 'trailers' })).te, undefined);
});

test('Upgrade is not forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { upgrade: 'h2c' })).upgrade, undefined);
});

test('an upgrade request on a plain route is answered as a normal request, without Upgrade upstream', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const headers = await upstreamHeaders(gw, { connection: 'Upgrade', upgrade: 'websocket' });
  assert.equal(headers.upgrade, undefined);
  assert.doesNotMatch(headers.connection ?? '', /upgrade/i);
});

test('Proxy-Authorization is not forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { 'proxy-authorization': 'Basic Zm9vOmJhcg==' }))['proxy-authorization'], undefined);
});

test('a header named in Connection is not forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const headers = await upstreamHeaders(gw, { connection: 'keep-alive, X-Hop-Secret', 'x-hop-secret': 'only for the next hop' });
  assert.equal(headers['x-hop-secret'], undefined);
});

test('the client\'s Connection header is not forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const headers = await upstreamHeaders(gw, { connection: 'keep-alive, X-Hop-Secret', 'x-hop-secret': 'x' });
  assert.doesNotMatch(headers.connection ?? '', /x-hop-secret/i);
});

test('proxy.stripRequestHeaders are not forwarded, in any case', async (t) => {
  const gw = await startTestGateway({ config: { proxy: { stripRequestHeaders: ['X-Internal-User'] } } });
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { 'x-internal-user': 'admin' }))['x-internal-user'], undefined);
});

test('other request headers are forwarded unchanged', async (t) => {
  const gw = await startTestGateway({ config: { proxy: { stripRequestHeaders: ['x-internal-user'] } } });
  t.after(() => gw.close());
  assert.equal((await upstreamHeaders(gw, { 'x-custom': 'Value With  Spaces' }))['x-custom'], 'Value With  Spaces');
});

test('the query string reaches the upstream exactly as sent', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/search?q=a%20b&tag=x&tag=y&empty=&enc=%2F%3F`, { ca: gw.ca });
  assert.equal(r.status, 200);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.url, '/api/search?q=a%20b&tag=x&tag=y&empty=&enc=%2F%3F');
});

test('the upstream URL\'s base path is prefixed to the request path', async (t) => {
  const gw = await startTestGateway({ yaml: (url) => `
server: { https: { host: 127.0.0.1, port: 0, cert: server.pem, key: server-key.pem } }
upstreams: { api: { url: "${url}/base/" } }
routes: [{ path: /api/*, methods: [GET], upstream: api, public: true }]
` });
  t.after(() => gw.close());
  await send(`${gw.url}/api/x?y=1`, { ca: gw.ca });
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.url, '/base/api/x?y=1');
});

test('a large request body arrives upstream intact', async (t) => {
  const gw = await startTestGateway({ config: { defaults: { policies: { 'size-limit': { maxBodyBytes: 16 * 1024 * 1024 } } } } });
  t.after(() => gw.close());
  const body = randomBytes(8 * 1024 * 1024);
  const r = await send(`${gw.url}/api/upload`, { ca: gw.ca, method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body, timeoutMs: 15_000 });
  assert.equal(r.status, 200);
  await gw.upstream.recorded(1);
  const received = gw.upstream.requests[0]!.body;
  assert.equal(received.length, body.length);
  assert.equal(createHash('sha256').update(received).digest('hex'), createHash('sha256').update(body).digest('hex'));
});

test('a request body is streamed: the upstream reads its start before the client has sent the rest', async (t) => {
  let firstChunk!: () => void;
  const upstreamStarted = new Promise<void>((ok) => { firstChunk = ok; });
  const gw = await startTestGateway({
    upstream: (req, res) => {
      let length = 0;
      req.on('data', (c: Buffer) => { length += c.length; firstChunk(); });
      req.once('end', () => res.end(String(length)));
    },
  });
  t.after(() => gw.close());
  const reply = await new Promise<string>((ok, fail) => {
    const req = https.request(`${gw.url}/api/upload`, { method: 'POST', ca: gw.ca, agent: false, headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, signal: AbortSignal.timeout(5000) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.once('end', () => ok(text));
    });
    req.once('error', fail);
    req.write('a'.repeat(1000));
    // The client holds the rest back until the upstream has seen the first part.
    void upstreamStarted.then(() => req.end('b'.repeat(1000)));
  });
  assert.equal(reply, '2000');
});

test('a chunked response is streamed: the client reads its start before the upstream has sent the rest', async (t) => {
  let clientGotFirst!: () => void;
  const clientHasIt = new Promise<void>((ok) => { clientGotFirst = ok; });
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first|');
      // The rest only once the client has the first part.
      void clientHasIt.then(() => res.end('second'));
    },
  });
  t.after(() => gw.close());
  const body = await new Promise<string>((ok, fail) => {
    const req = https.request(`${gw.url}/api/stream`, { ca: gw.ca, agent: false, signal: AbortSignal.timeout(5000) }, (res) => {
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (text === 'first|') clientGotFirst();
      });
      res.once('end', () => ok(text));
      res.once('error', fail);
    });
    req.once('error', fail);
    req.end();
  });
  assert.equal(body, 'first|second');
});

test('an upstream redirect is passed to the client, not followed', async (t) => {
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    },
  });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, 'http://169.254.169.254/latest/meta-data/');
  assert.equal(gw.upstream.requests.length, 1);
});

test('a HEAD request is forwarded and answered without a body', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 0);
  await gw.upstream.recorded(1);
  assert.equal(gw.upstream.requests[0]!.method, 'HEAD');
});

test('two requests on one kept-alive connection are both forwarded', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: gw.ca });
  t.after(() => agent.destroy());
  const sockets = new Set<unknown>();
  for (const path of ['/api/one', '/api/two']) {
    const status = await new Promise<number>((ok, fail) => {
      https.get(`${gw.url}${path}`, { agent, signal: AbortSignal.timeout(5000) }, (res) => {
        sockets.add(res.socket);
        res.resume();
        res.once('end', () => ok(res.statusCode ?? 0));
      }).once('error', fail);
    });
    assert.equal(status, 200);
  }
  assert.equal(sockets.size, 1);
  await gw.upstream.recorded(2);
  assert.deepEqual(gw.upstream.requests.map((r) => r.url), ['/api/one', '/api/two']);
});

test('the response carries one X-Request-Id, the gateway\'s, even when the upstream sets its own', async (t) => {
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { 'x-request-id': 'upstream-chosen-id' });
      res.end('ok');
    },
  });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca, headers: { 'x-request-id': 'client-chosen-id' } });
  const ids = r.rawHeaders.filter((_v, i) => i % 2 === 1 && r.rawHeaders[i - 1]!.toLowerCase() === 'x-request-id');
  assert.deepEqual(ids, ['client-chosen-id']);
});

test('a response header the upstream names in Connection is not passed to the client', async (t) => {
  const gw = await startTestGateway({
    upstream: (req, res) => {
      req.resume();
      res.writeHead(200, { connection: 'keep-alive, X-Upstream-Hop', 'x-upstream-hop': 'internal' });
      res.end('ok');
    },
  });
  t.after(() => gw.close());
  const r = await send(`${gw.url}/api/x`, { ca: gw.ca });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-upstream-hop'], undefined);
});
