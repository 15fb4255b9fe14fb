import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/config-error.js';
import { loadOpenApiDocument } from './document.js';

const AT = ['openapi', 'document'];
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/broken/${name}`, import.meta.url));

/** Every message the load of a broken fixture gives (the load must fail). */
function problems(name: string): string[] {
  try {
    loadOpenApiDocument(fixture(name), AT);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => i.message);
  }
  assert.fail(`${name} loaded`);
}

/** Asserts that one message is about `place` (`file#pointer`) and mentions `words`. */
function assertProblem(messages: readonly string[], place: string, words: RegExp): void {
  const found = messages.filter((m) => m.startsWith(`${place}: `));
  assert.ok(found.length > 0, `nothing at ${place} in:\n${messages.join('\n')}`);
  assert.ok(found.some((m) => words.test(m)), `at ${place}: ${found.join('; ')}`);
}

const swagger = problems('swagger.yaml');
const refs = problems('refs/openapi.yaml');
const paths = problems('paths.yaml');
const ops = problems('operations.yaml');
const params = problems('parameters.yaml');
const schemas = problems('schemas.yaml');

test('every issue carries the config path of the document setting', () => {
  try {
    loadOpenApiDocument(fixture('paths.yaml'), AT);
    assert.fail('loaded');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(new Set(error.issues.map((i) => JSON.stringify([i.path, i.severity]))), new Set([JSON.stringify([AT, 'error'])]));
  }
});

test('a missing document is one issue naming it', () => {
  assert.throws(() => loadOpenApiDocument(fixture('no-such.yaml'), AT), (e: unknown) => e instanceof ConfigError && e.issues.length === 1 && /no-such\.yaml.*not found/.test(e.issues[0]!.message));
});

test('a Swagger 2.0 document is refused with its own message', () => {
  assertProblem(swagger, 'swagger.yaml#/swagger', /Swagger 2\.0/);
});

test('an OpenAPI version other than 3.0.x or 3.1.x is refused', () => {
  assertProblem(problems('version.yaml'), 'version.yaml#/openapi', /4\.0\.0/);
});

test('an unquoted version (a YAML number) is refused with a hint', () => {
  assertProblem(problems('version-number.yaml'), 'version-number.yaml#/openapi', /quote/);
});

test('info.title is required', () => {
  assertProblem(problems('required.yaml'), 'required.yaml#/info/title', /required/);
});

test('paths is required', () => {
  assertProblem(problems('required.yaml'), 'required.yaml#/paths', /required/);
});

test('duplicate YAML keys are refused with their line', () => {
  assertProblem(problems('yaml-duplicate-key.yaml'), 'yaml-duplicate-key.yaml:4', /unique/);
});

test('YAML tags are refused', () => {
  assertProblem(problems('yaml-tag.yaml'), 'yaml-tag.yaml:2', /tags/);
});

test('an alias bomb is refused', () => {
  assertProblem(problems('yaml-aliases.yaml'), 'yaml-aliases.yaml', /alias/i);
});

const schemaRef = (path: string): string => `openapi.yaml#/paths/~1${path}/get/responses/200/content/application~1json/schema/$ref`;

test('a remote (http) $ref is refused, not fetched', () => {
  assertProblem(refs, schemaRef('remote'), /remote reference/);
});

test('a $ref that climbs out of the document\'s directory is refused', () => {
  assertProblem(refs, schemaRef('escape'), /outside the directory/);
});

