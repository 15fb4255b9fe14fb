import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiOperation, OperationParameter } from '../../core/operation.js';
import type { Violation } from '../../core/problem.js';
import { fakeContext } from '../test-helpers.js';
import { SchemaError } from './dialect.js';
import { compileParameters, type ParameterOptions } from './parameters.js';
import { createValidatorAjv, ViolationList } from './validators.js';

type Param = Partial<OperationParameter> & Pick<OperationParameter, 'name' | 'in'>;

function param(p: Param): OperationParameter {
  const style = p.style ?? (p.in === 'query' || p.in === 'cookie' ? 'form' : 'simple');
  return { required: p.in === 'path', style, explode: style === 'form', allowReserved: false, schema: { type: 'string' }, deprecated: false, ...p };
}

function operation(params: Param[], components: Record<string, unknown> = {}): ApiOperation {
  return {
    method: 'get', path: '/x', operationId: undefined, tags: [], summary: undefined, deprecated: false, deprecatedAt: undefined, sunset: undefined,
    parameters: params.map(param), requestBody: undefined, responses: [], security: undefined, dialect: '3.1', components, pointer: '/paths/~1x/get',
  };
}

interface Request {
  readonly query?: string;
  readonly params?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

/** Runs the parameter checks and returns the violations, plus what the validator saw through `seen`. */
function check(params: Param[], req: Request, options: Partial<ParameterOptions> = {}): Violation[] {
  const checker = compileParameters(operation(params), createValidatorAjv(), { maxQueryPairs: 256, rejectUnknownQueryParams: false, ...options });
  const ctx = fakeContext({ url: `/x${req.query === undefined ? '' : `?${req.query}`}`, headers: req.headers ?? {} });
  ctx.params = req.params ?? {};
  const list = new ViolationList(50);
  checker.check(ctx, list);
  return list.items;
}

/**
 * Violations for a value that must equal `expected`: the schema adds `const` (per property for
 * objects, which arrive with a null prototype that `const` would tell apart), so any difference shows.
 */
function reads(p: Param, req: Request, expected: unknown): Violation[] {
  const exact = typeof expected === 'object' && expected !== null && !Array.isArray(expected)
    ? { required: Object.keys(expected), maxProperties: Object.keys(expected).length, allOf: [{ properties: Object.fromEntries(Object.entries(expected as Record<string, unknown>).map(([k, v]) => [k, { const: v }])) }] }
    : { const: expected };
  return check([{ ...p, schema: { ...(p.schema ?? {}), ...exact } }], req);
}

const INTS = { type: 'array', items: { type: 'integer' } };
const OBJ = { type: 'object', properties: { role: { type: 'string' }, n: { type: 'integer' } } };

// ── query ────────────────────────────────────────────────────────────────────

test('query form explode: repeated keys make an array', () => {
  assert.deepEqual(reads({ name: 'id', in: 'query', schema: INTS }, { query: 'id=3&id=4' }, [3, 4]), []);
});

test('query form explode: one key is an array of one', () => {
  assert.deepEqual(reads({ name: 'id', in: 'query', schema: INTS }, { query: 'id=3' }, [3]), []);
});

test('query form not exploded: comma-separated', () => {
  assert.deepEqual(reads({ name: 'id', in: 'query', explode: false, schema: INTS }, { query: 'id=3,4,5' }, [3, 4, 5]), []);
});

test('query form not exploded: an encoded comma belongs to the value', () => {
  assert.deepEqual(reads({ name: 'tag', in: 'query', explode: false, schema: { type: 'array', items: { type: 'string' } } }, { query: 'tag=a%2Cb,c' }, ['a,b', 'c']), []);
});

test('query form explode object: properties are top-level keys', () => {
  assert.deepEqual(reads({ name: 'f', in: 'query', schema: OBJ }, { query: 'role=admin&n=5' }, { role: 'admin', n: 5 }), []);
});

test('query form not exploded object: name,value pairs', () => {
  assert.deepEqual(reads({ name: 'f', in: 'query', explode: false, schema: OBJ }, { query: 'f=role,admin,n,5' }, { role: 'admin', n: 5 }), []);
});

test('query form object with an odd number of parts is malformed', () => {
  assert.deepEqual(check([{ name: 'f', in: 'query', explode: false, schema: OBJ }], { query: 'f=role,admin,n' }), [{ pointer: '/f', in: 'query', reason: 'is not serialised in the documented style' }]);
});

test('query spaceDelimited: + and %20 separate', () => {
  assert.deepEqual(reads({ name: 'id', in: 'query', style: 'spaceDelimited', explode: false, schema: INTS }, { query: 'id=3+4%205' }, [3, 4, 5]), []);
});

test('query pipeDelimited: | and %7C separate', () => {
  assert.deepEqual(reads({ name: 'id', in: 'query', style: 'pipeDelimited', explode: false, schema: INTS }, { query: 'id=3|4%7c5' }, [3, 4, 5]), []);
});

test('query pipeDelimited exploded: repeated keys', () => {
  assert.deepEqual(reads({ name: 'id', in: 'query', style: 'pipeDelimited', explode: true, schema: INTS }, { query: 'id=3&id=4' }, [3, 4]), []);
});

test('query deepObject: filter[status]=open', () => {
  assert.deepEqual(reads({ name: 'filter', in: 'query', style: 'deepObject', explode: true, schema: { type: 'object', properties: { status: { type: 'string' }, n: { type: 'integer' } } } }, { query: 'filter[status]=open&filter[n]=2' }, { status: 'open', n: 2 }), []);
});

test('query deepObject nested deeper than one level is refused (qs-style operators)', () => {
  assert.deepEqual(check([{ name: 'filter', in: 'query', style: 'deepObject', explode: true, schema: OBJ }], { query: 'filter[role][$ne]=x' }), [{ pointer: '/filter', in: 'query', reason: 'must not be nested deeper than one level' }]);
});

test('bracket notation on a documented query parameter that is not a deepObject is refused', () => {
  assert.deepEqual(check([{ name: 'limit', in: 'query', schema: { type: 'integer' } }], { query: 'limit[$gt]=0' }), [{ pointer: '/limit', in: 'query', reason: 'must not use bracket notation' }]);
});

test('a primitive query parameter given twice is refused (parameter pollution)', () => {
  assert.deepEqual(check([{ name: 'limit', in: 'query', schema: { type: 'integer' } }], { query: 'limit=1&limit=1000' }), [{ pointer: '/limit', in: 'query', reason: 'must not be repeated' }]);
});

test('+ is a space in a query value', () => {
  assert.deepEqual(reads({ name: 'q', in: 'query' }, { query: 'q=a+b%21' }, 'a b!'), []);
});

test('a query value whose percent-encoding does not decode is refused', () => {
  assert.deepEqual(check([{ name: 'q', in: 'query' }], { query: 'q=%E0%A4%A' }), [{ pointer: '/q', in: 'query', reason: 'is not correctly percent-encoded' }]);
});

test('a missing required query parameter is reported', () => {
  assert.deepEqual(check([{ name: 'q', in: 'query', required: true }], {}), [{ pointer: '/q', in: 'query', reason: 'is required' }]);
});

test('unknown query parameters pass by default', () => {
  assert.deepEqual(check([{ name: 'q', in: 'query' }], { query: 'q=a&utm_source=x' }), []);
});

test('with rejectUnknownQueryParams an unknown query parameter is refused', () => {
  assert.deepEqual(check([{ name: 'q', in: 'query' }], { query: 'q=a&debug=1' }, { rejectUnknownQueryParams: true }), [{ pointer: '/debug', in: 'query', reason: 'unknown query parameter' }]);
});

test('more query pairs than maxQueryPairs is refused', () => {
  assert.deepEqual(check([{ name: 'q', in: 'query' }], { query: 'a=1&b=2&c=3' }, { maxQueryPairs: 2 }), [{ pointer: '', in: 'query', reason: 'has more than 2 parameters' }]);
});

// ── coercion ─────────────────────────────────────────────────────────────────

test('integers, numbers and booleans are coerced', () => {
  const params: Param[] = [{ name: 'i', in: 'query', schema: { type: 'integer', const: -3 } }, { name: 'n', in: 'query', schema: { type: 'number', const: 1500 } }, { name: 'b', in: 'query', schema: { type: 'boolean', const: false } }];
  assert.deepEqual(check(params, { query: 'i=-3&n=1.5e3&b=false' }), []);
});

test('hex, padded and fractional integers are not coerced, so they are refused', () => {
  const p: Param = { name: 'i', in: 'query', schema: { type: 'integer' } };
  assert.deepEqual(['0x10', '%2010', '1.5', '1_000'].map((v) => check([p], { query: `i=${v}` }).map((x) => x.reason)), [['must be of type integer'], ['must be of type integer'], ['must be of type integer'], ['must be of type integer']]);
});

test('a value outside the schema is reported in our words', () => {
  assert.deepEqual(check([{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } }], { query: 'limit=1000' }), [{ pointer: '/limit', in: 'query', reason: 'must be at most 100' }]);
});

