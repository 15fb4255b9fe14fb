import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { definePolicy, type Phase } from './policy.js';
import { createCatalogue } from './errors.js';

const base = {
  name: 'ok-policy',
  phase: 'request' as Phase,
  description: 'test',
  schema: Type.Object({}),
  errors: { denied: { status: 403, title: 'Forbidden', description: 'test' } },
  compile: () => ({}),
};

test('a well-formed policy is returned frozen', () => {
  assert.ok(Object.isFrozen(definePolicy(base)));
});

test('a name that is not lower-case kebab is refused', () => {
  assert.throws(() => definePolicy({ ...base, name: 'Bad_Name' }), TypeError);
});

test('an unknown phase is refused', () => {
  assert.throws(() => definePolicy({ ...base, phase: 'later' as Phase }), TypeError);
});

test('an error code that is not lower-case snake is refused', () => {
  assert.throws(() => definePolicy({ ...base, errors: { 'Not-Snake': base.errors.denied } }), TypeError);
});

test('the catalogue prefixes policy codes with the policy name', () => {
  const catalogue = createCatalogue([definePolicy(base)]);
  assert.equal(catalogue.get('ok-policy.denied')?.status, 403);
  assert.equal(catalogue.get('route.not_found')?.status, 404);
});

test('two policies declaring the same code make the catalogue fail', () => {
  const p = definePolicy(base);
  assert.throws(() => createCatalogue([p, p]));
});
