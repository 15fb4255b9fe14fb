// The vendored SSRF corpus (test/corpora/ssrf, see its README) against the outbound URL check:
// every `block` input refused, every `allow` input accepted. The check runs with every port and
// both http and https allowed, so what refuses a case is the address, name or URL rule itself,
// never the default scheme or port allowlist. Names that need DNS resolve through a table that
// maps them to the internal addresses they stand for; any other name fails (no real DNS), and a
// refusal for that reason fails the test, so the table cannot silently fall behind the corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createOutboundClient } from '../src/outbound/client.js';
import { httpServer, rebindingResolver, recordConnectionAttempts, tableResolver, UNROUTED_PUBLIC } from '../src/outbound/test-helpers.js';
import { OutboundError, type UrlCheck } from '../src/core/outbound.js';

interface Case {
  readonly input: string;
  readonly category: string;
  readonly expect: 'block' | 'allow';
}

const CASES: readonly Case[] = readFileSync(new URL('corpora/ssrf/ssrf-cases.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Case);

const LISTS = JSON.parse(readFileSync(new URL('corpora/ssrf/private-ip-test-lists.json', import.meta.url), 'utf8')) as { public: string[]; private: string[] };

/** Public DNS names that resolve to internal addresses (wildcard DNS services, loopback domains). */
const DNS: Record<string, string[]> = {
  'localtest.me': ['127.0.0.1'],
  'localh.st': ['127.0.0.1'],
  'lvh.me': ['127.0.0.1'],
  'company.127.0.0.1.nip.io': ['127.0.0.1'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  '169.254.169.254.nip.io': ['169.254.169.254'],
  // The corpus's stand-in for an internal name, spelled in enclosed alphanumerics: what matters
  // is that the parser hands DNS the plain name, which the internal resolver maps inward.
  'example.com': ['10.0.0.80'],
};

/** Redirect services: the hop they answer with. They are reached through an allowed test origin. */
const REDIRECTORS: Record<string, { status: number; location: string }> = {
  '307.r3dir.me': { status: 307, location: 'http://localhost' },
  'nicob.net': { status: 302, location: 'http://169.254.169.254:80/' },
};

const REBINDING = 'make-1.2.3.4-rebind-169.254-169.254-rr.1u.ms';

/**
 * Public addresses of the private-ip list that the gateway refuses on purpose: multicast is
 * never a unicast TCP target, and site-local (deprecated by RFC 3879) is still routed
 * internally by some networks.
 */
const REFUSED_ON_PURPOSE: Record<string, string> = {
  '226.84.185.150': 'multicast',
  '227.202.96.196': 'multicast',
  'fec0::': 'site-local',
};

const EVERY_PORT = Array.from({ length: 65535 }, (_, i) => i + 1);

function checker() {
  return createOutboundClient({ timeoutMs: 1000, maxResponseBytes: 4096, allow: [], schemes: ['http', 'https'], ports: EVERY_PORT, resolve: tableResolver(DNS).resolve });
}

/** The input as a URL: itself when it has a scheme, else the host of `https://<input>/`. */
function asUrl(input: string): string {
  // Not `new URL(input)`: it reads `fb00::` as a URL of scheme `fb00:`.
  if (/^(?:https?|jar|gopher):/i.test(input)) return input;
  const host = input.includes(':') && !input.startsWith('[') ? `[${input}]` : input;
  return `https://${host}${host.endsWith('/') ? '' : '/'}`;
}

function parses(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * What is wrong with a block case's result, or undefined: it must be refused, and by a rule —
 * not by a gap in the test's DNS table or the port list.
 */
function notRefusedByRule(input: string, result: UrlCheck): string | undefined {
  if (result.ok) return `${input}: accepted`;
  const url = asUrl(input);
  if (result.code === 'invalid_url') return parses(url) ? `${input}: invalid_url although it parses` : undefined;
  if (result.code === 'scheme') return /^https?:/i.test(url) ? `${input}: refused for its scheme` : undefined;
  return result.code === 'address' ? undefined : `${input}: ${result.code}`;
}

const hostHops = new Set([...Object.keys(REDIRECTORS), REBINDING]);
function hostOf(input: string): string {
  return parses(asUrl(input)) ? new URL(asUrl(input)).hostname : '';
}
const viaHost = (c: Case) => hostHops.has(hostOf(c.input));

test('the corpus has the size its README gives', () => {
  assert.deepEqual([CASES.length, CASES.filter((c) => c.expect === 'block').length, LISTS.private.length, LISTS.public.length], [336, 305, 134, 31]);
});

test('every block input is refused by the URL check itself', async (t) => {
  const c = checker();
  t.after(() => c.close());
  const problems: string[] = [];
  for (const k of CASES.filter((x) => x.expect === 'block' && !viaHost(x))) {
    const problem = notRefusedByRule(k.input, await c.check(asUrl(k.input)));
    if (problem !== undefined) problems.push(problem);
  }
  assert.deepEqual(problems, []);
});

test('every allow input passes the address check, except the ones refused on purpose', async (t) => {
  const c = checker();
  t.after(() => c.close());
  const problems: string[] = [];
  for (const k of CASES.filter((x) => x.expect === 'allow')) {
    const result = await c.check(asUrl(k.input));
    const onPurpose = REFUSED_ON_PURPOSE[k.input];
    if (onPurpose === undefined && !result.ok) problems.push(`${k.input}: refused (${result.reason})`);
    if (onPurpose !== undefined && (result.ok || result.reason !== `a ${onPurpose} address`)) problems.push(`${k.input}: not refused as ${onPurpose}`);
  }
  assert.deepEqual(problems, []);
});

test('every address of the private list is refused, every public one accepted (but the exceptions)', async (t) => {
  const c = checker();
  t.after(() => c.close());
  const problems: string[] = [];
  for (const a of LISTS.private) {
    const problem = notRefusedByRule(a, await c.check(asUrl(a)));
    if (problem !== undefined) problems.push(problem);
  }
  for (const a of LISTS.public) if (!(await c.check(asUrl(a))).ok && !(a in REFUSED_ON_PURPOSE)) problems.push(`${a}: refused`);
  assert.deepEqual(problems, []);
});

test('redirect-service inputs are refused at the hop to the internal address', async (t) => {
  const cases = CASES.filter((x) => x.expect === 'block' && viaHost(x) && hostOf(x.input) !== REBINDING);
  assert.equal(cases.length, 2);
  const service = await httpServer(t, (req, res) => {
    const hop = REDIRECTORS[(req.headers.host ?? '').replace(/:\d+$/, '')];
    res.writeHead(hop?.status ?? 404, hop ? { location: hop.location } : {});
    res.end();
  });
  for (const k of cases) {
    const url = new URL(asUrl(k.input));
    // The service is played by a local plain-HTTP server on its own port.
    url.protocol = 'http:';
    url.port = String(service.port);
    const dns = tableResolver({ [url.hostname]: ['127.0.0.1'] });
    const c = createOutboundClient({ timeoutMs: 1000, maxResponseBytes: 4096, allow: [url.origin], schemes: ['http', 'https'], ports: EVERY_PORT, redirects: 5, resolve: dns.resolve });
    t.after(() => c.close());
    await assert.rejects(c.request({ url: url.href }), (e: unknown) => e instanceof OutboundError && e.code === 'outbound.blocked' && e.check === 'address', k.input);
  }
  // Each service was asked once: the refusal is the hop's, not the first URL's.
  assert.equal(service.hits(), 2);
});

test('the DNS-rebinding input never gets a connection to its second answer', async (t) => {
  const [k] = CASES.filter((x) => hostOf(x.input) === REBINDING);
  assert.ok(k);
  const attempts = recordConnectionAttempts(t);
  const dns = rebindingResolver(UNROUTED_PUBLIC, '169.254.169.254');
  const c = createOutboundClient({ timeoutMs: 300, maxResponseBytes: 4096, allow: [], schemes: ['http', 'https'], ports: EVERY_PORT, resolve: dns.resolve });
  t.after(() => c.close());
  await assert.rejects(c.request({ url: k.input }), OutboundError);
  // A second lookup, as the upstream's own connection would make, is refused.
  const again = await c.check(k.input);
  assert.deepEqual([attempts, dns.asked.length, again.ok ? 'ok' : again.code], [[UNROUTED_PUBLIC], 2, 'address']);
});
