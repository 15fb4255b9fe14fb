import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencySchema, HeadersSchema, LimitSchema, PlanSchema, RateLimitSchema, StoreSchema } from './schema.js';
import { schemaValidator } from '../test-helpers.js';

const validate = schemaValidator(RateLimitSchema);

function errorsOf(config: unknown): Array<[string, string]> {
  assert.equal(validate(config), false);
  return (validate.errors ?? []).map((e) => [e.instancePath, e.keyword]);
}

test('{} is a complete config and gets no top-level defaults (a route\'s config is merged over the defaults\')', () => {
  const config = {};
  assert.equal(validate(config), true);
  assert.deepEqual(config, {});
});

test('a limit gets its defaults: sliding-window, key ip, perRoute, cost 1', () => {
  const config = { limits: [{ name: 'signup', rate: '3/hour' }] };
  assert.equal(validate(config), true);
  assert.deepEqual(config.limits[0], { name: 'signup', rate: '3/hour', algorithm: 'sliding-window', key: 'ip', perRoute: true, cost: 1 });
});

test('a store gets its defaults', () => {
  const config = { store: { type: 'redis' } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.store, { type: 'redis', url: 'redis://127.0.0.1:6379', keyPrefix: 'portcullis:rl:', commandTimeoutMs: 250, maxKeys: 100_000 });
});

test('concurrency gets its defaults: key principal, perRoute, a 60 s lease', () => {
  const config = { concurrency: { max: 3 } };
  assert.equal(validate(config), true);
  assert.deepEqual(config.concurrency, { max: 3, key: 'principal', perRoute: true, leaseMs: 60_000 });
});

test('headers get their defaults: X-RateLimit on, IETF off', () => {
  const config = { headers: {} };
  assert.equal(validate(config), true);
  assert.deepEqual(config.headers, { xRateLimit: true, ietf: false });
});

test('a complete config is kept as given', () => {
  const config = {
    store: { type: 'redis', url: 'rediss://user:pw@redis.internal:6380/2', keyPrefix: 'gw1:', commandTimeoutMs: 100, maxKeys: 5000 },
    limits: [{ name: 'per-user', rate: '100/min', algorithm: 'token-bucket', burst: 20, key: 'principal', perRoute: false, cost: 1 }],
    plans: { premium: { limits: [{ name: 'per-user', rate: '1000/min', algorithm: 'token-bucket', burst: 100, key: 'principal', perRoute: false, cost: 1 }] } },
    concurrency: { max: 5, key: 'api-key', perRoute: false, leaseMs: 30_000 },
    failureMode: 'open',
    fallback: 'memory',
    headers: { xRateLimit: false, ietf: true },
    ipv6Subnet: 56,
  };
  const copy = structuredClone(config);
  assert.equal(validate(copy), true);
  assert.deepEqual(copy, config);
});

for (const key of ['ip', 'principal', 'api-key', 'route', 'header:X-Tenant', 'header:x-api-client']) {
  test(`key ${key} is accepted`, () => {
    assert.equal(validate({ limits: [{ name: 'a', rate: '1/s', key }] }), true);
  });
}

for (const key of ['cookie:session', 'header:', 'header:x tenant', 'cel:request.ip', 'IP', 'header:x:y']) {
  test(`key ${key} is refused`, () => {
    assert.deepEqual(errorsOf({ limits: [{ name: 'a', rate: '1/s', key }] }), [['/limits/0/key', 'pattern']]);
  });
}

test('an unknown key in the policy config is refused', () => {
  assert.deepEqual(errorsOf({ limit: [] }), [['', 'additionalProperties']]);
});

test('an unknown key in a limit is refused', () => {
  assert.deepEqual(errorsOf({ limits: [{ name: 'a', rate: '1/s', window: 60 }] }), [['/limits/0', 'additionalProperties']]);
});

test('a limit without a name or rate is refused', () => {
  assert.deepEqual(errorsOf({ limits: [{}] }), [['/limits/0', 'required'], ['/limits/0', 'required']]);
});

test('a limit name with upper case or spaces is refused', () => {
  assert.deepEqual(errorsOf({ limits: [{ name: 'Sign Up', rate: '1/s' }] }), [['/limits/0/name', 'pattern']]);
});

test('an unknown algorithm is refused', () => {
  assert.deepEqual(errorsOf({ limits: [{ name: 'a', rate: '1/s', algorithm: 'leaky-bucket' }] }), [['/limits/0/algorithm', 'enum']]);
});

test('more than 8 limits in one list are refused', () => {
  assert.deepEqual(errorsOf({ limits: Array.from({ length: 9 }, (_, i) => ({ name: `l${i}`, rate: '1/s' })) }), [['/limits', 'maxItems']]);
});

test('a store type other than memory or redis is refused', () => {
  assert.deepEqual(errorsOf({ store: { type: 'memcached' } }), [['/store/type', 'enum']]);
});

test('a store URL that is not redis:// or rediss:// is refused', () => {
  assert.deepEqual(errorsOf({ store: { type: 'redis', url: 'http://redis:6379' } }), [['/store/url', 'pattern']]);
});

test('a commandTimeoutMs over 10 s is refused (a request must never wait that long for a counter)', () => {
  assert.deepEqual(errorsOf({ store: { commandTimeoutMs: 60_000 } }), [['/store/commandTimeoutMs', 'maximum']]);
});

test('failureMode other than open or closed is refused', () => {
  assert.deepEqual(errorsOf({ failureMode: 'fail' }), [['/failureMode', 'enum']]);
});

test('a plan key that is not a role name is refused', () => {
  assert.deepEqual(errorsOf({ plans: { 'gold plan': { limits: [] } } }), [['/plans', 'additionalProperties']]);
});

test('concurrency without max is refused', () => {
  assert.deepEqual(errorsOf({ concurrency: {} }), [['/concurrency', 'required']]);
});

test('ipv6Subnet below 32 is refused', () => {
  assert.deepEqual(errorsOf({ ipv6Subnet: 16 }), [['/ipv6Subnet', 'minimum']]);
});

test('every field is described', () => {
  for (const schema of [RateLimitSchema, LimitSchema, PlanSchema, StoreSchema, ConcurrencySchema, HeadersSchema]) {
    for (const [name, field] of Object.entries(schema.properties)) {
      assert.ok(typeof (field as { description?: unknown }).description === 'string' && (field as { description: string }).description.length > 0, name);
    }
  }
});
