/**
 * Loads an OpenAPI 3.0/3.1 document (YAML or JSON, possibly spread over several files joined by
 * relative `$ref`s) into the operations the gateway routes and validates: plain data with every
 * reference resolved, so nothing downstream reads files or follows refs.
 *
 * Loading is synchronous, like the rest of config loading, and never touches the network. Every
 * mistake found (up to a bound) is reported at once, each naming the file and the JSON pointer.
 */
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigPath } from '../../core/config-error.js';
import { OPERATION_METHODS, type ApiOperation } from '../../core/operation.js';
import { DocumentFiles } from './document-files.js';
import { readOperation, type OperationScope } from './document-operation.js';
import { readParameterList, readSecurity, type ParameterEntry, type ReadContext } from './document-parameters.js';
import { parsePathTemplate } from './document-paths.js';
import { child, Problems, show, type Where } from './document-problems.js';
import { isMapping } from './refs-pointer.js';
import { RefResolver } from './refs.js';

/** An OpenAPI document, loaded. */
export interface LoadedApiDocument {
  /** Absolute path of the document's first file. */
  readonly file: string;
  /** The `openapi` version as written (`3.0.3`, `3.1.0`). */
  readonly version: string;
  /** `info.title`. */
  readonly title: string;
  /** Every operation, in document order (paths, then methods in OPERATION_METHODS order). */
  readonly operations: readonly ApiOperation[];
}

/** Most operations one document may declare. */
export const MAX_OPERATIONS = 10_000;

const PATH_ITEM_FIELDS = new Set<string>(['$ref', 'summary', 'description', 'servers', 'parameters', ...OPERATION_METHODS]);

/**
 * Loads the OpenAPI document `file` (relative names against the working directory; refs
 * relative to the file that holds them, never outside the first file's directory).
 *
 * @param at the config path of the setting that named the document; every issue carries it
 * @throws ConfigError listing every problem, each message as `openapi.yaml#/paths/~1tasks/post: …`
 * @example
 * ```ts
 * const doc = loadOpenApiDocument(resolve(baseDir, 'openapi.yaml'), ['openapi', 'document']);
 * for (const op of doc.operations) console.log(op.method, op.path, op.operationId);
 * ```
 */
