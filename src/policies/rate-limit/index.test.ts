import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Ajv } from 'ajv';
import { pino } from 'pino';
import type { RequestContext } from '../../core/context.js';
import { ConfigError } from '../../core/config-error.js';
import type { CompiledPolicy, PolicyAuditEvent } from '../../core/policy.js';
import type { Principal } from '../../core/principal.js';
import { problemBody, type Denial } from '../../core/problem.js';
import { StoreUnavailableError, type ConcurrencyLease, type LimitResult, type LimitSpec } from '../../stores/contract.js';
import { createMemoryStore } from '../../stores/memory.js';
import { compileEnvFor, fakeContext } from '../test-helpers.js';
import defaultPolicy, { createRateLimitPolicy, type RateLimitConfig } from './index.js';
import { RateLimitSchema } from './schema.js';
import type { PolicyStore, StoreFactory } from './stores.js';

/** Midnight UTC: every window (s, min, hour, day) starts here. */
const T0 = Date.parse('2026-06-01T00:00:00Z');

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile(RateLimitSchema);

/** The config as the loader hands it over: validated, defaults filled in. */
function valid(config: Record<string, unknown>): RateLimitConfig {
  const copy = structuredClone(config);
  assert.ok(validate(copy), JSON.stringify(validate.errors));
  return copy;
}

interface Harness {
  readonly compiled: CompiledPolicy;
  readonly clock: { t: number };
  readonly audits: PolicyAuditEvent[];
  readonly logs: Array<Record<string, unknown>>;
  /** Runs onRequest, checked to answer synchronously. */
  run(ctx: RequestContext): Denial | undefined;
  /** Runs onRequest, awaiting a Promise if it returns one. */
  runAsync(ctx: RequestContext): Promise<Denial | undefined>;
}

function setup(config: Record<string, unknown>, options: { createStore?: StoreFactory; warnIntervalMs?: number } = {}): Harness {
  const clock = { t: T0 };
  const audits: PolicyAuditEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _enc, done) { logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } }));
  const policy = createRateLimitPolicy({ now: () => clock.t, ...options });
  const compiled = policy.compile(valid(config), compileEnvFor(policy, { audit: (_ctx, e) => audits.push(e), logger }));
  const onRequest = compiled.onRequest;
  assert.ok(onRequest, 'expected a request handler');
  return {
    compiled, clock, audits, logs,
    run(ctx) {
      const r = onRequest(ctx);
      assert.ok(!(r instanceof Promise), 'expected a synchronous answer');
      return r ?? undefined;
    },
    async runAsync(ctx) {
      return (await onRequest(ctx)) ?? undefined;
    },
  };
}

interface RequestOptions {
  readonly ip?: string;
  readonly route?: string;
  readonly principal?: Partial<Principal>;
  readonly headers?: Record<string, string>;
}

function request(options: RequestOptions = {}): RequestContext {
  const route = options.route ?? '/api/v1/things';
  const ctx = fakeContext({ method: 'POST', url: route, headers: options.headers ?? {} }, 'https', options.ip ?? '203.0.113.7');
  ctx.route = route;
  if (options.principal) ctx.principal = { id: 'alice', kind: 'user', roles: [], scopes: [], attributes: {}, method: 'jwt', ...options.principal };
  return ctx;
}

/** The response headers the policy added, as a map (last wins). */
function headersOf(ctx: RequestContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < ctx.responseHeaders.length; i += 2) out[ctx.responseHeaders[i]!] = ctx.responseHeaders[i + 1]!;
  return out;
}

function xrl(ctx: RequestContext): [string | undefined, string | undefined, string | undefined] {
  const h = headersOf(ctx);
  return [h['x-ratelimit-limit'], h['x-ratelimit-remaining'], h['x-ratelimit-reset']];
}

/** allowed (true) or the refusal's code, for `n` requests built by `make`. */
function outcomes(h: Harness, n: number, make: () => RequestContext = () => request()): Array<true | string> {
  return Array.from({ length: n }, () => h.run(make())?.code ?? true);
}

function limit(rate: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'l', rate, ...extra };
}

function issuesOf(fn: () => unknown): Array<[string, string]> {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.issues.map((i) => [i.path.join('.'), i.message]);
  }
  assert.fail('expected a ConfigError');
}

function compileOnly(config: Record<string, unknown>, createStore?: StoreFactory): CompiledPolicy {
  const policy = createRateLimitPolicy(createStore ? { createStore } : {});
  return policy.compile(valid(config), compileEnvFor(policy));
}

// ── the policy ────────────────────────────────────────────────────────────────

test('the default export is the rate-limit policy of the limit phase, merged over the defaults', () => {
  assert.deepEqual([defaultPolicy.name, defaultPolicy.phase, defaultPolicy.mergeWithDefaults, Object.keys(defaultPolicy.errors)], ['rate-limit', 'limit', true, ['exceeded', 'concurrency_exceeded', 'unavailable']]);
});

test('on the memory store a check answers synchronously', () => {
  const h = setup({ limits: [limit('10/min')] });
  assert.equal(h.compiled.onRequest!(request()) instanceof Promise, false);
});

test('a config without limits, plans or concurrency adds no handler and creates no store', () => {
  let created = 0;
  const compiled = compileOnly({ store: { type: 'redis' } }, () => { created++; return createMemoryStore(); });
  assert.deepEqual([compiled.onRequest, created], [undefined, 0]);
});

// ── fixed window ──────────────────────────────────────────────────────────────