test('a $ref to an existing file outside the document\'s directory is refused', () => {
  assertProblem(refs, schemaRef('outside'), /outside\.yaml" is outside the directory/);
});

test('a $ref to a missing file names the file', () => {
  assertProblem(refs, schemaRef('missing-file'), /schemas\/nope\.yaml" is not found/);
});

test('a $ref to a missing pointer in another file names the target', () => {
  assertProblem(refs, schemaRef('missing-target'), /schemas\/task\.yaml#\/Nope does not exist/);
});

test('a parameter $ref to a missing component names the target', () => {
  assertProblem(refs, 'openapi.yaml#/paths/~1missing-target/get/parameters/0/$ref', /#\/components\/parameters\/Nope does not exist/);
});

test('an invalid ~ escape in a pointer is refused', () => {
  assertProblem(refs, schemaRef('bad-escape'), /escape/);
});

test('a named-anchor fragment is refused', () => {
  assertProblem(refs, schemaRef('anchor'), /JSON pointer/);
});

test('a loop of parameter refs is refused', () => {
  assert.ok(refs.some((m) => /^openapi\.yaml#\/components\/parameters\/P[io]ng\/\$ref: circular/.test(m)), refs.join('\n'));
});

test('a pointer naming an inherited property (constructor) finds nothing', () => {
  assertProblem(refs, schemaRef('prototype'), /does not exist/);
});

test('a path must start with /', () => {
  assertProblem(paths, 'paths.yaml#/paths/tasks', /start with \//);
});

test('a parameter inside a path segment is refused', () => {
  assertProblem(paths, 'paths.yaml#/paths/~1files~1{name}.json', /whole-segment/);
});

test('templates that differ only in parameter names collide', () => {
  assertProblem(paths, 'paths.yaml#/paths/~1a~1{y}', /collides with "\/a\/\{x\}"/);
});

test('a template parameter without an in: path parameter is refused', () => {
  assertProblem(paths, 'paths.yaml#/paths/~1undeclared~1{id}/get', /\{id\}/);
});

test('an in: path parameter missing from the template is refused', () => {
  assertProblem(paths, 'paths.yaml#/paths/~1extra/get/parameters/0', /does not appear/);
});

test('a trailing slash is refused', () => {
  assertProblem(paths, 'paths.yaml#/paths/~1slash~1', /end with \//);
});

test('an upper-case method key is refused with a hint', () => {
  assertProblem(paths, 'paths.yaml#/paths/~1upper/GET', /lower case/);
});

test('a duplicate operationId names the first use', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1one/post/operationId', /operations\.yaml#\/paths\/~1one\/get/);
});

test('a requestBody whose content is not a mapping is refused', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1one/post/requestBody/content', /mapping/);
});

test('a lower-case status range is refused', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1one/post/responses/2xx', /status/);
});

test('a status outside 100-599 is refused', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1one/post/responses/600', /status/);
});

test('an x-sunset day that does not exist is refused', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1two/get/x-sunset', /RFC 3339/);
});

test('an x-deprecated-at that is not a date is refused', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1two/get/x-deprecated-at', /RFC 3339/);
});

test('a root security requirement naming an undeclared scheme is refused', () => {
  assertProblem(ops, 'operations.yaml#/security/0/nope', /not defined/);
});

test('an operation security requirement naming an undeclared scheme is refused', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1two/put/security/0/apiKey', /not defined/);
});

test('responses are required in 3.0', () => {
  assertProblem(ops, 'operations.yaml#/paths/~1two/delete', /responses is required/);
});

const param = (i: number): string => `parameters.yaml#/paths/~1p~1{id}/get/parameters/${i}`;

test('a path parameter with required: false is refused', () => {
  assertProblem(params, `${param(0)}/required`, /always required/);
});

test('deepObject is refused outside the query', () => {
  assertProblem(params, `${param(1)}/style`, /deepObject.*header/);
});

test('a parameter with both schema and content is refused', () => {
  assertProblem(params, param(2), /not both/);
});

test('a parameter with neither schema nor content is refused', () => {
  assertProblem(params, param(3), /schema or a content/);
});

test('an unknown parameter location is refused', () => {
  assertProblem(params, `${param(4)}/in`, /path, query, header or cookie/);
});

test('a parameter listed twice is refused', () => {
  assertProblem(params, param(6), /twice/);
});

test('a parameter content with two media types is refused', () => {
  assertProblem(params, `${param(7)}/content`, /exactly one/);
});

test('a non-boolean explode is refused', () => {
  assertProblem(params, `${param(8)}/explode`, /true or false/);
});

test('a media type key without a subtype is refused', () => {
  assertProblem(params, 'parameters.yaml#/paths/~1p~1{id}/get/requestBody/content/json', /not a media type/);
});

test('a media range with a wildcard type and a concrete subtype is refused', () => {
  assertProblem(params, 'parameters.yaml#/paths/~1p~1{id}/get/requestBody/content/*~1json', /not a media type/);
});

test('a schema that is a string is refused', () => {
  assertProblem(schemas, 'schemas.yaml#/paths/~1s/get/parameters/0/schema', /mapping/);
});

test('a boolean schema is refused in 3.0', () => {
  assertProblem(schemas, 'schemas.yaml#/paths/~1s/get/parameters/1/schema', /3\.1/);
});

test('a schema that recurses without descending into the value is refused', () => {
  assertProblem(schemas, 'schemas.yaml#/components/schemas/Loop/allOf/0/$ref', /never end/);
});