test('array items are coerced and checked with their index in the pointer', () => {
  assert.deepEqual(check([{ name: 'id', in: 'query', schema: INTS }], { query: 'id=1&id=x' }), [{ pointer: '/id/1', in: 'query', reason: 'must be of type integer' }]);
});

// ── path ─────────────────────────────────────────────────────────────────────

test('path simple: primitive, coerced', () => {
  assert.deepEqual(reads({ name: 'id', in: 'path', schema: { type: 'integer' } }, { params: { id: '5' } }, 5), []);
});

test('path simple: array', () => {
  assert.deepEqual(reads({ name: 'id', in: 'path', schema: INTS }, { params: { id: '3,4,5' } }, [3, 4, 5]), []);
});

test('path simple: object, exploded and not', () => {
  const p: Param = { name: 'o', in: 'path', schema: OBJ };
  assert.deepEqual([reads({ ...p, explode: false }, { params: { o: 'role,admin,n,5' } }, { role: 'admin', n: 5 }), reads({ ...p, explode: true }, { params: { o: 'role=admin,n=5' } }, { role: 'admin', n: 5 })], [[], []]);
});

test('path label: primitive, array and exploded array', () => {
  const p: Param = { name: 'id', in: 'path', style: 'label' };
  assert.deepEqual([
    reads({ ...p, schema: { type: 'integer' } }, { params: { id: '.5' } }, 5),
    reads({ ...p, schema: INTS }, { params: { id: '.3,4,5' } }, [3, 4, 5]),
    reads({ ...p, explode: true, schema: INTS }, { params: { id: '.3.4.5' } }, [3, 4, 5]),
  ], [[], [], []]);
});

