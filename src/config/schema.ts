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
  timeoutMs: durationMs({ description: 'Deadline of each request the gateway makes itself (JWKS, introspection …): DNS resolution, connection, every redirect hop and the last byte.', default: 5_000 }),
  maxResponseBytes: bytes({ description: 'Largest response body the gateway accepts for its own requests.', default: 1_048_576, minimum: 1024 }),
  allow: Type.Array(httpUrl({ description: 'An origin, e.g. http://localhost:9000.' }), { description: 'Origins (exact scheme, host and port) exempt from the scheme, port and public-address rules of the gateway\'s own requests: deliberate internal targets such as a local identity provider. Every other outbound request must pass those rules.', default: [], maxItems: 100 }),
  schemes: Type.Array(stringEnum(['https', 'http'] as const, { description: 'A URL scheme.' }), { description: 'Schemes the gateway\'s own requests may use (origins in `allow` excepted). Default https only.', default: ['https'], minItems: 1, uniqueItems: true }),
  ports: Type.Array(Type.Integer({ description: 'A TCP port.', minimum: 1, maximum: 65535 }), { description: 'Ports the gateway\'s own requests may connect to (a URL without a port uses its scheme\'s default). Origins in `allow` excepted. Default 443 only.', default: [443], minItems: 1, maxItems: 100, uniqueItems: true }),
  redirects: Type.Integer({ description: 'Redirects the gateway follows on its own requests. 0 (the default) returns a 3xx as it is; above 0, each hop\'s Location is checked exactly like the first URL (scheme, port, every resolved address), 303 becomes GET, and credentials headers are dropped when a hop leaves the origin.', default: 0, minimum: 0, maximum: 5 }),
}, { description: 'The gateway\'s own outbound requests (JWKS, OIDC discovery, token introspection, lookups) and the SSRF rules they obey: every host name resolved once, every address checked (loopback, private, link-local and cloud metadata, CGNAT, multicast, reserved and the IPv6 equivalents are refused), the connection pinned to the checked addresses.', default: {} });

const Log = strictObject({
  level: stringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { description: 'Lowest level written.', default: 'info' }),
  access: Type.Boolean({ description: 'One JSON line per request.', default: true }),
  includeHeaders: Type.Boolean({ description: 'Add the request headers (redacted) to access-log lines.', default: false }),
  redactHeaders: Type.Array(headerName({ description: 'A header name.' }), { description: 'Headers redacted in logs besides Authorization, Cookie, Set-Cookie, X-API-Key and Proxy-Authorization (always redacted).', default: [], maxItems: 200 }),
}, { description: 'Structured logs (JSON lines on stdout).', default: {} });

