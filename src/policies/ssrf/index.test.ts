import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../core/config-error.js';
import type { RequestContext } from '../../core/context.js';
import { NO_OUTBOUND, type HostResolver, type OutboundClient } from '../../core/outbound.js';
import type { PolicyAuditEvent } from '../../core/policy.js';
import { problemBody, type Denial } from '../../core/problem.js';
import { createOutboundClient } from '../../outbound/client.js';
import { tableResolver } from '../../outbound/test-helpers.js';
import { compileEnvFor, fakeContext, schemaValidator } from '../test-helpers.js';
import policy, { SsrfSchema, type SsrfConfig } from './index.js';

const fill = schemaValidator(SsrfSchema);

const DNS = {
  'hooks.example.com': ['93.184.215.14'],
  'api.example.com': ['93.184.215.15'],
  'example.com': ['93.184.215.16'],
  'internal.example.com': ['10.1.2.3'],
  'localtest.me': ['127.0.0.1'],
};

interface Harness {
  run(ctx: RequestContext): Promise<Denial | undefined>;
  readonly audits: PolicyAuditEvent[];
  readonly warnings: string[];
  readonly asked: string[];
  readonly requestBody: 'json' | undefined;
}

function harness(t: TestContext, config: Record<string, unknown>, options: { resolve?: HostResolver; outbound?: OutboundClient; allow?: string[] } = {}): Harness {
  const copy = structuredClone(config);
  assert.equal(fill(copy), true, JSON.stringify(fill.errors));
  const dns = tableResolver(DNS);
  const client = createOutboundClient({ timeoutMs: 1000, maxResponseBytes: 1024, allow: options.allow ?? [], resolve: options.resolve ?? dns.resolve });
  t.after(() => client.close());
  const audits: PolicyAuditEvent[] = [];
  const warnings: string[] = [];
  const compiled = policy.compile(copy as SsrfConfig, compileEnvFor(policy, {
    outbound: options.outbound ?? client,
    audit: (_ctx, e) => audits.push(e),
    warn: (path, message) => warnings.push(`${path.join('.')}: ${message}`),
  }));
  return {
    audits,
    warnings,
    asked: dns.asked,
    requestBody: compiled.requestBody,
    run: async (ctx) => (await compiled.onRequest?.(ctx)) ?? undefined,
  };
}

function post(body: unknown, options: { url?: string; headers?: Record<string, string> } = {}): RequestContext {
  const ctx = fakeContext({ method: 'POST', url: options.url ?? '/api/v1/webhooks', headers: { 'content-type': 'application/json', ...options.headers } });
  if (body !== undefined) {
    ctx.rawBody = Buffer.from(JSON.stringify(body));
    ctx.body = structuredClone(body);
  }
  return ctx;
}

function codeOf(denial: Denial | undefined): string {
  return denial === undefined ? 'allowed' : `${denial.status} ${denial.code}`;
}

const WEBHOOK = { fields: [{ in: 'body', name: '/url' }] };

test('a public https URL is accepted, and the decision audited', async (t) => {
  const h = harness(t, WEBHOOK);
  assert.equal(codeOf(await h.run(post({ url: 'https://hooks.example.com/in' }))), 'allowed');
  assert.deepEqual(h.audits, [{ type: 'ssrf', outcome: 'success', rule: 'ssrf: body /url' }]);
});

test('the policy asks for the JSON body only when a field is in the body', (t) => {
  assert.deepEqual([harness(t, WEBHOOK).requestBody, harness(t, { fields: [{ in: 'query', name: 'cb' }] }).requestBody], ['json', undefined]);
});

test('loopback, metadata and their encoded forms are 403 blocked_address', async (t) => {
  const h = harness(t, WEBHOOK);
  const urls = ['https://127.0.0.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://017700000001/', 'https://127.1/', 'https://[::ffff:127.0.0.1]/', 'https://[::1]/', 'https://169.254.169.254/latest/meta-data/', 'https://0xA9FEA9FE/', 'https://metadata.google.internal/', 'https://localhost/'];
  const codes = await Promise.all(urls.map(async (url) => codeOf(await h.run(post({ url })))));
  assert.deepEqual(codes, Array(urls.length).fill('403 ssrf.blocked_address'));
});

