/**
 * The configuration of Portcullis inside an app: the gateway's own shape (`defaults.policies`,
 * `routes`, `openapi`), typed per policy from the policies' schemas, without what only a gateway
 * needs. Listeners, upstreams and each route's upstream are filled in with placeholders here, so
 * the gateway's loader validates the very same data with the very same paths and messages, and
 * its compiler builds the very same pipelines.
 */
import { ConfigError, type ConfigIssue, type ConfigPath } from '../core/config-error.js';
import { loadConfigText, type LoadedConfig } from '../config/load.js';
import type { Registry } from '../config/registry.js';
import type { GatewayConfig, HTTP_METHODS } from '../config/schema.js';
import type {
  AbacConfig, ApiKeyConfig, CorsConfig, IntrospectionConfig, IpFilterConfig, JwtConfig, ObjectLevelConfig, OpenApiConfig,
  PropertyLevelConfig, RateLimitConfig, RbacConfig, SecurityHeadersConfig, SizeLimitConfig, SsrfConfig, TransformConfig, WafConfig,
} from '../policies/index.js';

/**
 * The upstream name routes get inside an app (never contacted).
 *
 * @example
 * ```ts
 * loadAppConfig(config, options).config.upstreams[APP_UPSTREAM] // { url: 'http://127.0.0.1/', … }
 * ```
 */
export const APP_UPSTREAM = 'portcullis-app';

/**
 * A policy's config as written: every field optional (the schema fills in its default at load),
 * nested objects and list items alike. The loader still checks every field with its exact path.
 *
 * @example
 * ```ts
 * const limit: PolicyInput<RateLimitConfig> = { limits: [{ name: 'per-ip', rate: '100/min' }] };
 * ```
 */
export type PolicyInput<T> = T extends ReadonlyArray<infer E>
  ? ReadonlyArray<PolicyInput<E>>
  : T extends object ? { readonly [K in keyof T]?: PolicyInput<T[K]> } : T;

/**
 * The config type of each built-in policy, by its YAML key.
 *
 * @example
 * ```ts
 * const rbac: BuiltinPolicyConfigs['rbac']['mode'] = 'all';
 * ```
 */
export interface BuiltinPolicyConfigs {
  'ip-filter': IpFilterConfig;
  cors: CorsConfig;
  'size-limit': SizeLimitConfig;
  'security-headers': SecurityHeadersConfig;
  'api-key': ApiKeyConfig;
  introspection: IntrospectionConfig;
  jwt: JwtConfig;
  'rate-limit': RateLimitConfig;
  rbac: RbacConfig;
  'object-level': ObjectLevelConfig;
  abac: AbacConfig;
  'property-level': PropertyLevelConfig;
  openapi: OpenApiConfig;
  waf: WafConfig;
  ssrf: SsrfConfig;
  transform: TransformConfig;
}

/**
 * Policies of one scope, each with its settings or `false` (off for this scope). `Extra` types the
 * configs of your own policies (passed in `options.policies`), by name.
 *
 * @example
 * ```ts
 * const policies: PolicySettings = { 'api-key': { keysFile: 'keys.yaml' }, rbac: { require: ['read'] } };
 * ```
 */
export type PolicySettings<Extra extends object = Record<never, never>> =
  { readonly [N in keyof BuiltinPolicyConfigs]?: PolicyInput<BuiltinPolicyConfigs[N]> | false }
  & { readonly [N in keyof Extra]?: PolicyInput<Extra[N]> | false };

/** An HTTP method a route may list. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * A route: method + path template, guarded by policies. `upstream` is accepted (one file can
 * serve the gateway and the app) and ignored.
 *
 * @example
 * ```ts
 * const route: PortcullisRoute = { path: '/api/tasks/{taskId}', methods: ['GET'], policies: { rbac: { require: ['read'] } } };
 * ```
 */
export interface PortcullisRoute<Extra extends object = Record<never, never>> {
  readonly name?: string;
  readonly path: string;
  readonly methods: readonly HttpMethod[];
  readonly public?: boolean;
  readonly policies?: PolicySettings<Extra>;
  readonly upstream?: string;
}

/** One entry of `openapi.operations`. */
export interface PortcullisOperationSettings<Extra extends object = Record<never, never>> {
  readonly match?: { readonly operationId?: string; readonly tag?: string; readonly pathPrefix?: string; readonly methods?: readonly HttpMethod[] };
  readonly upstream?: string;
  readonly public?: boolean;
  readonly policies?: PolicySettings<Extra>;
}

/**
 * The configuration of Portcullis inside an app: the shape of the gateway's YAML. `server`,
 * `upstreams`, `upstream` are accepted and ignored (the app is the upstream and has its own
 * listener); `admin`, `alerts.webhook`, `tracing.otlpEndpoint` and `audit.file` run only in the
 * gateway and are reported as warnings.
 *
 * @example
 * ```ts
 * const config: PortcullisConfig = {
 *   defaults: { policies: { 'api-key': { keysFile: 'keys.yaml' } } },
 *   routes: [{ path: '/api/tasks', methods: ['GET'], policies: { rbac: { require: ['read'] } } }],
 * };
 * ```
 */
