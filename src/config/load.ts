/**
 * Loading a configuration file: YAML → schema validation (defaults filled in) → each policy's
 * config validated by its own schema → cross-references and semantic checks. Every mistake is
 * collected with its path and line; nothing half-valid reaches the compiler.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue, type ConfigPath } from '../core/config-error.js';
import { ajvIssues } from './ajv-issues.js';
import type { Registry } from './registry.js';
import type { GatewayConfig } from './schema.js';
import { semanticIssues } from './semantics.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';
import { configRouteSpecs, operationRouteSpecs, type RouteSpec } from './route-specs.js';
import { parseTemplate } from './route-template.js';
import { loadOpenApiDocument, type LoadedApiDocument } from '../policies/openapi/document.js';

/** Policies that guard every route unless a scope sets them to `false`. */
export const ALWAYS_ON = ['size-limit', 'security-headers'] as const;

/** A validated configuration with where it came from. */
export interface LoadedConfig {
  /** The configuration, defaults filled in. */
  readonly config: GatewayConfig;
  /** Directory relative file names are resolved against. */
  readonly baseDir: string;
  /** The file it was read from, if any. */
  readonly file: string | undefined;
  /** Warnings (severity `warning`) with lines; the config is usable. */
  readonly warnings: readonly ConfigIssue[];
  /** Adds line and column to an issue found later (at compile time). */
  readonly locate: (issue: ConfigIssue) => ConfigIssue;
  /** Every route to serve: the hand-written ones, then one per operation of the OpenAPI document. */
  readonly routes: readonly RouteSpec[];
  /** The OpenAPI document, when the config names one. */
  readonly document: LoadedApiDocument | undefined;
}

/** Where loaded text came from. */
export interface LoadOptions {
  /** The registry of known policies. */
  readonly registry: Registry;
  /** Directory to resolve relative file names (certificates) against. */
  readonly baseDir: string;
  /** File name, for messages. */
  readonly file?: string;
}

/**
 * Reads and validates a configuration file. Throws ConfigError listing every mistake.
 *
 * @example
 * ```ts
 * const loaded = await loadConfigFile('portcullis.yaml', createRegistry(builtinPolicies));
 * ```
 */
export async function loadConfigFile(file: string, registry: Registry): Promise<LoadedConfig> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot be read';
    throw new ConfigError([{ path: [], message: `${file}: ${reason}`, severity: 'error' }]);
  }
  return loadConfigText(text, { registry, baseDir: dirname(abs), file: abs });
}

/**
 * Validates configuration text. Throws ConfigError listing every mistake with its line.
 *
 * @example
 * ```ts
 * const loaded = loadConfigText(yamlText, { registry, baseDir: process.cwd() });
 * loaded.config.routes.length
 * ```
 */
export function loadConfigText(text: string, options: LoadOptions): LoadedConfig {
  const source = parseYamlSource(text);
  if (source.syntaxIssues.length > 0) throw new ConfigError(source.syntaxIssues);
  const issues = validateData(source.data, options);
  if (issues.some((i) => i.severity === 'error')) throw new ConfigError(issues.map((i) => source.locate(i)));
  const config = source.data as GatewayConfig;
  const { routes, document, issues: routeIssues } = buildRoutes(config, options);
  issues.push(...routeIssues);
  const located = issues.map((i) => source.locate(i));
  if (located.some((i) => i.severity === 'error')) throw new ConfigError(located);
  return {
    config,
    baseDir: options.baseDir,
    file: options.file,
    warnings: located,
    locate: (i) => source.locate(i),
    routes,
    document,
  };
}

/**
 * The routes of a valid config: the hand-written ones and, when `openapi` names a document, one
 * per operation. Generated routes are validated by the openapi policy unless a scope turns it
 * off; they must not collide with hand-written routes.
 */