describe('fixed window', () => {
  test('N requests pass, the next is refused with 429 rate-limit.exceeded', () => {
    const h = setup({ limits: [limit('3/min', { algorithm: 'fixed-window' })] });
    assert.deepEqual(outcomes(h, 4), [true, true, true, 'rate-limit.exceeded']);
  });

  test('still refused 1 ms before the window ends, allowed again at the boundary', () => {
    const h = setup({ limits: [limit('2/min', { algorithm: 'fixed-window' })] });
    outcomes(h, 2);
    h.clock.t = T0 + 59_999;
    const before = h.run(request())?.code;
    h.clock.t = T0 + 60_000;
    assert.deepEqual([before, h.run(request())?.code], ['rate-limit.exceeded', undefined]);
  });

  test('Retry-After is the seconds left in the window, rounded up', () => {
    const h = setup({ limits: [limit('1/min', { algorithm: 'fixed-window' })] });
    h.clock.t = T0 + 30_500;
    h.run(request());
    const denial = h.run(request());
    assert.deepEqual(denial?.headers, ['retry-after', '30']);
  });
});

// ── sliding window ────────────────────────────────────────────────────────────

describe('sliding window', () => {
  test('is the default algorithm', () => {
    const h = setup({ limits: [limit('2/min')] });
    outcomes(h, 2);
    // A fixed window would allow again at the boundary; the previous window still weighs fully.
    h.clock.t = T0 + 60_000;
    assert.equal(h.run(request())?.code, 'rate-limit.exceeded');
  });

  test('half-way through the next window, half of the previous window\'s hits still count', () => {
    const h = setup({ limits: [limit('10/min')] });
    outcomes(h, 10);
    h.clock.t = T0 + 90_000;
    assert.deepEqual(outcomes(h, 6), [true, true, true, true, true, 'rate-limit.exceeded']);
  });

  test('two windows later everything is forgotten', () => {
    const h = setup({ limits: [limit('10/min')] });
    outcomes(h, 10);
    h.clock.t = T0 + 120_000;
    assert.deepEqual(xrl((() => { const c = request(); h.run(c); return c; })()), ['10', '9', '60']);
  });
});

// ── token bucket ──────────────────────────────────────────────────────────────

describe('token bucket', () => {
  test('a full bucket lets a burst through at once, then refuses', () => {
    const h = setup({ limits: [limit('60/min', { algorithm: 'token-bucket', burst: 5 })] });
    assert.deepEqual(outcomes(h, 6), [true, true, true, true, true, 'rate-limit.exceeded']);
  });

  test('a refused request is told to retry when the next token arrives (1 s at 60/min)', () => {
    const h = setup({ limits: [limit('60/min', { algorithm: 'token-bucket', burst: 5 })] });
    outcomes(h, 5);
    assert.deepEqual(h.run(request())?.headers, ['retry-after', '1']);
  });

  test('tokens refill at the average rate', () => {
    const h = setup({ limits: [limit('60/min', { algorithm: 'token-bucket', burst: 5 })] });
    outcomes(h, 5);
    h.clock.t = T0 + 2000;
    assert.deepEqual(outcomes(h, 3), [true, true, 'rate-limit.exceeded']);
  });

  test('after a quiet period the bucket is full again, never fuller than the burst', () => {
    const h = setup({ limits: [limit('60/min', { algorithm: 'token-bucket', burst: 5 })] });
    outcomes(h, 5);
    h.clock.t = T0 + 3_600_000;
    assert.deepEqual(outcomes(h, 6), [true, true, true, true, true, 'rate-limit.exceeded']);
  });

  test('without burst the capacity is the rate\'s count', () => {
    const h = setup({ limits: [limit('3/hour', { algorithm: 'token-bucket' })] });
    assert.deepEqual(outcomes(h, 4), [true, true, true, 'rate-limit.exceeded']);
  });

  test('X-RateLimit-Limit is the capacity, Remaining the tokens left, Reset the seconds until full', () => {
    const h = setup({ limits: [limit('60/min', { algorithm: 'token-bucket', burst: 5 })] });
    const ctx = request();
    h.run(ctx);
    assert.deepEqual(xrl(ctx), ['5', '4', '1']);
  });
});

// ── cost ──────────────────────────────────────────────────────────────────────

test('a limit with cost 2 lets half as many requests through', () => {
  const h = setup({ limits: [limit('4/min', { cost: 2 })] });
  assert.deepEqual(outcomes(h, 3), [true, true, 'rate-limit.exceeded']);
});

// ── several limits ────────────────────────────────────────────────────────────

describe('several limits', () => {
  const two = { limits: [limit('2/s', { name: 'per-second', algorithm: 'fixed-window' }), limit('4/min', { name: 'per-minute', algorithm: 'fixed-window' })] };

  test('every limit must pass', () => {
    const h = setup(two);
    const first = outcomes(h, 3);
    h.clock.t = T0 + 1000;
    assert.deepEqual([...first, ...outcomes(h, 2)], [true, true, 'rate-limit.exceeded', true, 'rate-limit.exceeded']);
  });

  test('the headers come from the most restrictive limit (least remaining)', () => {
    const h = setup({ limits: [limit('10/min', { name: 'a', algorithm: 'fixed-window' }), limit('100/day', { name: 'b', algorithm: 'fixed-window' })] });
    const ctx = request();
    h.run(ctx);
    assert.deepEqual(xrl(ctx), ['10', '9', '60']);
  });

  test('on a refusal the headers come from the refused limit', () => {
    const h = setup({ limits: [limit('100/day', { name: 'daily', algorithm: 'fixed-window' }), limit('1/min', { name: 'minute', algorithm: 'fixed-window' })] });
    h.run(request());
    const ctx = request();
    h.run(ctx);
    assert.deepEqual(xrl(ctx), ['1', '0', '60']);
  });

  test('when several refuse, Retry-After is the longest wait and every refused limit is named', () => {
    const h = setup({ limits: [limit('1/min', { name: 'minute', algorithm: 'fixed-window' }), limit('1/hour', { name: 'hour', algorithm: 'fixed-window' })] });
    h.run(request());
    const denial = h.run(request())!;
    const body = JSON.parse(problemBody(denial, 'r1')) as Record<string, unknown>;
    assert.deepEqual([denial.headers, body['violated-policies']], [['retry-after', '3600'], ['minute', 'hour']]);
  });

  test('a request refused by one limit still counts against the limits it passed', () => {
    const h = setup({ headers: { ietf: true }, limits: [limit('1/s', { name: 'burst', algorithm: 'fixed-window' }), limit('4/min', { name: 'minute', algorithm: 'fixed-window' })] });
    h.run(request());
    h.run(request()); // refused by burst, counted by minute
    h.clock.t = T0 + 1000;
    const ctx = request();
    h.run(ctx);
    assert.equal(headersOf(ctx).ratelimit, '"burst";r=0;t=1, "minute";r=1;t=59');
  });
});

