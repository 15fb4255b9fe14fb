import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompiledRoute } from '../config/compile.js';
import { fakeContext } from '../policies/test-helpers.js';
import { createAlertEngine, type AlertEvent, type AlertRule } from './alerts.js';

const failures: AlertRule = { name: 'auth', kind: 'status', statuses: [401], per: 'ip', threshold: 5, windowSec: 60 };
const enumeration: AlertRule = { name: 'enum', kind: 'enumeration', statuses: [403, 404], per: 'principal', threshold: 3, windowSec: 60 };
const route = { template: '/tasks/{id}' } as CompiledRoute;

function setup(rules: AlertRule[], maxKeys?: number) {
  let t = 1_000_000;
  const events: AlertEvent[] = [];
  const engine = createAlertEngine({ rules, notify: (e) => events.push(e), now: () => t, ...(maxKeys === undefined ? {} : { maxKeys }) });
  const request = (status: number, ip = '203.0.113.7', extra: { principal?: string; id?: string } = {}) => {
    const ctx = fakeContext({}, 'https', ip);
    ctx.status = status;
    if (extra.principal !== undefined) ctx.principal = { id: extra.principal, roles: [], scopes: [], attributes: {}, claims: {}, method: 'jwt' } as never;
    if (extra.id !== undefined) ctx.params = { id: extra.id };
    engine.observe(ctx, route);
  };
  return { engine, events, request, advance: (ms: number) => { t += ms; } };
}

test('a burst of 401s from one IP opens one alert', (t) => {
  const s = setup([failures]);
  t.after(() => s.engine.close());
  for (let i = 0; i < 50; i++) s.request(401);
  assert.deepEqual(s.events.map((e) => [e.event, e.alert.key]), [['opened', '203.0.113.7']]);
  assert.equal(s.engine.active()[0]!.total, 45);
});

test('below the threshold nothing opens', (t) => {
  const s = setup([failures]);
  t.after(() => s.engine.close());
  for (let i = 0; i < 5; i++) s.request(401);
  assert.equal(s.events.length, 0);
});

test('other statuses are not counted by a status rule', (t) => {
  const s = setup([failures]);
  t.after(() => s.engine.close());
  for (let i = 0; i < 50; i++) s.request(200);
  assert.equal(s.events.length, 0);
});

test('a sustained attack updates the alert at most once a window', (t) => {
  const s = setup([failures]);
  t.after(() => s.engine.close());
  for (let minute = 0; minute < 3; minute++) {
    for (let i = 0; i < 30; i++) s.request(401);
    s.advance(60_000);
  }
  assert.deepEqual(s.events.map((e) => e.event), ['opened', 'updated', 'updated']);
});

test('an alert resolves after a quiet period', (t) => {
  const s = setup([failures]);
  t.after(() => s.engine.close());
  for (let i = 0; i < 10; i++) s.request(401);
  s.advance(121_000);
  s.engine.sweep();
  assert.deepEqual(s.events.map((e) => e.event), ['opened', 'resolved']);
});

test('probing many object ids opens an enumeration alert for the principal', (t) => {
  const s = setup([enumeration]);
  t.after(() => s.engine.close());
  for (let i = 1; i <= 10; i++) s.request(404, '203.0.113.7', { principal: 'mallory', id: String(i) });
  assert.deepEqual(s.events.map((e) => [e.alert.rule, e.alert.key]), [['enum', 'mallory']]);
});

test('the same object refused again and again is not enumeration', (t) => {
  const s = setup([enumeration]);
  t.after(() => s.engine.close());
  for (let i = 0; i < 10; i++) s.request(404, '203.0.113.7', { principal: 'alice', id: '1' });
  assert.equal(s.events.length, 0);
});

test('keys per rule are bounded: an attacker rotating IPs cannot grow memory', (t) => {
  const s = setup([failures], 100);
  t.after(() => s.engine.close());
  for (let i = 0; i < 10_000; i++) s.request(401, `198.51.${Math.floor(i / 256)}.${i % 256}`);
  assert.equal(s.engine.tracked(), 100);
});