function buildRoutes(config: GatewayConfig, options: LoadOptions): { routes: RouteSpec[]; document: LoadedApiDocument | undefined; issues: ConfigIssue[] } {
  const routes = configRouteSpecs(config);
  const issues: ConfigIssue[] = [];
  const settings = config.openapi;
  if (settings === undefined) {
    if (routes.length === 0) issues.push({ path: ['routes'], message: 'no routes: add routes, or name an OpenAPI document under openapi.document', severity: 'error' });
    return { routes, document: undefined, issues };
  }
  let document: LoadedApiDocument;
  try {
    document = loadOpenApiDocument(resolve(options.baseDir, settings.document), ['openapi', 'document']);
  } catch (error) {
    if (error instanceof ConfigError) return { routes, document: undefined, issues: [...error.issues] };
    throw error;
  }
  const generated = operationRouteSpecs(config, settings, document.operations);
  issues.push(...generated.issues);
  const known = (name: string) => Object.hasOwn(config.upstreams, name);
  if (!known(settings.upstream)) issues.push({ path: ['openapi', 'upstream'], message: `no upstream named '${settings.upstream}'`, severity: 'error' });
  settings.operations.forEach((entry, i) => {
    if (entry.upstream !== undefined && !known(entry.upstream)) issues.push({ path: ['openapi', 'operations', i, 'upstream'], message: `no upstream named '${entry.upstream}'`, severity: 'error' });
  });
  // The document's routes are validated against it unless a scope says `openapi: false`.
  const validation = options.registry.validatePolicy.get('openapi');
  const implicit: Record<string, unknown> = {};
  if (validation !== undefined && validation(implicit)) {
    for (const route of generated.routes) {
      if (!route.layers.some((l) => Object.hasOwn(l.policies, 'openapi'))) (route.layers as unknown[]).splice(1, 0, { policies: { openapi: implicit }, path: ['openapi'] });
    }
  }
  const taken = new Map<string, string>();
  for (const route of routes) {
    const parsed = parseTemplate(route.path);
    if (typeof parsed === 'string') continue;
    for (const m of route.methods) taken.set(`${m} ${parsed.routerPath.replace(/:[A-Za-z0-9_]+/g, ':')}`, route.name);
  }
  for (const route of generated.routes) {
    const parsed = parseTemplate(route.path);
    if (typeof parsed === 'string') {
      issues.push({ path: ['openapi', 'document'], message: `${route.path}: ${parsed}`, severity: 'error' });
      continue;
    }
    const key = `${route.methods[0]} ${parsed.routerPath.replace(/:[A-Za-z0-9_]+/g, ':')}`;
    const other = taken.get(key);
    if (other !== undefined) issues.push({ path: ['openapi', 'document'], message: `${route.methods[0]} ${route.path} is both an operation of the document and the hand-written route '${other}'`, severity: 'error' });
    taken.set(key, route.name);
  }
  return { routes: [...routes, ...generated.routes], document, issues };
}

/**
 * Validates already-parsed data (a config object built in code, by tests or the library API).
 * Fills defaults in place. Returns every issue, errors and warnings.
 *
 * @example
 * ```ts
 * const issues = validateData({ upstreams: {}, routes: [] }, { registry, baseDir: '.' });
 * ```
 */
export function validateData(data: unknown, options: LoadOptions): ConfigIssue[] {
  if (!isMapping(data)) {
    return [{ path: [], message: 'the file must be a YAML mapping with upstreams and routes', severity: 'error' }];
  }
  const { registry } = options;
  const schemaValid = registry.validateFile(data);
  const issues: ConfigIssue[] = schemaValid ? [] : ajvIssues(registry.validateFile.errors ?? []);
  // Policy configs are checked even when the rest of the file is not valid, so that one run of
  // `check` lists every mistake; each `policies` that is a mapping is checked where it stands.
  const defaults = isMapping(data.defaults) && isMapping(data.defaults.policies) ? data.defaults.policies : undefined;
  if (defaults) {
    for (const name of ALWAYS_ON) {
      // `{}` is a complete config for these: validation below fills in their safe defaults.
      if (registry.policies.has(name) && !Object.hasOwn(defaults, name)) defaults[name] = {};
    }
    validatePolicies(defaults, ['defaults', 'policies'], registry, issues);
  }
  if (Array.isArray(data.routes)) {
    data.routes.forEach((route: unknown, i) => {
      if (isMapping(route) && isMapping(route.policies)) validatePolicies(route.policies, ['routes', i, 'policies'], registry, issues);
    });
  }
  if (isMapping(data.openapi) && Array.isArray(data.openapi.operations)) {
    data.openapi.operations.forEach((entry: unknown, i) => {
      if (isMapping(entry) && isMapping(entry.policies)) validatePolicies(entry.policies, ['openapi', 'operations', i, 'policies'], registry, issues);
    });
  }
  if (!schemaValid || issues.length > 0) return issues;
  return semanticIssues(data as GatewayConfig, options.baseDir);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function validatePolicies(policies: Readonly<Record<string, unknown>>, base: ConfigPath, registry: Registry, issues: ConfigIssue[]): void {
  for (const [name, value] of Object.entries(policies)) {
    if (value === false) continue;
    const path = [...base, name];
    if (!isMapping(value)) {
      issues.push({ path, message: 'must be a mapping of the policy\'s settings, or false to switch it off', severity: 'error' });
      continue;
    }
    const validate = registry.validatePolicy.get(name);
    if (validate && !validate(value)) issues.push(...ajvIssues(validate.errors ?? [], path));
  }
}

/** Re-export for callers that only need the source helper. */
export type { YamlSource };