// ── the 429 ───────────────────────────────────────────────────────────────────

describe('the refusal', () => {
  function refused(): { denial: Denial; ctx: RequestContext; h: Harness } {
    const h = setup({ limits: [limit('5/15m', { name: 'password-reset', algorithm: 'fixed-window' })] });
    h.clock.t = T0 + 60_000;
    outcomes(h, 5);
    const ctx = request();
    return { denial: h.run(ctx)!, ctx, h };
  }

  test('is 429 problem+json with code, detail, violated-policies and the request id', () => {
    const { denial } = refused();
    assert.deepEqual(JSON.parse(problemBody(denial, 'req-1')), {
      type: 'urn:portcullis:error:rate-limit.exceeded',
      title: 'Too Many Requests',
      status: 429,
      code: 'rate-limit.exceeded',
      detail: 'Rate limit \'password-reset\' exceeded; retry after 840 seconds.',
      'violated-policies': ['password-reset'],
      requestId: 'req-1',
    });
  });

  test('carries Retry-After in whole seconds', () => {
    assert.deepEqual(refused().denial.headers, ['retry-after', '840']);
  });

  test('carries X-RateLimit-* with Remaining 0', () => {
    assert.deepEqual(xrl(refused().ctx), ['5', '0', '840']);
  });

  test('is an audit event naming the limit', () => {
    const { h } = refused();
    assert.deepEqual(h.audits, [{ type: 'rate-limit', outcome: 'failure', rule: 'password-reset', reason: 'exceeded 5/15m per ip' }]);
  });

  test('allowed requests are not audited', () => {
    const h = setup({ limits: [limit('5/min')] });
    outcomes(h, 5);
    assert.deepEqual(h.audits, []);
  });
});

// ── headers ───────────────────────────────────────────────────────────────────