test('a name that resolves to a private address is refused, audited with the check code and no URL', async (t) => {
  const h = harness(t, WEBHOOK);
  assert.equal(codeOf(await h.run(post({ url: 'https://internal.example.com/x?token=abc' }))), '403 ssrf.blocked_address');
  assert.deepEqual(h.audits, [{ type: 'ssrf', outcome: 'failure', rule: 'ssrf: body /url', reason: 'address' }]);
});

test('a name that does not resolve is refused', async (t) => {
  assert.equal(codeOf(await harness(t, WEBHOOK).run(post({ url: 'https://nowhere.example/' }))), '403 ssrf.blocked_address');
});

test('a resolver slower than timeoutMs is refused on time', async (t) => {
  const h = harness(t, { ...WEBHOOK, timeoutMs: 50 }, { resolve: () => new Promise(() => undefined) });
  const started = performance.now();
  assert.equal(codeOf(await h.run(post({ url: 'https://hooks.example.com/' }))), '403 ssrf.blocked_address');
  assert.ok(performance.now() - started < 1000);
});

test('garbage, relative URLs, other schemes and userinfo are 400 invalid_url', async (t) => {
  const h = harness(t, WEBHOOK);
  const urls = ['not a url', '/relative/path', 'http://hooks.example.com/', 'gopher://hooks.example.com/', 'javascript:alert(1)', 'https://user:pw@hooks.example.com/'];
  const codes = await Promise.all(urls.map(async (url) => codeOf(await h.run(post({ url })))));
  assert.deepEqual(codes, Array(urls.length).fill('400 ssrf.invalid_url'));
});

test('the refusal never echoes the URL', async (t) => {
  const denial = await harness(t, WEBHOOK).run(post({ url: 'https://internal.example.com/secret-path' }));
  assert.ok(denial);
  assert.doesNotMatch(problemBody(denial, 'r1'), /internal|secret-path/);
});

test('a port outside the list is 403; listing it accepts it', async (t) => {
  const ctx = () => post({ url: 'https://hooks.example.com:8443/' });
  assert.deepEqual([codeOf(await harness(t, WEBHOOK).run(ctx())), codeOf(await harness(t, { ...WEBHOOK, ports: [443, 8443] }).run(ctx()))], ['403 ssrf.blocked_address', 'allowed']);
});

test('the policy\'s schemes replace the gateway\'s: http may be allowed for webhooks', async (t) => {
  assert.equal(codeOf(await harness(t, { ...WEBHOOK, schemes: ['https', 'http'], ports: [80, 443] }).run(post({ url: 'http://hooks.example.com/' }))), 'allowed');
});

test('an absent field passes unless required', async (t) => {
  const ctx = () => post({ name: 'no url' });
  assert.deepEqual([codeOf(await harness(t, WEBHOOK).run(ctx())), codeOf(await harness(t, { ...WEBHOOK, required: true }).run(ctx()))], ['allowed', '400 ssrf.invalid_url']);
});

test('a required field that is null, or a request without a body, is refused', async (t) => {
  const h = harness(t, { ...WEBHOOK, required: true });
  assert.deepEqual([codeOf(await h.run(post({ url: null }))), codeOf(await h.run(post(undefined)))], ['400 ssrf.invalid_url', '400 ssrf.invalid_url']);
});

test('a value that is not a string is refused', async (t) => {
  const h = harness(t, WEBHOOK);
  assert.equal(codeOf(await h.run(post({ url: { href: 'https://127.0.0.1/' } }))), '400 ssrf.invalid_url');
  assert.equal(h.audits[0]?.reason, 'not_a_string');
});

