import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { ApiOperation } from '../../core/operation.js';
import { loadOpenApiDocument, type LoadedApiDocument } from './document.js';

const AT = ['openapi', 'document'];
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tasks30 = loadOpenApiDocument(fixture('tasks-3.0/openapi.yaml'), AT);
const tasks31 = loadOpenApiDocument(fixture('tasks-3.1/openapi.json'), AT);
const trees = loadOpenApiDocument(fixture('recursive/openapi.yaml'), AT);

function op(doc: LoadedApiDocument, operationId: string): ApiOperation {
  const found = doc.operations.find((o) => o.operationId === operationId);
  assert.ok(found, `no operation ${operationId}`);
  return found;
}

function jsonSchema(o: ApiOperation, status: string): unknown {
  return o.responses.find((r) => r.status === status)?.content[0]?.schema;
}

test('the document gives its absolute file, version and title', () => {
  assert.deepEqual([tasks30.file, tasks30.version, tasks30.title], [fixture('tasks-3.0/openapi.yaml'), '3.0.3', 'Tasks API']);
});

test('operations come in document order: paths, then methods', () => {
  assert.deepEqual(tasks30.operations.map((o) => `${o.method} ${o.path}`), ['get /tasks', 'post /tasks', 'get /tasks/{taskId}', 'delete /tasks/{taskId}', 'get /health']);
});

test('path-item parameters come first, then the operation\'s; Accept headers are dropped', () => {
  assert.deepEqual(op(tasks30, 'listTasks').parameters.map((p) => `${p.in}:${p.name}`), ['header:X-Trace-Id', 'query:limit', 'query:status', 'query:filter']);
});

test('an operation parameter replaces the path item\'s of the same name and place (header names without case)', () => {
  assert.deepEqual(op(tasks30, 'createTask').parameters.map((p) => [p.name, p.required, p.schema]), [['X-Trace-Id', true, { type: 'string', format: 'uuid' }]]);
});

test('a query parameter defaults to style form, exploded, reserved characters not allowed', () => {
  const limit = op(tasks30, 'listTasks').parameters.find((p) => p.name === 'limit');
  assert.deepEqual(limit, { name: 'limit', in: 'query', required: false, style: 'form', explode: true, allowReserved: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 }, deprecated: false });
});

test('a non-form style defaults to explode false', () => {
  const filter = op(tasks30, 'listTasks').parameters.find((p) => p.name === 'filter');
  assert.deepEqual([filter?.style, filter?.explode], ['deepObject', false]);
});

test('a header parameter defaults to style simple, not exploded', () => {
  const trace = op(tasks30, 'listTasks').parameters[0];
  assert.deepEqual([trace?.style, trace?.explode, trace?.required], ['simple', false, false]);
});

test('a path parameter is required, with its schema\'s $ref inlined from the shared file', () => {
  assert.deepEqual(op(tasks30, 'getTask').parameters, [{ name: 'taskId', in: 'path', required: true, style: 'simple', explode: false, allowReserved: false, schema: { type: 'string', pattern: '^[0-9a-f]{24}$' }, deprecated: false }]);
});

test('a path parameter without `required` is still required', () => {
  assert.equal(op(tasks30, 'deleteTask').parameters[0]?.required, true);
});

test('a $ref inside a referenced file is resolved against that file', () => {
  const task = jsonSchema(op(tasks30, 'getTask'), '200') as { properties: { id: unknown } };
  assert.deepEqual(task.properties.id, { type: 'string', pattern: '^[0-9a-f]{24}$' });
});

test('data keywords are copied as they are, even when they hold a $ref key', () => {
  const task = jsonSchema(op(tasks30, 'getTask'), '200') as { properties: { note: { example: unknown } } };
  assert.deepEqual(task.properties.note.example, { $ref: 'this is example data, not a reference' });
});

test('in OpenAPI 3.0 the siblings of a $ref are ignored', () => {
  const task = jsonSchema(op(tasks30, 'getTask'), '200') as Record<string, unknown>;
  assert.deepEqual([task.type, task.description, task.maxProperties, task.allOf], ['object', undefined, undefined, undefined]);
});

test('a request body from components/requestBodies keeps required and its media types in order', () => {
  const body = op(tasks30, 'createTask').requestBody;
  assert.deepEqual([body?.required, body?.content.map((m) => m.mediaType)], [true, ['application/json', 'application/x-www-form-urlencoded']]);
});

test('a whole-file $ref gives that file as the schema', () => {
  assert.deepEqual(op(tasks30, 'createTask').requestBody?.content[0]?.schema, { type: 'object', required: ['title'], additionalProperties: false, properties: { title: { type: 'string', maxLength: 200 } } });
});