describe('headers', () => {
  test('every allowed response carries X-RateLimit-Limit, -Remaining and -Reset (seconds, rounded up)', () => {
    const h = setup({ limits: [limit('100/min', { algorithm: 'fixed-window' })] });
    h.clock.t = T0 + 20_250;
    const ctx = request();
    h.run(ctx);
    assert.deepEqual(xrl(ctx), ['100', '99', '40']);
  });

  test('Remaining counts down request by request', () => {
    const h = setup({ limits: [limit('3/min')] });
    const seen = Array.from({ length: 3 }, () => { const c = request(); h.run(c); return headersOf(c)['x-ratelimit-remaining']; });
    assert.deepEqual(seen, ['2', '1', '0']);
  });

  test('xRateLimit: false sends none', () => {
    const h = setup({ limits: [limit('3/min')], headers: { xRateLimit: false } });
    const ctx = request();
    h.run(ctx);
    assert.deepEqual(ctx.responseHeaders, []);
  });

  test('an upstream\'s own X-RateLimit fields are dropped (ours are the truth)', () => {
    const compiled = compileOnly({ limits: [limit('3/min')] });
    assert.deepEqual(compiled.responseHeaders?.remove, ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
  });

  test('ietf: true adds RateLimit-Policy and RateLimit in the draft\'s Structured Field syntax', () => {
    const h = setup({ headers: { ietf: true }, limits: [limit('10/s', { name: 'burst', algorithm: 'fixed-window' }), limit('1000/day', { name: 'daily', algorithm: 'fixed-window' })] });
    h.clock.t = T0 + 3_600_000;
    const ctx = request();
    h.run(ctx);
    const h2 = headersOf(ctx);
    assert.deepEqual([h2['ratelimit-policy'], h2.ratelimit], ['"burst";q=10;w=1, "daily";q=1000;w=86400', '"burst";r=9;t=1, "daily";r=999;t=82800']);
  });

  test('a token bucket\'s IETF policy carries its capacity as portcullis-burst', () => {
    const h = setup({ headers: { ietf: true }, limits: [limit('100/min', { name: 'per-user', algorithm: 'token-bucket', burst: 20 })] });
    const ctx = request();
    h.run(ctx);
    assert.equal(headersOf(ctx)['ratelimit-policy'], '"per-user";q=100;w=60;portcullis-burst=20');
  });

  test('on a refusal RateLimit lists the refused limits with r=0 and t equal to Retry-After', () => {
    const h = setup({ headers: { ietf: true }, limits: [limit('100/day', { name: 'daily', algorithm: 'fixed-window' }), limit('1/min', { name: 'minute', algorithm: 'fixed-window' })] });
    h.run(request());
    const ctx = request();
    const denial = h.run(ctx)!;
    assert.deepEqual([headersOf(ctx).ratelimit, denial.headers], ['"minute";r=0;t=60', ['retry-after', '60']]);
  });

  test('ietf: true also drops an upstream\'s RateLimit fields', () => {
    const compiled = compileOnly({ limits: [limit('3/min')], headers: { ietf: true, xRateLimit: false } });
    assert.deepEqual(compiled.responseHeaders?.remove, ['ratelimit-policy', 'ratelimit']);
  });
});

// ── keys ──────────────────────────────────────────────────────────────────────

describe('keys', () => {
  test('ip: each client IP has its own counter', () => {
    const h = setup({ limits: [limit('1/min', { key: 'ip' })] });
    assert.deepEqual([h.run(request({ ip: '198.51.100.1' }))?.code, h.run(request({ ip: '198.51.100.2' }))?.code, h.run(request({ ip: '198.51.100.1' }))?.code], [undefined, undefined, 'rate-limit.exceeded']);
  });

  test('ip: IPv6 clients of one /64 share a counter (a host can rotate through its subnet)', () => {
    const h = setup({ limits: [limit('1/min', { key: 'ip' })] });
    h.run(request({ ip: '2001:db8:1:2::1' }));
    assert.equal(h.run(request({ ip: '2001:db8:1:2:ffff:ffff:ffff:ffff' }))?.code, 'rate-limit.exceeded');
  });

  test('ip: another /64 has its own counter', () => {
    const h = setup({ limits: [limit('1/min', { key: 'ip' })] });
    h.run(request({ ip: '2001:db8:1:2::1' }));
    assert.equal(h.run(request({ ip: '2001:db8:1:3::1' }))?.code, undefined);
  });

  test('ip with ipv6Subnet: 128 counts each IPv6 address', () => {
    const h = setup({ ipv6Subnet: 128, limits: [limit('1/min', { key: 'ip' })] });
    h.run(request({ ip: '2001:db8:1:2::1' }));
    assert.equal(h.run(request({ ip: '2001:db8:1:2::2' }))?.code, undefined);
  });

  test('principal: one principal from two IPs shares a counter', () => {
    const h = setup({ limits: [limit('1/min', { key: 'principal' })] });
    h.run(request({ ip: '198.51.100.1', principal: { id: 'alice' } }));
    assert.equal(h.run(request({ ip: '198.51.100.2', principal: { id: 'alice' } }))?.code, 'rate-limit.exceeded');
  });

  test('principal: two principals from one IP have their own counters', () => {
    const h = setup({ limits: [limit('1/min', { key: 'principal' })] });
    h.run(request({ principal: { id: 'alice' } }));
    assert.equal(h.run(request({ principal: { id: 'bob' } }))?.code, undefined);
  });

  test('principal: without a principal each IP is counted on its own, never in one shared bucket', () => {
    const h = setup({ limits: [limit('1/min', { key: 'principal' })] });
    const results = [h.run(request({ ip: '198.51.100.1' }))?.code, h.run(request({ ip: '198.51.100.2' }))?.code, h.run(request({ ip: '198.51.100.1' }))?.code];
    assert.deepEqual(results, [undefined, undefined, 'rate-limit.exceeded']);
  });

  test('principal: the IP fallback is a namespace of its own (a principal id cannot collide with it)', () => {
    const h = setup({ limits: [limit('1/min', { key: 'principal' })] });
    h.run(request({ ip: '198.51.100.1' }));
    assert.equal(h.run(request({ ip: '198.51.100.1', principal: { id: '198.51.100.1' } }))?.code, undefined);
  });

  test('api-key: counted per key, across principals\' IPs', () => {
    const h = setup({ limits: [limit('1/min', { key: 'api-key' })] });
    h.run(request({ ip: '198.51.100.1', principal: { id: 'svc', method: 'api-key', credentialId: 'AbCd1234EfGh' } }));
    const same = h.run(request({ ip: '198.51.100.2', principal: { id: 'svc', method: 'api-key', credentialId: 'AbCd1234EfGh' } }))?.code;
    const other = h.run(request({ ip: '198.51.100.2', principal: { id: 'svc', method: 'api-key', credentialId: 'ZyXw9876VuTs' } }))?.code;
    assert.deepEqual([same, other], ['rate-limit.exceeded', undefined]);
  });

  test('api-key: a JWT principal (whose credentialId is a jti, new per token) is counted per IP', () => {
    const h = setup({ limits: [limit('1/min', { key: 'api-key' })] });
    h.run(request({ principal: { id: 'alice', credentialId: 'jti-1' } }));
    assert.equal(h.run(request({ principal: { id: 'alice', credentialId: 'jti-2' } }))?.code, 'rate-limit.exceeded');
  });

  test('header: counted per header value', () => {
    const h = setup({ limits: [limit('1/min', { key: 'header:X-Tenant' })] });
    h.run(request({ ip: '198.51.100.1', headers: { 'x-tenant': 'acme' } }));
    const same = h.run(request({ ip: '198.51.100.2', headers: { 'x-tenant': 'acme' } }))?.code;
    const other = h.run(request({ ip: '198.51.100.1', headers: { 'x-tenant': 'globex' } }))?.code;
    assert.deepEqual([same, other], ['rate-limit.exceeded', undefined]);
  });

  test('header: a request without the header is counted per IP, not in one shared bucket', () => {
    const h = setup({ limits: [limit('1/min', { key: 'header:x-tenant' })] });
    assert.deepEqual([h.run(request({ ip: '198.51.100.1' }))?.code, h.run(request({ ip: '198.51.100.2' }))?.code], [undefined, undefined]);
  });

  test('route: every client shares one counter', () => {
    const h = setup({ limits: [limit('1/min', { key: 'route' })] });
    h.run(request({ ip: '198.51.100.1' }));
    assert.equal(h.run(request({ ip: '198.51.100.2', principal: { id: 'bob' } }))?.code, 'rate-limit.exceeded');
  });

  test('perRoute (the default): each route template has its own counter', () => {
    const h = setup({ limits: [limit('1/min')] });
    h.run(request({ route: '/a' }));
    assert.deepEqual([h.run(request({ route: '/b' }))?.code, h.run(request({ route: '/a' }))?.code], [undefined, 'rate-limit.exceeded']);
  });

  test('perRoute: false counts across routes', () => {
    const h = setup({ limits: [limit('1/min', { perRoute: false })] });
    h.run(request({ route: '/a' }));
    assert.equal(h.run(request({ route: '/b' }))?.code, 'rate-limit.exceeded');
  });

  test('two limits with the same rate and key keep separate counters (the name is in the key)', () => {
    const h = setup({ limits: [limit('2/min', { name: 'a' }), limit('2/min', { name: 'b' })] });
    const ctx = request();
    h.run(ctx);
    assert.equal(headersOf(ctx)['x-ratelimit-remaining'], '1');
  });

  test('keys hold no IP address, header value or principal id in clear', () => {
    const seen: string[] = [];
    const spy: StoreFactory = () => {
      const inner = createMemoryStore();
      return { ...inner, hit: (key: string, spec: LimitSpec, cost?: number) => { seen.push(key); return inner.hit(key, spec, cost); } };
    };
    const h = setup({ limits: [limit('9/min', { name: 'a', key: 'ip' }), limit('9/min', { name: 'b', key: 'header:x-tenant' }), limit('9/min', { name: 'c', key: 'principal' })] }, { createStore: spy });
    h.run(request({ ip: '198.51.100.77', headers: { 'x-tenant': 'secret-tenant' }, principal: { id: 'alice@example.com' } }));
    assert.deepEqual([seen.length, seen.some((k) => /198\.51|secret-tenant|alice/.test(k))], [3, false]);
  });

  test('keys are bounded whatever the header value\'s length', () => {
    const seen: string[] = [];
    const spy: StoreFactory = () => {
      const inner = createMemoryStore();
      return { ...inner, hit: (key: string, spec: LimitSpec, cost?: number) => { seen.push(key); return inner.hit(key, spec, cost); } };
    };
    const h = setup({ limits: [limit('9/min', { key: 'header:x-tenant' })] }, { createStore: spy });
    h.run(request({ headers: { 'x-tenant': 'x'.repeat(16_000) } }));
    assert.ok(seen[0]!.length < 100, seen[0]);
  });
});

// ── plans ─────────────────────────────────────────────────────────────────────

describe('plans', () => {
  const plans = {
    limits: [limit('1/min', { name: 'per-user', key: 'principal' })],
    plans: {
      premium: { limits: [limit('3/min', { name: 'per-user', key: 'principal' })] },
      internal: { limits: [] },
      gold: { limits: [limit('5/min', { name: 'per-user', key: 'principal' })] },
    },
  };

  test('a principal with a plan\'s role gets the plan\'s limits instead', () => {
    const h = setup(plans);
    assert.deepEqual(outcomes(h, 4, () => request({ principal: { roles: ['premium'] } })), [true, true, true, 'rate-limit.exceeded']);
  });

  test('a principal without such a role gets the policy\'s limits', () => {
    const h = setup(plans);
    assert.deepEqual(outcomes(h, 2, () => request({ principal: { roles: ['viewer'] } })), [true, 'rate-limit.exceeded']);
  });

  test('an anonymous request gets the policy\'s limits', () => {
    const h = setup(plans);
    assert.deepEqual(outcomes(h, 2), [true, 'rate-limit.exceeded']);
  });

  test('with several matching roles the first plan in the config\'s order wins', () => {
    const h = setup(plans);
    assert.deepEqual(outcomes(h, 4, () => request({ principal: { roles: ['gold', 'premium'] } })), [true, true, true, 'rate-limit.exceeded']);
  });

  test('a plan with no limits is unlimited', () => {
    const h = setup(plans);
    assert.deepEqual(outcomes(h, 10, () => request({ principal: { roles: ['internal'] } })).every((o) => o === true), true);
  });

  test('a plan\'s counters are its own (moving to a plan starts afresh)', () => {
    const h = setup(plans);
    h.run(request({ principal: {} }));
    assert.equal(h.run(request({ principal: { roles: ['premium'] } }))?.code, undefined);
  });
});

// ── business flows ────────────────────────────────────────────────────────────

describe('business flows', () => {
  test('signup: 3 per IP per hour, the fourth refused for the rest of the hour', () => {
    const h = setup({ limits: [{ name: 'signup', rate: '3/hour', key: 'ip', algorithm: 'fixed-window' }] });
    h.clock.t = T0 + 600_000;
    const first = outcomes(h, 4);
    h.clock.t = T0 + 3_599_999;
    const late = h.run(request())?.code;
    h.clock.t = T0 + 3_600_000;
    assert.deepEqual([...first, late, h.run(request())?.code], [true, true, true, 'rate-limit.exceeded', 'rate-limit.exceeded', undefined]);
  });

  test('a daily quota per principal (checkout 2/user/day)', () => {
    const h = setup({ limits: [{ name: 'checkout', rate: '2/day', key: 'principal', algorithm: 'fixed-window' }] });
    const alice = () => request({ principal: { id: 'alice' } });
    assert.deepEqual([...outcomes(h, 3, alice), h.run(request({ principal: { id: 'bob' } }))?.code ?? true], [true, true, 'rate-limit.exceeded', true]);
  });
});

// ── concurrency ───────────────────────────────────────────────────────────────

describe('concurrency', () => {
  test('at most max requests in flight per key; one more is 429 rate-limit.concurrency_exceeded', () => {
    const h = setup({ concurrency: { max: 2, key: 'principal' } });
    assert.deepEqual(outcomes(h, 3, () => request({ principal: {} })), [true, true, 'rate-limit.concurrency_exceeded']);
  });

  test('a request that ends frees its slot', () => {
    const h = setup({ concurrency: { max: 1, key: 'principal' } });
    const first = request({ principal: {} });
    h.run(first);
    const blocked = h.run(request({ principal: {} }))?.code;
    h.compiled.onEnd!(first);
    assert.deepEqual([blocked, h.run(request({ principal: {} }))?.code], ['rate-limit.concurrency_exceeded', undefined]);
  });

  test('ending a request twice frees one slot only', () => {
    const h = setup({ concurrency: { max: 2, key: 'principal' } });
    const a = request({ principal: {} });
    h.run(a);
    h.run(request({ principal: {} }));
    h.compiled.onEnd!(a);
    h.compiled.onEnd!(a);
    assert.deepEqual(outcomes(h, 2, () => request({ principal: {} })), [true, 'rate-limit.concurrency_exceeded']);
  });

  test('other keys have their own slots', () => {
    const h = setup({ concurrency: { max: 1, key: 'principal' } });
    h.run(request({ principal: { id: 'alice' } }));
    assert.equal(h.run(request({ principal: { id: 'bob' } }))?.code, undefined);
  });

  test('a request refused by a rate limit takes no slot', () => {
    const h = setup({ limits: [limit('1/min', { key: 'principal' })], concurrency: { max: 1, key: 'principal' } });
    const first = request({ principal: {} });
    h.run(first);
    const refused = request({ principal: {} });
    h.run(refused);
    h.compiled.onEnd!(refused);
    h.compiled.onEnd!(first);
    h.clock.t = T0 + 120_000;
    assert.equal(h.run(request({ principal: {} }))?.code, undefined);
  });

  test('a slot whose request ended before the store answered is freed at once', async () => {
    const h = setup({ concurrency: { max: 1, key: 'principal' } }, { createStore: asyncStore });
    const gone = request({ principal: {} });
    const pending = h.compiled.onRequest!(gone);
    h.compiled.onEnd!(gone);
    await pending;
    assert.equal(await h.runAsync(request({ principal: {} })), undefined);
  });

  test('a refusal is audited with rule concurrency', () => {
    const h = setup({ concurrency: { max: 1, key: 'principal' } });
    outcomes(h, 2, () => request({ principal: {} }));
    assert.deepEqual(h.audits.map((a) => a.rule), ['concurrency']);
  });

  test('a slot expires after leaseMs should its request never end (a node that died)', () => {
    const h = setup({ concurrency: { max: 1, key: 'principal', leaseMs: 5000 } });
    h.run(request({ principal: {} }));
    h.clock.t = T0 + 5000;
    assert.equal(h.run(request({ principal: {} }))?.code, undefined);
  });
});

// ── an asynchronous store ─────────────────────────────────────────────────────

/** The memory store answering with Promises, as Redis does. */
const asyncStore: StoreFactory = (_config, { now }) => {
  const inner = createMemoryStore({ now });
  return {
    hit: (key, spec, cost) => Promise.resolve(inner.hit(key, spec, cost)),
    acquire: (key, max, leaseMs) => Promise.resolve(inner.acquire(key, max, leaseMs)),
    healthy: () => true,
    close: () => inner.close(),
  };
};

describe('an asynchronous store', () => {
  test('several limits are checked concurrently, and the refused one wins', async () => {
    const calls: string[] = [];
    const resolvers: Array<() => void> = [];
    const slow: StoreFactory = (config, options) => {
      const inner = asyncStore(config, options);
      return {
        ...inner,
        hit: (key, spec, cost) => {
          calls.push(key.slice(0, key.indexOf('|')));
          return new Promise<LimitResult>((ok) => resolvers.push(() => ok(inner.hit(key, spec, cost))));
        },
      };
    };
    const h = setup({ limits: [limit('5/min', { name: 'a' }), limit('5/min', { name: 'b' })] }, { createStore: slow });
    const pending = h.runAsync(request());
    const startedTogether = calls.length;
    for (const r of resolvers) r();
    assert.deepEqual([startedTogether, await pending], [2, undefined]);
  });

  test('answers the same as the memory store', async () => {
    const h = setup({ limits: [limit('2/min')] }, { createStore: asyncStore });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await h.runAsync(request()))?.code ?? true);
    assert.deepEqual(results, [true, true, 'rate-limit.exceeded']);
  });
});

