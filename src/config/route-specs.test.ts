import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiOperation } from '../core/operation.js';
import { operationRouteSpecs, routeLabel, type OpenApiSettings } from './route-specs.js';
import type { GatewayConfig } from './schema.js';

function operation(method: ApiOperation['method'], path: string, extra: Partial<ApiOperation> = {}): ApiOperation {
  return { method, path, operationId: undefined, tags: [], summary: undefined, deprecated: false, deprecatedAt: undefined, sunset: undefined, parameters: [], requestBody: undefined, responses: [], security: undefined, dialect: '3.1', components: {}, pointer: `/paths/${path}/${method}`, ...extra };
}

const config = { defaults: { policies: { jwt: { issuer: 'x' } } } } as unknown as GatewayConfig;

function settings(operations: OpenApiSettings['operations'] = []): OpenApiSettings {
  return { document: 'openapi.yaml', upstream: 'api', operations };
}

test('every operation becomes a route with its method and the default upstream', () => {
  const { routes } = operationRouteSpecs(config, settings(), [operation('get', '/a'), operation('post', '/a')]);
  assert.deepEqual(routes.map((r) => [r.methods, r.path, r.upstream]), [[['GET'], '/a', 'api'], [['POST'], '/a', 'api']]);
});

test('the defaults are the first policy scope of a generated route', () => {
  const { routes } = operationRouteSpecs(config, settings(), [operation('get', '/a')]);
  assert.deepEqual(routes[0]!.layers.map((l) => l.path), [['defaults', 'policies']]);
});

test('entries that match apply in order, after the defaults', () => {
  const ops = settings([
    { match: { tag: 'tasks' }, policies: { rbac: { require: ['read'] } } },
    { match: { operationId: 'other' }, policies: {} },
    { match: { methods: ['GET'] }, policies: { rbac: { require: [] } } },
  ]);
  const { routes } = operationRouteSpecs(config, ops, [operation('get', '/t', { tags: ['tasks'], operationId: 'listTasks' })]);
  assert.deepEqual(routes[0]!.layers.map((l) => l.path), [['defaults', 'policies'], ['openapi', 'operations', 0, 'policies'], ['openapi', 'operations', 2, 'policies']]);
});

test('a path prefix matches whole segments only', () => {
  const ops = settings([{ match: { pathPrefix: '/api/v1/reports' }, public: true, policies: {} }]);
  const { routes } = operationRouteSpecs(config, ops, [operation('get', '/api/v1/reports/{d}'), operation('get', '/api/v1/reportsX')]);
  assert.deepEqual(routes.map((r) => r.public), [true, false]);
});

test('the last matching entry decides the upstream and publicity', () => {
  const ops = settings([{ match: {}, upstream: 'one', public: true, policies: {} }, { match: { operationId: 'x' }, upstream: 'two', public: false, policies: {} }]);
  const { routes } = operationRouteSpecs(config, ops, [operation('get', '/x', { operationId: 'x' })]);
  assert.equal(routes[0]!.upstream, 'two');
  assert.equal(routes[0]!.public, false);
});

test('an entry that matches no operation is a warning at its match', () => {
  const { issues } = operationRouteSpecs(config, settings([{ match: { operationId: 'typo' }, policies: {} }]), [operation('get', '/x', { operationId: 'x' })]);
  assert.deepEqual(issues.map((i) => [i.severity, i.path]), [['warning', ['openapi', 'operations', 0, 'match']]]);
});

test('a generated route is named by its operationId, else by method and path', () => {
  const { routes } = operationRouteSpecs(config, settings(), [operation('get', '/x', { operationId: 'getX' }), operation('delete', '/x')]);
  assert.deepEqual(routes.map((r) => r.name), ['getX', 'DELETE /x']);
  assert.equal(routeLabel(routes[0]!), 'operation getX (GET /x)');
});