export function loadOpenApiDocument(file: string, at: ConfigPath): LoadedApiDocument {
  let real: string;
  try {
    real = realpathSync(resolve(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([{ path: at, message: `OpenAPI document ${show(file)}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})`}`, severity: 'error' }]);
  }
  const problems = new Problems(dirname(real));
  const files = new DocumentFiles(dirname(real), problems);
  const parsed = files.get(real, undefined);
  const loaded = parsed === undefined ? undefined : readDocument(parsed.data, real, problems, files);
  const error = problems.toError(at);
  if (error !== undefined || loaded === undefined) throw error ?? new ConfigError([{ path: at, message: `OpenAPI document ${show(file)} could not be loaded`, severity: 'error' }]);
  return loaded;
}

function readDocument(data: unknown, file: string, problems: Problems, files: DocumentFiles): LoadedApiDocument | undefined {
  const root: Where = { file, pointer: '' };
  if (!isMapping(data)) return void problems.add(root, 'an OpenAPI document must be a mapping');
  if (Object.hasOwn(data, 'swagger')) {
    return void problems.add(child(root, 'swagger'), 'Swagger 2.0 documents are not supported: convert the document to OpenAPI 3.0 or 3.1 first');
  }
  const version = data.openapi;
  if (typeof version !== 'string') {
    return void problems.add(child(root, 'openapi'), version === undefined
      ? 'openapi is required: the version of the OpenAPI document (3.0.x or 3.1.x)'
      : 'openapi must be a string such as "3.0.3" (quote it in YAML)');
  }
  const m = /^3\.([01])\.\d{1,4}(-[0-9A-Za-z.-]{1,32})?$/.exec(version);
  if (m === null) return void problems.add(child(root, 'openapi'), `OpenAPI version ${show(version)} is not supported: 3.0.x or 3.1.x`);
  const dialect = m[1] === '0' ? '3.0' : '3.1';

  let title = '';
  if (!isMapping(data.info)) problems.add(child(root, 'info'), 'info is required: a mapping with a title');
  else if (typeof data.info.title !== 'string' || data.info.title === '') problems.add(child(child(root, 'info'), 'title'), 'info.title is required: a non-empty string');
  else title = data.info.title;

  const pathsWhere = child(root, 'paths');
  if (!isMapping(data.paths)) return void problems.add(pathsWhere, 'paths is required: a mapping of path templates to path items');
  const securitySchemes = isMapping(data.components) ? data.components.securitySchemes : undefined;
  const schemes = new Set(isMapping(securitySchemes) ? Object.keys(securitySchemes) : []);
  const rootSecurity = data.security === undefined ? undefined : readSecurity(data.security, child(root, 'security'), problems, schemes);
  const ctx: ReadContext = { problems, refs: new RefResolver(files, problems, dialect), dialect };

  const operations: ApiOperation[] = [];
  const shapes = new Map<string, string>();
  const operationIds = new Map<string, string>();
  for (const [path, rawItem] of Object.entries(data.paths)) {
    if (path.startsWith('x-')) continue;
    const itemWhere = child(pathsWhere, path);
    const template = parsePathTemplate(path);
    if (typeof template === 'string') {
      problems.add(itemWhere, template);
      continue;
    }
    const twin = shapes.get(template.shape);
    if (twin !== undefined) {
      problems.add(itemWhere, `path collides with ${show(twin)}: templates that differ only in parameter names are the same path`);
      continue;
    }
    shapes.set(template.shape, path);
    const found = ctx.refs.follow(rawItem, itemWhere);
    if (found === undefined) continue;
    const { value: item, where } = found;
    if (!isMapping(item)) {
      problems.add(where, 'a path item must be a mapping');
      continue;
    }
    if (isMapping(rawItem) && rawItem !== item && Object.keys(rawItem).some((k) => k === 'parameters' || (OPERATION_METHODS as readonly string[]).includes(k))) {
      problems.add(itemWhere, 'a path item with $ref must not also declare operations or parameters (the spec leaves merging them undefined)');
    }
    for (const key of Object.keys(item)) {
      if (PATH_ITEM_FIELDS.has(key) || key.startsWith('x-')) continue;
      const hint = (OPERATION_METHODS as readonly string[]).includes(key.toLowerCase()) ? ' (methods are written in lower case)' : '';
      problems.add(child(where, key), `unknown path item field ${show(key)}${hint}`);
    }
    const pathComponents = new Set<string>();
    const pathParameters: ParameterEntry[] = item.parameters === undefined ? [] : readParameterList(item.parameters, child(where, 'parameters'), ctx, pathComponents);
    const scope: OperationScope = { path, template, pathParameters, pathComponents, rootSecurity, schemes };
    for (const method of OPERATION_METHODS) {
      if (!Object.hasOwn(item, method)) continue;
      if (operations.length >= MAX_OPERATIONS) return void problems.add(pathsWhere, `more than ${MAX_OPERATIONS} operations`);
      const opWhere = child(where, method);
      const pointer = child(itemWhere, method).pointer;
      const op = readOperation(method, item[method], opWhere, pointer, scope, ctx);
      if (op === undefined) continue;
      if (op.operationId !== undefined) {
        const other = operationIds.get(op.operationId);
        if (other !== undefined) problems.add(child(opWhere, 'operationId'), `operationId ${show(op.operationId)} is also used by ${other}`);
        else operationIds.set(op.operationId, problems.describe({ file, pointer }));
      }
      operations.push(op);
    }
  }
  // Schemas are shared between operations (each $ref target is resolved once): frozen, so a
  // consumer that edits one in place fails loudly instead of changing other routes.
  deepFreeze(operations);
  return { file, version, title, operations };
}

function deepFreeze(root: object): void {
  const stack: object[] = [root];
  for (let obj = stack.pop(); obj !== undefined; obj = stack.pop()) {
    if (Object.isFrozen(obj)) continue;
    Object.freeze(obj);
    for (const value of Object.values(obj as Record<string, unknown>)) if (typeof value === 'object' && value !== null) stack.push(value);
  }
}