// ── failure modes ─────────────────────────────────────────────────────────────

/** A store whose availability the test switches; down, it throws (or rejects with) StoreUnavailableError. */
function flakyStore(mode: 'throw' | 'reject' | 'unhealthy' = 'throw') {
  const state = { down: true, calls: 0, closed: 0, readied: 0 };
  const factory: StoreFactory = (config, { now }) => {
    if (config.type === 'memory') return createMemoryStore({ now });
    const inner = createMemoryStore({ now });
    const fail = () => new StoreUnavailableError('connect ECONNREFUSED 127.0.0.1:6379');
    const guard = <T>(fn: () => T): T | Promise<T> => {
      state.calls++;
      if (!state.down) return Promise.resolve(fn());
      if (mode === 'reject') return Promise.reject(fail());
      throw fail();
    };
    const store: PolicyStore = {
      hit: (key: string, spec: LimitSpec, cost?: number) => guard(() => inner.hit(key, spec, cost)),
      acquire: (key: string, max: number, leaseMs: number) => guard<ConcurrencyLease>(() => inner.acquire(key, max, leaseMs)),
      healthy: () => mode !== 'unhealthy' || !state.down,
      close: () => { state.closed++; return Promise.resolve(); },
      ready: () => { state.readied++; return Promise.resolve(); },
    };
    return store;
  };
  return { state, factory };
}

