/**
 * The configuration file's schema, assembled from the gateway's own sections and every registered
 * policy's schema. The TypeScript type of a loaded config is inferred from it; the JSON Schema for
 * editors (docs/portcullis.schema.json) is generated from it.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { bytes, durationMs, headerName, httpUrl, ipOrCidr, port, strictObject, stringEnum } from '../core/schema-types.js';
import type { Policy } from '../core/policy.js';

const HttpsListener = strictObject({
  host: Type.String({ description: 'Address to listen on.', default: '0.0.0.0', minLength: 1 }),
  port: port({ description: 'TCP port of the HTTPS listener.', default: 8443 }),
  cert: Type.String({ description: 'PEM file with the server certificate (and chain), relative to the config file.', minLength: 1 }),
  key: Type.String({ description: 'PEM file with the private key, relative to the config file.', minLength: 1 }),
  minVersion: stringEnum(['TLSv1.2', 'TLSv1.3'] as const, { description: 'Lowest TLS version accepted; 1.0 and 1.1 are never offered.', default: 'TLSv1.2' }),
}, { description: 'The HTTPS listener.' });

const HttpListener = strictObject({
  host: Type.String({ description: 'Address to listen on.', default: '0.0.0.0', minLength: 1 }),
  port: port({ description: 'TCP port of the plain-HTTP listener.', default: 8080 }),
  redirect: Type.Boolean({ description: 'Only answer 308 redirects to HTTPS (the default). false serves traffic over plain HTTP: only behind a TLS-terminating load balancer or for benchmarks; `check` warns.', default: true }),
  redirectPort: Type.Optional(port({ description: 'Port in the redirect target; defaults to the HTTPS listener\'s port.' })),
}, { description: 'An optional plain-HTTP listener.' });

const Server = strictObject({
  https: Type.Optional(HttpsListener),
  http: Type.Optional(HttpListener),
  headersTimeoutMs: durationMs({ description: 'Time a client has to send the request line and headers (slowloris defence).', default: 10_000 }),
  requestTimeoutMs: durationMs({ description: 'Time a client has to send the whole request, body included.', default: 30_000 }),
  keepAliveTimeoutMs: durationMs({ description: 'How long an idle client connection is kept open.', default: 5_000 }),
  maxHeaderSize: bytes({ description: 'Largest request line plus headers, in bytes; larger requests get 431.', default: 16_384, minimum: 1024, maximum: 1_048_576 }),
  maxHeadersCount: Type.Integer({ description: 'Most request headers accepted; more get 431.', default: 100, minimum: 8, maximum: 2000 }),
  trustedProxies: Type.Array(ipOrCidr({ description: 'An address or CIDR of a proxy in front of the gateway.' }), { description: 'Peers whose X-Forwarded-For is believed. The client IP is the rightmost address that is not a trusted proxy.', default: [], maxItems: 1000 }),
  shutdownTimeoutMs: durationMs({ description: 'On SIGTERM, how long in-flight requests may take before connections are closed.', default: 10_000 }),
}, { description: 'Listeners and limits of the gateway\'s HTTP server.', default: {} });

const Upstream = strictObject({
  url: httpUrl({ description: 'Base URL of the upstream (scheme, host, port, optional base path).' }),
  connections: Type.Integer({ description: 'Most keep-alive connections to this upstream.', default: 128, minimum: 1, maximum: 10_000 }),
  connectTimeoutMs: durationMs({ description: 'Time to establish a connection; exceeded → 504.', default: 5_000 }),
  responseTimeoutMs: durationMs({ description: 'Time from sending the request to receiving the response headers; exceeded → 504.', default: 30_000 }),
  bodyTimeoutMs: durationMs({ description: 'Longest pause between two chunks of the response body; exceeded → connection cut.', default: 30_000 }),
  maxResponseBytes: bytes({ description: 'Largest response body buffered on routes whose policies inspect responses (object-level checks, property filtering); larger → 502, nothing sent.', default: 10_485_760, minimum: 1024 }),
  keepAliveTimeoutMs: durationMs({ description: 'How long an idle upstream connection is kept.', default: 4_000 }),
  preserveHost: Type.Boolean({ description: 'Send the client\'s Host header upstream instead of the upstream URL\'s host.', default: false }),
}, { description: 'A service the gateway forwards to.' });

const Proxy = strictObject({
  stripRequestHeaders: Type.Array(headerName({ description: 'A header name.' }), { description: 'Headers removed from requests before forwarding (internal headers a client must not set).', default: [], maxItems: 200 }),
  stripResponseHeaders: Type.Array(headerName({ description: 'A header name.' }), { description: 'Headers removed from upstream responses.', default: [], maxItems: 200 }),
}, { description: 'Forwarding behaviour for every route.', default: {} });

const Outbound = strictObject({
  timeoutMs: durationMs({ description: 'Deadline of each request the gateway makes itself (JWKS, introspection …), connect to last byte.', default: 5_000 }),
  maxResponseBytes: bytes({ description: 'Largest response body the gateway accepts for its own requests.', default: 1_048_576, minimum: 1024 }),
  allow: Type.Array(httpUrl({ description: 'An origin, e.g. http://localhost:9000.' }), { description: 'Origins exempt from the https-only and public-address rules of the gateway\'s own requests (a local identity provider). Every other outbound request must be https to a public address.', default: [], maxItems: 100 }),
}, { description: 'The gateway\'s own outbound requests (JWKS, OIDC discovery, token introspection).', default: {} });

const Log = strictObject({
  level: stringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { description: 'Lowest level written.', default: 'info' }),
  access: Type.Boolean({ description: 'One JSON line per request.', default: true }),
  includeHeaders: Type.Boolean({ description: 'Add the request headers (redacted) to access-log lines.', default: false }),
  redactHeaders: Type.Array(headerName({ description: 'A header name.' }), { description: 'Headers redacted in logs besides Authorization, Cookie, Set-Cookie, X-API-Key and Proxy-Authorization (always redacted).', default: [], maxItems: 200 }),
}, { description: 'Structured logs (JSON lines on stdout).', default: {} });

/** Methods a route may list. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const METHOD = stringEnum(HTTP_METHODS, { description: 'An HTTP method.' });

/**
 * Builds the whole schema for a set of policies: `policies` objects accept exactly the registered
 * policy names, each validated by its own schema, or `false` to switch a default off. Mode
 * `document` is the JSON Schema for editors; `load` leaves policy configs to their own validators.
 *
 * @example
 * ```ts
 * const schema = buildConfigSchema(builtinPolicies);
 * ajv.compile(schema);
 * ```
 */