test('path label: objects, exploded and not', () => {
  const p: Param = { name: 'o', in: 'path', style: 'label', schema: OBJ };
  assert.deepEqual([reads(p, { params: { o: '.role,admin,n,5' } }, { role: 'admin', n: 5 }), reads({ ...p, explode: true }, { params: { o: '.role=admin.n=5' } }, { role: 'admin', n: 5 })], [[], []]);
});

test('path label without its leading dot is malformed', () => {
  assert.deepEqual(check([{ name: 'id', in: 'path', style: 'label' }], { params: { id: '5' } }), [{ pointer: '/id', in: 'path', reason: 'is not serialised in the documented style' }]);
});

test('path matrix: primitive, array and exploded array', () => {
  const p: Param = { name: 'id', in: 'path', style: 'matrix' };
  assert.deepEqual([
    reads({ ...p, schema: { type: 'integer' } }, { params: { id: ';id=5' } }, 5),
    reads({ ...p, schema: INTS }, { params: { id: ';id=3,4,5' } }, [3, 4, 5]),
    reads({ ...p, explode: true, schema: INTS }, { params: { id: ';id=3;id=4;id=5' } }, [3, 4, 5]),
  ], [[], [], []]);
});

test('path matrix: objects, exploded and not', () => {
  const p: Param = { name: 'o', in: 'path', style: 'matrix', schema: OBJ };
  assert.deepEqual([reads(p, { params: { o: ';o=role,admin,n,5' } }, { role: 'admin', n: 5 }), reads({ ...p, explode: true }, { params: { o: ';role=admin;n=5' } }, { role: 'admin', n: 5 })], [[], []]);
});

test('path matrix naming another parameter is malformed', () => {
  assert.deepEqual(check([{ name: 'id', in: 'path', style: 'matrix' }], { params: { id: ';other=5' } }), [{ pointer: '/id', in: 'path', reason: 'is not serialised in the documented style' }]);
});

test('a path parameter style that is not valid for paths is refused at load', () => {
  assert.throws(() => check([{ name: 'id', in: 'path', style: 'form' }], {}), (e: unknown) => e instanceof SchemaError && e.where === '/parameters/0/style');
});

// ── header and cookie ────────────────────────────────────────────────────────

test('header simple: a comma-separated list, whitespace trimmed, name case-insensitive', () => {
  assert.deepEqual(reads({ name: 'X-Ids', in: 'header', schema: INTS }, { headers: { 'x-ids': '1, 2,3' } }, [1, 2, 3]), []);
});

test('a missing required header is reported under its documented name', () => {
  assert.deepEqual(check([{ name: 'X-Tenant', in: 'header', required: true }], {}), [{ pointer: '/X-Tenant', in: 'header', reason: 'is required' }]);
});

test('Accept, Content-Type and Authorization header parameters are ignored (OpenAPI says so)', () => {
  assert.deepEqual(check([{ name: 'Authorization', in: 'header', required: true }], {}), []);
});

test('cookie form: a value, percent-decoded, + kept', () => {
  assert.deepEqual(reads({ name: 'theme', in: 'cookie' }, { headers: { cookie: 'session=abc; theme=dark%20blue+x' } }, 'dark blue+x'), []);
});

test('cookie form not exploded: comma-separated array', () => {
  assert.deepEqual(reads({ name: 'ids', in: 'cookie', explode: false, schema: INTS }, { headers: { cookie: 'ids=1,2' } }, [1, 2]), []);
});

test('a missing required cookie is reported', () => {
  assert.deepEqual(check([{ name: 'session', in: 'cookie', required: true }], { headers: { cookie: 'other=1' } }), [{ pointer: '/session', in: 'cookie', reason: 'is required' }]);
});

// ── content parameters ───────────────────────────────────────────────────────

test('a parameter given as JSON content is parsed and validated', () => {
  const p: Param = { name: 'where', in: 'query', mediaType: 'application/json', schema: { type: 'object', properties: { n: { type: 'integer' } } } };
  assert.deepEqual([check([p], { query: `where=${encodeURIComponent('{"n":1}')}` }), check([p], { query: 'where=%7Bnot' }).map((v) => v.reason)], [[], ['must be valid JSON']]);
});

test('violations across parameters are all listed', () => {
  const params: Param[] = [{ name: 'id', in: 'path', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 10 } }, { name: 'X-Tenant', in: 'header', required: true }];
  assert.deepEqual(check(params, { params: { id: 'abc' }, query: 'limit=11' }).map((v) => `${v.in} ${v.pointer}`), ['path /id', 'query /limit', 'header /X-Tenant']);
});