const REDIS = { type: 'redis', keyPrefix: 'test:' };

async function codes(h: Harness, n: number): Promise<Array<true | string>> {
  const out: Array<true | string> = [];
  for (let i = 0; i < n; i++) out.push((await h.runAsync(request()))?.code ?? true);
  return out;
}

describe('failure modes', () => {
  test('open is the default, with a memory fallback that still limits', async () => {
    const { factory } = flakyStore();
    const h = setup({ store: REDIS, limits: [limit('2/min')] }, { createStore: factory });
    assert.deepEqual(await codes(h, 3), [true, true, 'rate-limit.exceeded']);
  });

  test('open: the fallback\'s answers fill the headers', () => {
    const { factory } = flakyStore();
    const h = setup({ store: REDIS, limits: [limit('2/min')] }, { createStore: factory });
    const ctx = request();
    h.run(ctx);
    assert.deepEqual(xrl(ctx), ['2', '1', '60']);
  });

  test('open with fallback none lets every request through, without rate-limit headers', async () => {
    const { factory } = flakyStore();
    const h = setup({ store: REDIS, failureMode: 'open', fallback: 'none', limits: [limit('1/min')] }, { createStore: factory });
    const ctx = request();
    const first = await h.runAsync(ctx);
    assert.deepEqual([first, await codes(h, 3), ctx.responseHeaders], [undefined, [true, true, true], []]);
  });

  test('closed refuses with 503 rate-limit.unavailable and Retry-After', async () => {
    const { factory } = flakyStore();
    const h = setup({ store: REDIS, failureMode: 'closed', limits: [limit('5/min')] }, { createStore: factory });
    const denial = await h.runAsync(request());
    assert.deepEqual([denial?.code, denial?.status, denial?.headers], ['rate-limit.unavailable', 503, ['retry-after', '1']]);
  });

  test('a store that rejects (Redis timing out) is handled like one that throws', async () => {
    const { factory } = flakyStore('reject');
    const closed = setup({ store: REDIS, failureMode: 'closed', limits: [limit('5/min')] }, { createStore: factory });
    const open = setup({ store: REDIS, limits: [limit('1/min')] }, { createStore: flakyStore('reject').factory });
    assert.deepEqual([(await closed.runAsync(request()))?.code, await codes(open, 2)], ['rate-limit.unavailable', [true, 'rate-limit.exceeded']]);
  });

  test('an unhealthy store is not even asked (no request waits for a timeout)', async () => {
    const { state, factory } = flakyStore('unhealthy');
    const h = setup({ store: REDIS, failureMode: 'closed', limits: [limit('5/min')] }, { createStore: factory });
    const code = (await h.runAsync(request()))?.code;
    assert.deepEqual([code, state.calls], ['rate-limit.unavailable', 0]);
  });

  test('the store is used again as soon as it answers', async () => {
    const { state, factory } = flakyStore();
    const h = setup({ store: REDIS, failureMode: 'closed', limits: [limit('5/min')] }, { createStore: factory });
    const down = (await h.runAsync(request()))?.code;
    state.down = false;
    assert.deepEqual([down, await h.runAsync(request())], ['rate-limit.unavailable', undefined]);
  });

  test('a warning is logged at most once per interval, and the recovery once', async () => {
    const { state, factory } = flakyStore();
    const h = setup({ store: REDIS, limits: [limit('100/min')] }, { createStore: factory, warnIntervalMs: 60_000 });
    await codes(h, 5);
    h.clock.t = T0 + 59_999;
    await codes(h, 1);
    h.clock.t = T0 + 60_000;
    await codes(h, 1);
    state.down = false;
    await codes(h, 2);
    assert.deepEqual(h.logs.map((l) => [l.event, l.level]), [['rate_limit_store_unavailable', 40], ['rate_limit_store_unavailable', 40], ['rate_limit_store_recovered', 30]]);
  });

  test('the warning names the failure mode and the reason, never the store URL', async () => {
    const { factory } = flakyStore();
    const h = setup({ store: { ...REDIS, url: 'redis://:hunter2@10.0.0.5:6379' }, limits: [limit('100/min')] }, { createStore: factory });
    await codes(h, 1);
    const line = JSON.stringify(h.logs[0]);
    assert.deepEqual([h.logs[0]?.failureMode, h.logs[0]?.fallback, /ECONNREFUSED/.test(line), /hunter2/.test(line)], ['open', 'memory', true, false]);
  });

  test('concurrency follows the failure mode too (closed: 503)', async () => {
    const { factory } = flakyStore();
    const h = setup({ store: REDIS, failureMode: 'closed', concurrency: { max: 1 } }, { createStore: factory });
    assert.equal((await h.runAsync(request({ principal: {} })))?.code, 'rate-limit.unavailable');
  });

  test('concurrency with the memory fallback still limits, and onEnd frees the fallback\'s slot', async () => {
    const { factory } = flakyStore();
    const h = setup({ store: REDIS, concurrency: { max: 1 } }, { createStore: factory });
    const first = request({ principal: {} });
    await h.runAsync(first);
    const blocked = (await h.runAsync(request({ principal: {} })))?.code;
    h.compiled.onEnd!(first);
    assert.deepEqual([blocked, await h.runAsync(request({ principal: {} }))], ['rate-limit.concurrency_exceeded', undefined]);
  });

  test('an error that is not a store outage fails the request (a bug is never a silent allow)', () => {
    const broken: StoreFactory = () => ({ ...createMemoryStore(), hit: () => { throw new TypeError('bug'); } });
    const policy = createRateLimitPolicy({ createStore: broken });
    const compiled = policy.compile(valid({ limits: [limit('1/min')] }), compileEnvFor(policy));
    assert.throws(() => compiled.onRequest!(request()), /bug/);
  });

  test('an asynchronous error that is not a store outage rejects', async () => {
    const broken: StoreFactory = () => ({ ...createMemoryStore(), hit: () => Promise.reject(new TypeError('bug')) });
    const policy = createRateLimitPolicy({ createStore: broken });
    const compiled = policy.compile(valid({ limits: [limit('1/min')] }), compileEnvFor(policy));
    await assert.rejects(async () => compiled.onRequest!(request()), /bug/);
  });
});

