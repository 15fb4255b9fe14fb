/**
 * JSONTestSuite through a real gateway: every file of test/corpora/json/test_parsing is POSTed as
 * an application/json body to a route whose property-level write rule makes the gateway parse the
 * body. `n_` files are 400 request.invalid_json and never reach the upstream; `y_` files reach it
 * byte for byte (but the two with duplicate keys, refused by design); `i_` files get the answer
 * documented in strict-json.ts: numbers accepted, the rest refused. One gateway, one keep-alive
 * connection for the whole file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'undici';
import { assertProblem } from './helpers/client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const CORPUS = resolve(import.meta.dirname, 'corpora/json/test_parsing');
const files = readdirSync(CORPUS).sort();

/** `y_` files refused on purpose (duplicate keys: which value wins differs between parsers). */
const REFUSED_Y = new Set(['y_object_duplicated_key.json', 'y_object_duplicated_key_and_value.json']);

/** The documented `i_` answer: numbers of any size are accepted; BOMs, non-UTF-8, lone surrogates and 500-deep nesting are refused. */
const acceptedI = (file: string): boolean => file.startsWith('i_number_');

let gw: TestGateway;
let client: Client;

before(async () => {
  gw = await startTestGateway({
    tls: false,
    config: { routes: [{ path: '/api/*', methods: ['POST'], upstream: 'api', public: true, policies: { 'property-level': { write: { serverOwned: ['portcullisOwned'] } } } }] },
  });
  client = new Client(gw.url, { keepAliveTimeout: 30_000 });
});

after(async () => {
  await client.close();
  await gw.close();
});

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

async function post(body: Buffer): Promise<Answer> {
  const res = await client.request({ path: '/api/json', method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const contentType = res.headers['content-type'];
  return { status: res.statusCode, contentType: typeof contentType === 'string' ? contentType : undefined, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** Sends `raw`, asserts it was forwarded unchanged. */
async function assertForwarded(raw: Buffer): Promise<void> {
  const seen = gw.upstream.requests.length;
  const answer = await post(raw);
  assert.equal(answer.status, 200);
  await gw.upstream.recorded(seen + 1);
  assert.deepEqual(gw.upstream.requests[seen]!.body, raw);
}

/** Sends `raw`, asserts 400 request.invalid_json and that the upstream saw nothing. Returns the problem. */
async function assertRefused(raw: Buffer): Promise<Record<string, unknown>> {
  const seen = gw.upstream.requests.length;
  const problem = assertProblem(await post(raw), 400, 'request.invalid_json');
  assert.equal(gw.upstream.requests.length, seen);
  return problem;
}

for (const file of files) {
  const raw = readFileSync(join(CORPUS, file));
  if (file.startsWith('n_')) {
    test(`${file} is refused with 400 and not forwarded`, () => assertRefused(raw).then(() => undefined));
  } else if (file.startsWith('y_') && !REFUSED_Y.has(file)) {
    test(`${file} is forwarded unchanged`, () => assertForwarded(raw));
  } else if (file.startsWith('y_')) {
    test(`${file} is refused as a duplicate key`, async () => {
      assert.deepEqual((await assertRefused(raw)).errors, [{ pointer: '/a', in: 'body', reason: 'duplicate_key' }]);
    });
  } else if (file.startsWith('i_')) {
    test(`${file} is ${acceptedI(file) ? 'forwarded' : 'refused'} as documented`, () => (acceptedI(file) ? assertForwarded(raw) : assertRefused(raw).then(() => undefined)));
  }
}

test('the corpus has every file the tests above expect', () => {
  const count = (prefix: string) => files.filter((f) => f.startsWith(prefix)).length;
  assert.deepEqual([count('y_'), count('n_'), count('i_')], [95, 188, 35]);
});

test('100,000 nested arrays (closed) are refused quickly with the depth pointer', async () => {
  const raw = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  const started = performance.now();
  const problem = await assertRefused(raw);
  const elapsed = performance.now() - started;
  assert.deepEqual([(problem.errors as Array<{ reason: string }>)[0]?.reason, elapsed < 1000], ['depth', true]);
});

test('50,000 keys in one object are refused quickly', async () => {
  const raw = Buffer.from(`{${Array.from({ length: 50_000 }, (_, k) => `"k${k}":0`).join(',')}}`);
  const started = performance.now();
  const problem = await assertRefused(raw);
  const elapsed = performance.now() - started;
  assert.deepEqual([(problem.errors as Array<{ reason: string }>)[0]?.reason, elapsed < 1000], ['keys', true]);
});

test('a refusal does not echo the body', async () => {
  const problem = await assertRefused(Buffer.from('{"note":"s3cr3t-value","note":"other"}'));
  assert.equal(JSON.stringify(problem).includes('s3cr3t'), false);
});