test('responses keep the document\'s order and status keys as written', () => {
  assert.deepEqual(op(tasks30, 'createTask').responses.map((r) => r.status), ['201', '4XX']);
});

test('a response from components/responses is followed', () => {
  const problem = op(tasks30, 'listTasks').responses.find((r) => r.status === 'default');
  assert.deepEqual(problem?.content.map((m) => [m.mediaType, (m.schema as { required?: unknown }).required]), [['application/problem+json', ['type', 'title', 'status']]]);
});

test('an operation without security inherits the root\'s', () => {
  assert.deepEqual(op(tasks30, 'listTasks').security, [{ oauth: ['tasks:read'] }]);
});

test('an operation\'s own security replaces the root\'s', () => {
  assert.deepEqual(op(tasks30, 'createTask').security, [{ oauth: ['tasks:write'] }]);
});

test('security: [] stays an explicit "no security"', () => {
  assert.deepEqual(op(tasks30, 'health').security, []);
});

test('security is undefined when neither the document nor the operation declares any', () => {
  assert.equal(op(tasks31, 'patchTask').security, undefined);
});

test('deprecation and sunset dates are read', () => {
  const health = op(tasks30, 'health');
  assert.deepEqual([health.deprecated, health.deprecatedAt, health.sunset], [true, '2026-01-15', '2026-12-31T00:00:00Z']);
});

test('tags and summary are read', () => {
  const list = op(tasks30, 'listTasks');
  assert.deepEqual([list.tags, list.summary], [['tasks'], 'List the caller\'s tasks']);
});

test('an operation\'s pointer is in the first document, even when its path item comes from another file', () => {
  assert.equal(op(tasks30, 'getTask').pointer, '/paths/~1tasks~1{taskId}/get');
});

test('a 3.0 document gives the 3.0 dialect and no components when nothing is recursive', () => {
  const list = op(tasks30, 'listTasks');
  assert.deepEqual([list.dialect, list.components], ['3.0', {}]);
});

test('a 3.1 JSON document gives the 3.1 dialect', () => {
  assert.deepEqual([tasks31.version, op(tasks31, 'patchTask').dialect], ['3.1.0', '3.1']);
});

test('a parameter described with content gets its media type and that media type\'s schema', () => {
  const where = op(tasks31, 'patchTask').parameters.find((p) => p.name === 'where');
  assert.deepEqual([where?.mediaType, where?.schema], ['application/json', { type: 'object', properties: { tag: { type: 'string' } } }]);
});

test('a Content-Type header parameter is dropped', () => {
  assert.deepEqual(op(tasks31, 'patchTask').parameters.map((p) => p.name), ['taskId', 'where', 'session']);
});

test('a boolean schema true (3.1) becomes {}', () => {
  assert.deepEqual(op(tasks31, 'patchTask').parameters.find((p) => p.name === 'session')?.schema, {});
});

test('in 3.1 a $ref with siblings keeps both through allOf', () => {
  const schema = op(tasks31, 'patchTask').requestBody?.content[0]?.schema as { allOf: unknown[] };
  assert.deepEqual(schema.allOf[1], { description: 'a $ref with siblings', maxProperties: 3 });
});

test('a media type without a schema has schema undefined', () => {
  assert.deepEqual(op(tasks31, 'patchTask').requestBody?.content[1], { mediaType: 'application/octet-stream', schema: undefined });
});

test('a response without content has no media types', () => {
  assert.deepEqual(op(tasks31, 'patchTask').responses.find((r) => r.status === '204')?.content, []);
});

test('a recursive schema keeps its self-reference as a $ref into components', () => {
  const body = op(trees, 'createTree').requestBody?.content[0]?.schema as { properties: { root: unknown } };
  assert.deepEqual(body.properties.root, { $ref: '#/components/schemas/Node' });
});

test('the recursive schema is carried in components, resolved except for its own recursion', () => {
  assert.deepEqual(op(trees, 'createTree').components, {
    Node: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        owner: { type: 'object', properties: { id: { type: 'string' } } },
        children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
      },
    },
  });
});

test('two schemas that refer to each other give one component with the other inlined', () => {
  assert.deepEqual(op(trees, 'getOrg').components, {
    Department: { type: 'object', properties: { staff: { type: 'array', items: { type: 'object', properties: { department: { $ref: '#/components/schemas/Department' } } } } } },
  });
});

test('an operation carries only the components it reaches', () => {
  assert.deepEqual(op(trees, 'listOwners').components, {});
});

test('the operations are frozen: a schema shared by several operations cannot be edited in place', () => {
  const schema = jsonSchema(op(tasks30, 'getTask'), '200') as Record<string, unknown>;
  assert.throws(() => {
    schema.type = 'string';
  }, TypeError);
});