export interface PortcullisConfig<Extra extends object = Record<never, never>> {
  readonly defaults?: { readonly policies?: PolicySettings<Extra> };
  readonly routes?: ReadonlyArray<PortcullisRoute<Extra>>;
  readonly openapi?: { readonly document: string; readonly upstream?: string; readonly operations?: ReadonlyArray<PortcullisOperationSettings<Extra>> };
  readonly outbound?: PolicyInput<GatewayConfig['outbound']>;
  readonly log?: PolicyInput<GatewayConfig['log']>;
  readonly audit?: PolicyInput<GatewayConfig['audit']>;
  readonly proxy?: PolicyInput<GatewayConfig['proxy']>;
  readonly server?: PolicyInput<GatewayConfig['server']>;
  readonly upstreams?: Readonly<Record<string, unknown>>;
  readonly admin?: Readonly<Record<string, unknown>>;
  readonly alerts?: Readonly<Record<string, unknown>>;
  readonly tracing?: Readonly<Record<string, unknown>>;
  readonly $schema?: string;
}

/** What loading a config for an app needs. */
export interface AppLoadOptions {
  readonly registry: Registry;
  readonly baseDir: string;
  /** Replaces `server.trustedProxies`; its issues are reported at `trustedProxies[i]`. */
  readonly trustedProxies?: readonly string[];
}

/**
 * Validates an app's config exactly as `portcullis check` validates a file (minus line numbers):
 * throws ConfigError with every mistake and its path. Never mutates `config`.
 *
 * @example
 * ```ts
 * const loaded = loadAppConfig({ routes: [{ path: '/api/*', methods: ['GET'], public: true }] }, { registry, baseDir: process.cwd() });
 * ```
 */
export function loadAppConfig(config: unknown, options: AppLoadOptions): LoadedConfig {
  if (!isMapping(config)) throw new ConfigError([{ path: [], message: 'the configuration must be an object with routes (or openapi)', severity: 'error' }]);
  // A deep copy, as JSON: the loader fills defaults in place, and config is data (no functions).
  const data = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const ignored = gatewayOnly(data);
  const server = isMapping(data.server) ? data.server : {};
  delete server.https;
  server.http = { host: '127.0.0.1', port: 0, redirect: false };
  if (options.trustedProxies !== undefined) server.trustedProxies = [...options.trustedProxies];
  data.server = server;
  const upstreams = isMapping(data.upstreams) ? data.upstreams : {};
  upstreams[APP_UPSTREAM] = { url: 'http://127.0.0.1/' };
  data.upstreams = upstreams;
  if (Array.isArray(data.routes)) for (const route of data.routes) if (isMapping(route) && route.upstream === undefined) route.upstream = APP_UPSTREAM;
  if (isMapping(data.openapi) && data.openapi.upstream === undefined) data.openapi.upstream = APP_UPSTREAM;
  const fromOption = options.trustedProxies !== undefined;
  let loaded: LoadedConfig;
  try {
    loaded = loadConfigText(JSON.stringify(data), { registry: options.registry, baseDir: options.baseDir });
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues.map((i) => unlocated(i, fromOption)));
    throw error;
  }
  // The plain-HTTP listener is ours, not the user's: its warning would say nothing true.
  const warnings = loaded.warnings.filter((w) => !startsWith(w.path, ['server', 'http'])).map((w) => unlocated(w, fromOption));
  return { ...loaded, warnings: [...ignored, ...warnings], locate: (i) => unlocated(i, fromOption) };
}

/** Settings that only the gateway process runs: removed, each with a warning. */
function gatewayOnly(data: Record<string, unknown>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const drop = (parent: unknown, key: string, path: ConfigPath, what: string) => {
    if (!isMapping(parent) || parent[key] === undefined) return;
    delete parent[key];
    out.push({ path, message: `${what} runs only in the gateway (portcullis start); inside an app it is ignored`, severity: 'warning' });
  };
  drop(data, 'admin', ['admin'], 'the admin API');
  drop(data.audit, 'file', ['audit', 'file'], 'the audit trail file (use the audit option for your own sink)');
  drop(data.alerts, 'webhook', ['alerts', 'webhook'], 'alert delivery');
  drop(data.tracing, 'otlpEndpoint', ['tracing', 'otlpEndpoint'], 'tracing');
  return out;
}

/** An issue without the line and column of the JSON text it was found in, paths as the user wrote them. */
function unlocated(issue: ConfigIssue, trustedFromOption: boolean): ConfigIssue {
  const path = trustedFromOption && startsWith(issue.path, ['server', 'trustedProxies']) ? issue.path.slice(1) : issue.path;
  return { path, message: issue.message, severity: issue.severity };
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.every((segment, i) => path[i] === segment);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
