// "No connection is ever opened to a refused address": a TCP server on 127.0.0.1 counts every
// connection it accepts, and every spelling of its address and port — encoded IPv4 forms,
// IPv4-mapped IPv6, names that resolve to it, a name that rebinds to it, a redirect to it — goes
// through the outbound client and through the ssrf policy. All are refused; the server sees none.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { OutboundError } from '../src/core/outbound.js';
import { createOutboundClient, type OutboundOptions } from '../src/outbound/client.js';
import { countingServer, httpServer, rebindingResolver, recordConnectionAttempts, tableResolver, UNROUTED_PUBLIC } from '../src/outbound/test-helpers.js';
import { compileEnvFor, fakeContext, schemaValidator } from '../src/policies/test-helpers.js';
import ssrf, { SsrfSchema, type SsrfConfig } from '../src/policies/ssrf/index.js';

const DNS = {
  'loopback.test': ['127.0.0.1'],
  'www.public-looking.com': ['127.0.0.1'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  'dual.public-looking.com': ['93.184.215.14', '127.0.0.1'],
};

/** Every way of writing 127.0.0.1:port a test could think of. */
function spellings(port: number): string[] {
  const hosts = [
    '127.0.0.1', '2130706433', '0x7f000001', '0x7f.1', '0x7F.0.0.1', '017700000001', '0177.0.0.1', '0177.0.0.01', '127.1', '127.0.1',
    '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:127.0.0.1]', '[::127.0.0.1]', '[::1]', '0', '0.0.0.0',
    'localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'loopback.test', 'www.public-looking.com', '127.0.0.1.nip.io', 'dual.public-looking.com',
  ];
  return hosts.flatMap((h) => [`http://${h}:${port}/`, `https://${h}:${port}/`]);
}

function client(t: TestContext, options: Partial<OutboundOptions>) {
  const c = createOutboundClient({ timeoutMs: 500, maxResponseBytes: 1024, allow: [], ...options });
  t.after(() => c.close());
  return c;
}

test('the client refuses every spelling of a loopback port before connecting', async (t) => {
  const sink = await countingServer(t);
  const c = client(t, { schemes: ['http', 'https'], ports: [sink.port], resolve: tableResolver(DNS).resolve });
  const outcomes = await Promise.all(spellings(sink.port).map((url) => c.request({ url }).then(() => `${url} answered`, (e: unknown) => (e instanceof OutboundError && e.code === 'outbound.blocked' ? 'blocked' : `${url} ${String(e)}`))));
  assert.deepEqual([outcomes.filter((o) => o !== 'blocked'), sink.connections()], [[], 0]);
});

test('the ssrf policy refuses every spelling with 403, and nothing connects', async (t) => {
  const sink = await countingServer(t);
  const config = { fields: [{ in: 'body', name: '/url' }], schemes: ['http', 'https'], ports: [sink.port] };
  assert.equal(schemaValidator(SsrfSchema)(config), true);
  const outbound = client(t, { resolve: tableResolver(DNS).resolve });
  const compiled = ssrf.compile(config as SsrfConfig, compileEnvFor(ssrf, { outbound }));
  const statuses = await Promise.all(spellings(sink.port).map(async (url) => {
    const ctx = fakeContext({ method: 'POST', url: '/api/v1/webhooks' });
    ctx.body = { url };
    const denial = await compiled.onRequest?.(ctx);
    return denial ? `${denial.status} ${denial.code}` : `${url} allowed`;
  }));
  assert.deepEqual([[...new Set(statuses)], sink.connections()], [['403 ssrf.blocked_address'], 0]);
});

test('a name that rebinds to loopback after the check never reaches it', async (t) => {
  const sink = await countingServer(t);
  const attempts = recordConnectionAttempts(t);
  const dns = rebindingResolver(UNROUTED_PUBLIC, '127.0.0.1');
  const c = client(t, { schemes: ['http'], ports: [sink.port], resolve: dns.resolve, timeoutMs: 300 });
  await assert.rejects(c.request({ url: `http://rebind.public-looking.com:${sink.port}/` }), OutboundError);
  assert.deepEqual([dns.asked.length, attempts, sink.connections()], [1, [UNROUTED_PUBLIC], 0]);
});

test('a redirect from an allowed origin to loopback is refused at the hop', async (t) => {
  const sink = await countingServer(t);
  const targets = [`http://127.0.0.1:${sink.port}/`, `http://2130706433:${sink.port}/`, `http://loopback.test:${sink.port}/`, `http://[::ffff:7f00:1]:${sink.port}/`];
  let next = 0;
  const redirector = await httpServer(t, (_req, res) => {
    res.writeHead(302, { location: targets[next++ % targets.length] });
    res.end();
  });
  const c = client(t, { allow: [redirector.origin], redirects: 5, schemes: ['http', 'https'], ports: [sink.port], resolve: tableResolver(DNS).resolve });
  const checks: Array<string | undefined> = [];
  for (let i = 0; i < targets.length; i++) {
    await c.request({ url: `${redirector.origin}/go` }).catch((e: unknown) => checks.push(e instanceof OutboundError ? `${e.code}:${e.check}` : String(e)));
  }
  assert.deepEqual([checks, redirector.hits(), sink.connections()], [Array(targets.length).fill('outbound.blocked:address'), targets.length, 0]);
});
