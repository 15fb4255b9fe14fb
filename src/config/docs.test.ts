import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { pino } from 'pino';
import { parse } from 'yaml';
import { createCatalogue } from '../core/errors.js';
import { builtinPolicies } from '../policies/index.js';
import { compileGateway } from './compile.js';
import { cell, configJsonSchema, configurationMarkdown, errorsMarkdown, EXAMPLE_CONFIG, generateDocs } from './docs.js';
import { loadConfigText } from './load.js';
import { createRegistry } from './registry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATED = ['docs/portcullis.schema.json', 'docs/errors.md', 'docs/configuration.md'];

test('the generator writes exactly the files checked here', () => {
  assert.deepEqual(generateDocs(builtinPolicies).map((f) => f.path), GENERATED);
});

for (const path of GENERATED) {
  test(`${path} is up to date (run npm run docs)`, async () => {
    const expected = generateDocs(builtinPolicies).find((f) => f.path === path)?.content;
    assert.equal(await readFile(join(ROOT, path), 'utf8'), expected);
  });
}

test('the config JSON Schema is a valid draft-07 schema', () => {
  const ajv = new Ajv({ strict: false });
  assert.equal(ajv.validateSchema(configJsonSchema(builtinPolicies)), true);
});

test('an editor accepts the example config without filling defaults', () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(configJsonSchema(builtinPolicies));
  assert.deepEqual([validate(parse(EXAMPLE_CONFIG)), validate.errors ?? []], [true, []]);
});

test('an editor flags an unknown key', () => {
  const validate = new Ajv({ strict: false }).compile(configJsonSchema(builtinPolicies));
  const config = { upstreams: { api: { url: 'http://api.internal', timeout: 5 } }, routes: [{ path: '/a', methods: ['GET'], upstream: 'api' }] };
  assert.deepEqual([validate(config), validate.errors?.[0]?.instancePath], [false, '/upstreams/api']);
});

test('an editor flags a mistake inside a policy config', () => {
  const validate = new Ajv({ strict: false }).compile(configJsonSchema(builtinPolicies));
  const config = { upstreams: { api: { url: 'http://api.internal' } }, routes: [{ path: '/a', methods: ['GET'], upstream: 'api', policies: { 'size-limit': { maxBodyBytes: '1mb' } } }] };
  assert.equal(validate(config), false);
});

test('an editor requires upstreams (routes may all come from the OpenAPI document)', () => {
  assert.deepEqual(configJsonSchema(builtinPolicies).required, ['upstreams']);
});

test('the example config loads and compiles', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-docs-'));
  try {
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs', 'gateway.pem'), 'dummy');
    await writeFile(join(dir, 'certs', 'gateway-key.pem'), 'dummy');
    const registry = createRegistry(builtinPolicies);
    const gateway = compileGateway(loadConfigText(EXAMPLE_CONFIG, { registry, baseDir: dir }), registry, pino({ level: 'silent' }));
    await gateway.close();
    assert.equal(gateway.routes.length, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('errors.md has a row for every code of the catalogue', () => {
  const markdown = errorsMarkdown(builtinPolicies);
  const missing = [...createCatalogue(builtinPolicies).keys()].filter((code) => !markdown.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, []);
});

test('configuration.md has a section for every top-level key with fields', () => {
  const headings = configurationMarkdown(builtinPolicies).split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
  assert.deepEqual(headings, ['Top-level keys', 'server', 'upstreams', 'proxy', 'outbound', 'log', 'audit', 'admin', 'alerts', 'tracing', 'defaults', 'openapi', 'routes', 'Policies']);
});

test('configuration.md has a section for every policy', () => {
  const headings = configurationMarkdown(builtinPolicies).split('\n').filter((l) => l.startsWith('### ')).map((l) => l.slice(4));
  assert.deepEqual(headings, builtinPolicies.map((p) => p.name));
});

test('configuration.md documents every field of a policy', () => {
  const markdown = configurationMarkdown(builtinPolicies);
  const missing = Object.keys(builtinPolicies[0]!.schema.properties).filter((name) => !markdown.includes(`| \`${name}\` |`));
  assert.deepEqual(missing, []);
});

test('a pipe in a table cell is escaped', () => {
  assert.equal(cell('a | b'), 'a \\| b');
});