export function buildConfigSchema(policies: readonly Policy[], mode: 'document' | 'load' = 'document') {
  const policyProps: Record<string, TSchema> = {};
  for (const p of policies) {
    // When loading, each policy's config is validated by its own validator afterwards (Ajv does
    // not apply defaults inside anyOf, and per-policy errors read better); here it is only typed.
    policyProps[p.name] = mode === 'document'
      ? Type.Optional(Type.Union([p.schema, Type.Literal(false)], { description: `${p.description} (false: off for this scope)` }))
      : Type.Optional(Type.Unknown({ description: p.description }));
  }
  const Policies = Type.Object(policyProps, { additionalProperties: false, description: 'Policies by name, each with its config.', default: {} });
  const Route = strictObject({
    name: Type.Optional(Type.String({ description: 'A name for logs; defaults to "METHODS path".', minLength: 1, maxLength: 200 })),
    path: Type.String({ description: 'Path template: literal segments, {param} segments, and an optional trailing /* wildcard.', pattern: '^/', minLength: 1, maxLength: 2048 }),
    methods: Type.Array(METHOD, { description: 'Methods this route takes; any other method gets 405.', minItems: 1, uniqueItems: true }),
    upstream: Type.String({ description: 'Name of an entry under `upstreams`.', minLength: 1 }),
    public: Type.Boolean({ description: 'Serve this route without authentication. Every route must either have an authentication method (api-key, jwt, introspection, here or in the defaults) or say public: true; a credential that is sent anyway is still checked.', default: false }),
    policies: Policies,
  }, { description: 'A route: method + path template → upstream, guarded by policies.' });
  return strictObject({
    $schema: Type.Optional(Type.String({ description: 'JSON Schema of this file, for editors.' })),
    server: Server,
    upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), Upstream, { description: 'Named upstream services.', additionalProperties: false }),
    proxy: Proxy,
    outbound: Outbound,
    log: Log,
    defaults: strictObject({ policies: Policies }, { description: 'Policies applied to every route; a route\'s own settings for a policy replace these.', default: {} }),
    routes: Type.Array(Route, { description: 'The routes; anything not matched is 404.', minItems: 1, maxItems: 10_000 }),
  }, { description: 'Portcullis gateway configuration.' });
}

/** The type of a loaded config with a given set of policies (policy configs are `unknown` here; each policy types its own). */
export type GatewayConfig = Static<ReturnType<typeof buildConfigSchema>> & {
  readonly defaults: { readonly policies: Readonly<Record<string, unknown>> };
  readonly routes: ReadonlyArray<Static<ReturnType<typeof buildConfigSchema>>['routes'][number] & { readonly policies: Readonly<Record<string, unknown>> }>;
};

/** Helper type: config of one policy. */
export type PolicyConfig<P> = P extends Policy<infer S extends TObject> ? Static<S> : never;