test('a body that is not JSON is refused (the URL could hide in it)', async (t) => {
  const h = harness(t, WEBHOOK);
  const ctx = fakeContext({ method: 'POST', url: '/api/v1/webhooks', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  ctx.rawBody = Buffer.from('url=https%3A%2F%2F127.0.0.1%2F');
  assert.deepEqual([codeOf(await h.run(ctx)), h.audits[0]?.reason], ['400 ssrf.invalid_url', 'body_not_json']);
});

test('a wildcard pointer checks every element; one bad URL refuses the request', async (t) => {
  const h = harness(t, { fields: [{ in: 'body', name: '/hooks/*/url' }] });
  const good = { hooks: [{ url: 'https://hooks.example.com/a' }, { url: 'https://api.example.com/b' }] };
  const bad = { hooks: [{ url: 'https://hooks.example.com/a' }, { url: 'https://169.254.169.254/' }] };
  assert.deepEqual([codeOf(await h.run(post(good))), codeOf(await h.run(post(bad)))], ['allowed', '403 ssrf.blocked_address']);
});

test('more URLs than maxUrls are refused before any lookup', async (t) => {
  const h = harness(t, { fields: [{ in: 'body', name: '/hooks/*' }], maxUrls: 3 });
  const body = { hooks: Array.from({ length: 1000 }, () => 'https://hooks.example.com/') };
  assert.deepEqual([codeOf(await h.run(post(body))), h.asked], ['400 ssrf.too_many_urls', []]);
});

test('a query parameter is checked', async (t) => {
  const h = harness(t, { fields: [{ in: 'query', name: 'callback' }] });
  const ctx = fakeContext({ url: `/api/v1/export?callback=${encodeURIComponent('https://0x7f.1/')}` });
  assert.equal(codeOf(await h.run(ctx)), '403 ssrf.blocked_address');
});

test('every occurrence of a header is checked, whatever its case', async (t) => {
  const h = harness(t, { fields: [{ in: 'header', name: 'X-Callback-Url' }] });
  const ctx = fakeContext({ url: '/api/v1/export', headers: { 'x-callback-url': 'https://hooks.example.com/' } });
  ctx.req.rawHeaders.push('X-CALLBACK-URL', 'https://[::ffff:a9fe:a9fe]/');
  assert.equal(codeOf(await h.run(ctx)), '403 ssrf.blocked_address');
});

test('allowHosts refuses other hosts without a DNS lookup', async (t) => {
  const h = harness(t, { ...WEBHOOK, allowHosts: ['hooks.example.com'] });
  assert.deepEqual([codeOf(await h.run(post({ url: 'https://api.example.com/' }))), h.audits[0]?.reason, h.asked], ['403 ssrf.blocked_address', 'host', []]);
});

test('a listed host must still resolve to public addresses', async (t) => {
  const h = harness(t, { ...WEBHOOK, allowHosts: ['internal.example.com'] });
  assert.equal(codeOf(await h.run(post({ url: 'https://internal.example.com/' }))), '403 ssrf.blocked_address');
});

test('a dotted suffix matches subdomains, not the bare domain', async (t) => {
  const h = harness(t, { ...WEBHOOK, allowHosts: ['.example.com'] });
  assert.deepEqual([codeOf(await h.run(post({ url: 'https://hooks.example.com/' }))), codeOf(await h.run(post({ url: 'https://example.com/' })))], ['allowed', '403 ssrf.blocked_address']);
});

test('resolve: false warns and skips DNS, but literals and internal names are still refused', async (t) => {
  const h = harness(t, { ...WEBHOOK, resolve: false });
  const codes = [await h.run(post({ url: 'https://localtest.me/' })), await h.run(post({ url: 'https://127.0.0.1/' })), await h.run(post({ url: 'https://metadata.google.internal/' }))].map(codeOf);
  assert.deepEqual([codes, h.asked, h.warnings.length], [['allowed', '403 ssrf.blocked_address', '403 ssrf.blocked_address'], [], 1]);
});

test('an outbound.allow origin passes only if the policy\'s own schemes and ports allow it', async (t) => {
  const allow = ['http://localhost:9000'];
  const ctx = () => post({ url: 'http://localhost:9000/hook' });
  const strict = harness(t, WEBHOOK, { allow });
  const open = harness(t, { ...WEBHOOK, schemes: ['http', 'https'], ports: [9000] }, { allow });
  assert.deepEqual([codeOf(await strict.run(ctx())), codeOf(await open.run(ctx()))], ['400 ssrf.invalid_url', 'allowed']);
});

test('without an outbound client (check mode) every URL is refused', async (t) => {
  assert.equal(codeOf(await harness(t, WEBHOOK, { outbound: NO_OUTBOUND }).run(post({ url: 'https://hooks.example.com/' }))), '403 ssrf.blocked_address');
});

test('a malformed pointer is a config error at its path', (t) => {
  assert.throws(() => harness(t, { fields: [{ in: 'body', name: '/ok' }, { in: 'body', name: 'url' }, { in: 'body', name: '/a~2b' }] }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.issues.map((i) => i.path.join('.')), ['fields.1.name', 'fields.2.name']);
    return true;
  });
});
