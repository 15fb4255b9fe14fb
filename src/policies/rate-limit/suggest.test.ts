import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suggestStricterLimits } from './suggest.js';

const FLAGGED: ReadonlyArray<readonly [string, string]> = [
  ['/api/v1/login', 'login'],
  ['/api/v1/auth/sign-in', 'login'],
  ['/api/v1/signin', 'login'],
  ['/oauth/token', 'login'],
  ['/api/v1/password-reset', 'password-reset'],
  ['/api/v1/users/{id}/password', 'password-reset'],
  ['/api/v1/forgot_password', 'password-reset'],
  ['/api/v1/reset', 'password-reset'],
  ['/api/v1/signup', 'signup'],
  ['/api/v1/register', 'signup'],
  ['/api/v1/accounts/registration', 'signup'],
  ['/API/V1/LOGIN', 'login'],
];

for (const [path, kind] of FLAGGED) {
  test(`${path} without a rate-limit of its own gets a ${kind} suggestion`, () => {
    assert.match(suggestStricterLimits({ path, policies: {} }) ?? '', new RegExp(`name: ${kind}, rate: `));
  });
}

const ORDINARY = ['/api/v1/tasks', '/api/v1/tasks/{token}', '/api/v1/tokens', '/api/v1/logins-report', '/api/v1/catalogue', '/api/*', '/'];

for (const path of ORDINARY) {
  test(`${path} gets no suggestion`, () => {
    assert.equal(suggestStricterLimits({ path, policies: {} }), undefined);
  });
}

test('a route with its own rate-limit gets no suggestion', () => {
  assert.equal(suggestStricterLimits({ path: '/api/v1/login', policies: { 'rate-limit': { limits: [] } } }), undefined);
});

test('a route that switches rate-limit off gets the suggestion', () => {
  assert.notEqual(suggestStricterLimits({ path: '/api/v1/login', policies: { 'rate-limit': false } }), undefined);
});

test('a route without policies gets the suggestion', () => {
  assert.notEqual(suggestStricterLimits({ path: '/api/v1/login' }), undefined);
});

test('the suggestion names the segment, the risk and a complete example', () => {
  assert.equal(suggestStricterLimits({ path: '/api/v1/password-reset', policies: {} }),
    'looks like a password reset flow (\'password-reset\') and has no rate-limit of its own; attackers brute-force and automate such routes (OWASP API2, API6): add a strict per-IP limit, e.g. rate-limit: { limits: [{ name: password-reset, rate: 5/15m, key: ip }], failureMode: closed }');
});