const Audit = strictObject({
  file: Type.Optional(Type.String({ description: 'Append-only audit trail: one hash-chained JSON line per security decision (authentication, authorization, rate-limit and WAF refusals, admin actions, reloads), relative to this file. Verify it with `portcullis audit-log verify`.', minLength: 1, maxLength: 4096 })),
  log: Type.Boolean({ description: 'Also write every audit record as a JSON log line (`event: audit`) on stdout, for a SIEM.', default: true }),
  maxFileBytes: bytes({ description: 'Rotate the trail file when it would grow past this size.', default: 104_857_600, minimum: 4096 }),
  keepFiles: Type.Integer({ description: 'Rotated trail files kept (file.1 … file.N).', default: 10, minimum: 0, maximum: 1000 }),
  maxQueue: Type.Integer({ description: 'Records waiting to be written (a slow or full disk); beyond it records are dropped, counted, and a gap record says how many.', default: 10_000, minimum: 100, maximum: 1_000_000 }),
  keyEnv: Type.Optional(Type.String({ description: 'Environment variable holding an HMAC key for the chain, so someone who can write the file cannot forge a valid chain. Never put the key itself in this file.', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' })),
}, { description: 'The audit trail: who did what to which resource, when, from where, and the decision with the rule that made it. Never a secret.', default: {} });

const Admin = strictObject({
  host: Type.String({ description: 'Address of the admin listener; loopback by default. Expose it beyond the host only behind a firewall.', default: '127.0.0.1', minLength: 1 }),
  port: port({ description: 'TCP port of the admin listener (0: any free port).', default: 9901 }),
  tokenSha256: Type.Optional(Type.String({ description: 'SHA-256 (hex) of the admin token: the API beyond /healthz, /readyz and /metrics needs `Authorization: Bearer <token>`. Without a token setting every such call is refused.', pattern: '^[0-9a-f]{64}$' })),
  tokenEnv: Type.Optional(Type.String({ description: 'Environment variable holding the admin token (at least 16 characters), instead of tokenSha256.', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' })),
  keysFile: Type.Optional(Type.String({ description: 'The api-key keysFile (relative to this file) the admin API manages: list, create, rotate, revoke. Changes are applied by a reload.', minLength: 1, maxLength: 4096 })),
}, { description: 'The admin API on its own listener: /healthz, /readyz, /metrics, and with the admin token the running config (redacted), API keys, alerts and reload.' });

const AlertRuleSchema = strictObject({
  name: Type.String({ description: 'Name of the rule, in alerts and logs.', pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  kind: stringEnum(['status', 'enumeration'] as const, { description: '`status`: count responses with one of `statuses`. `enumeration`: count distinct object ids (route parameters) answered 403 or 404 — one principal probing ids (BOLA).', default: 'status' }),
  statuses: Type.Array(Type.Integer({ minimum: 100, maximum: 599, description: 'An HTTP status.' }), { description: 'Statuses counted by a status rule.', default: [401], minItems: 1, maxItems: 20, uniqueItems: true }),
  per: stringEnum(['ip', 'principal', 'route'] as const, { description: 'Counted per client IP, per principal, or per route template.', default: 'ip' }),
  threshold: Type.Integer({ description: 'The alert opens when the count in the window exceeds this.', default: 20, minimum: 1, maximum: 1_000_000 }),
  windowSec: Type.Integer({ description: 'Sliding window, seconds.', default: 60, minimum: 1, maximum: 86_400 }),
}, { description: 'An alert rule over a sliding window of finished requests.' });

const DEFAULT_ALERT_RULES = [
  { name: 'authentication-failures', kind: 'status', statuses: [401], per: 'ip', threshold: 20, windowSec: 60 },
  { name: 'authorization-refusals', kind: 'status', statuses: [403], per: 'principal', threshold: 20, windowSec: 60 },
  { name: 'rate-limit-spike', kind: 'status', statuses: [429], per: 'route', threshold: 100, windowSec: 60 },
  { name: 'object-enumeration', kind: 'enumeration', statuses: [403, 404], per: 'principal', threshold: 20, windowSec: 300 },
];

const Alerts = strictObject({
  rules: Type.Array(AlertRuleSchema, { description: 'Alert rules; the defaults watch 401s per IP, 403s per principal, 429 spikes per route and object-id enumeration per principal. [] switches alerting off.', default: DEFAULT_ALERT_RULES, maxItems: 100 }),
  webhook: Type.Optional(strictObject({
    url: httpUrl({ description: 'Where alert events are POSTed (through the SSRF-guarded outbound client: https to a public address unless listed in outbound.allow).' }),
    secretEnv: Type.String({ description: 'Environment variable holding the HMAC key that signs each event (X-Portcullis-Signature: sha256=<hex> over `<timestamp>.<body>`).', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }),
    retries: Type.Integer({ description: 'Retries after a failed delivery, with exponential backoff.', default: 3, minimum: 0, maximum: 10 }),
    backoffMs: durationMs({ description: 'First retry delay; doubled each retry.', default: 1000 }),
    timeoutMs: durationMs({ description: 'Deadline of one delivery.', default: 5000 }),
  }, { description: 'Send alert events to a webhook, signed.' })),
}, { description: 'Alerts: rules over sliding windows; an alert is a log line, an audit record and optionally a signed webhook, de-duplicated while the attack lasts.', default: {} });

const Tracing = strictObject({
  otlpEndpoint: Type.Optional(httpUrl({ description: 'OTLP/HTTP endpoint (base URL; spans go to <endpoint>/v1/traces as JSON) through the outbound client. Absent: tracing off, at no cost.' })),
  serviceName: Type.String({ description: 'service.name of the spans.', default: 'portcullis', minLength: 1, maxLength: 100 }),
  sampleRatio: Type.Number({ description: 'Share of new traces recorded (0 to 1); a caller\'s sampled traceparent is always followed.', default: 1, minimum: 0, maximum: 1 }),
}, { description: 'OpenTelemetry traces: a span per request, per policy step and for the upstream call, W3C trace context propagated.', default: {} });

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
  const OperationSettings = strictObject({
    match: strictObject({
      operationId: Type.Optional(Type.String({ description: 'The operation with this operationId.', minLength: 1, maxLength: 200 })),
      tag: Type.Optional(Type.String({ description: 'Operations carrying this tag.', minLength: 1, maxLength: 200 })),
      pathPrefix: Type.Optional(Type.String({ description: 'Operations whose path starts with this prefix (`/api/v1/reports`).', pattern: '^/', minLength: 1, maxLength: 2048 })),
      methods: Type.Optional(Type.Array(METHOD, { description: 'Operations with one of these methods.', minItems: 1, uniqueItems: true })),
    }, { description: 'Which operations this entry applies to: every condition given must hold; an empty match applies to all.', default: {} }),
    upstream: Type.Optional(Type.String({ description: 'Name of an entry under `upstreams` for these operations (instead of openapi.upstream).', minLength: 1 })),
    public: Type.Optional(Type.Boolean({ description: 'Serve these operations without authentication (see routes[].public).' })),
    policies: Policies,
  }, { description: 'Settings for the operations an entry matches. Entries apply in order over the defaults; for each policy the last matching entry wins (rbac merges over the defaults as on routes).' });
  const OpenApi = strictObject({
    document: Type.String({ description: 'The OpenAPI 3.0 or 3.1 document (YAML or JSON; relative $refs to local files are followed), relative to this file. Its operations become routes; anything it does not describe answers 404.', minLength: 1, maxLength: 4096 }),
    upstream: Type.String({ description: 'Name of the upstream that serves the document\'s operations (entries of `operations` may name another).', minLength: 1 }),
    operations: Type.Array(OperationSettings, { description: 'Upstreams, publicity and policies per operation, tag or path prefix.', default: [], maxItems: 1000 }),
  }, { description: 'An OpenAPI document as the source of truth for routes and schemas: every operation is a route, validated by the openapi policy unless a scope turns it off.' });
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
    audit: Audit,
    admin: Type.Optional(Admin),
    alerts: Alerts,
    tracing: Tracing,
    defaults: strictObject({ policies: Policies }, { description: 'Policies applied to every route; a route\'s own settings for a policy replace these.', default: {} }),
    openapi: Type.Optional(OpenApi),
    routes: Type.Array(Route, { description: 'Routes written by hand (besides those of the OpenAPI document); anything not matched is 404.', default: [], maxItems: 10_000 }),
  }, { description: 'Portcullis gateway configuration.' });
}

/** The type of a loaded config with a given set of policies (policy configs are `unknown` here; each policy types its own). */
export type GatewayConfig = Static<ReturnType<typeof buildConfigSchema>> & {
  readonly defaults: { readonly policies: Readonly<Record<string, unknown>> };
  readonly routes: ReadonlyArray<Static<ReturnType<typeof buildConfigSchema>>['routes'][number] & { readonly policies: Readonly<Record<string, unknown>> }>;
};

/** Helper type: config of one policy. */
export type PolicyConfig<P> = P extends Policy<infer S extends TObject> ? Static<S> : never;