// ── store lifecycle ───────────────────────────────────────────────────────────

describe('store lifecycle', () => {
  test('compile creates the store but does not connect it; ready() does', async () => {
    const { state, factory } = flakyStore();
    const compiled = compileOnly({ store: REDIS, limits: [limit('1/min')] }, factory);
    const before = state.readied;
    await compiled.ready?.();
    assert.deepEqual([before, state.readied], [0, 1]);
  });

  test('close() closes the store', async () => {
    const { state, factory } = flakyStore();
    const compiled = compileOnly({ store: REDIS, limits: [limit('1/min')] }, factory);
    await compiled.close?.();
    assert.equal(state.closed, 1);
  });

  test('the store factory gets the store config with its defaults', () => {
    const seen: unknown[] = [];
    compileOnly({ store: { type: 'redis', url: 'redis://10.0.0.5:6379' }, limits: [limit('1/min')], fallback: 'none' }, (config) => { seen.push(config); return createMemoryStore(); });
    assert.deepEqual(seen, [{ type: 'redis', url: 'redis://10.0.0.5:6379', keyPrefix: 'portcullis:rl:', commandTimeoutMs: 250, maxKeys: 100_000 }]);
  });

  test('instances of the policy with one store config count in one store (a route\'s own config does not split a shared budget)', () => {
    const policy = createRateLimitPolicy();
    const shared = { name: 'everything', rate: '2/min', perRoute: false };
    const a = policy.compile(valid({ limits: [shared] }), compileEnvFor(policy));
    const b = policy.compile(valid({ limits: [shared], concurrency: { max: 5, key: 'ip' } }), compileEnvFor(policy));
    const results = [a.onRequest!(request({ route: '/a' })), b.onRequest!(request({ route: '/b' })), a.onRequest!(request({ route: '/a' }))];
    assert.deepEqual(results.map((r) => (r as Denial | undefined)?.code), [undefined, undefined, 'rate-limit.exceeded']);
  });

  test('a shared store is closed when its last instance closes', async () => {
    const { state, factory } = flakyStore();
    const policy = createRateLimitPolicy({ createStore: factory });
    const config = valid({ store: REDIS, fallback: 'none', limits: [limit('1/min')] });
    const a = policy.compile(config, compileEnvFor(policy));
    const b = policy.compile(structuredClone(config), compileEnvFor(policy));
    await a.close?.();
    const afterFirst = state.closed;
    await a.close?.();
    await b.close?.();
    assert.deepEqual([afterFirst, state.closed], [0, 1]);
  });

  test('different store configs get different stores', () => {
    const created: string[] = [];
    const policy = createRateLimitPolicy({ createStore: (config) => { created.push(config.keyPrefix); return createMemoryStore(); } });
    for (const keyPrefix of ['a:', 'b:', 'a:']) policy.compile(valid({ store: { ...REDIS, keyPrefix }, fallback: 'none', limits: [limit('1/min')] }), compileEnvFor(policy));
    assert.deepEqual(created, ['a:', 'b:']);
  });

  test('a redis store with the memory fallback gets a memory store beside it; a memory store does not', () => {
    const types: string[] = [];
    const spy: StoreFactory = (config) => { types.push(config.type); return createMemoryStore(); };
    compileOnly({ store: REDIS, limits: [limit('1/min')] }, spy);
    compileOnly({ limits: [limit('1/min')] }, spy);
    assert.deepEqual(types, ['redis', 'memory', 'memory']);
  });
});

// ── configuration ─────────────────────────────────────────────────────────────

describe('configuration', () => {
  test('a bad rate is a ConfigError at its path', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ limits: [limit('100/fortnight')] })), [['limits.0.rate', '\'100/fortnight\' is not a rate: write N/unit or N/<multiplier><unit> (100/min, 5/15m, 10/s, 1000/day); units s, sec, m, min, h, hour, d, day']]);
  });

  test('a bad rate in a plan is reported at the plan\'s path', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ plans: { premium: { limits: [limit('0/min')] } } })).map(([p]) => p), ['plans.premium.limits.0.rate']);
  });

  test('every bad limit is reported, not just the first', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ limits: [limit('xyz', { name: 'a' }), limit('1/min', { name: 'b' }), limit('1/eon', { name: 'c' })] })).map(([p]) => p), ['limits.0.rate', 'limits.2.rate']);
  });

  test('burst on a window algorithm is refused', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ limits: [limit('1/min', { burst: 5 })] })), [['limits.0.burst', 'applies only to algorithm: token-bucket (this limit is sliding-window)']]);
  });

  test('two limits of one list with the same name are refused', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ limits: [limit('1/min', { name: 'a' }), limit('2/min', { name: 'a' })] })).map(([p]) => p), ['limits.1.name']);
  });

  test('a cost larger than the limit (every request refused) is refused', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ limits: [limit('60/min', { algorithm: 'token-bucket', burst: 2, cost: 3 })] })).map(([p]) => p), ['limits.0.cost']);
  });

  test('fallback with failureMode closed is refused', () => {
    assert.deepEqual(issuesOf(() => compileOnly({ failureMode: 'closed', fallback: 'memory', limits: [limit('1/min')] })).map(([p]) => p), ['fallback']);
  });
});
