/**
 * The policy contract. A policy is one defence in one folder: a name (= folder = YAML key = error
 * code prefix), the phase it runs in, a TypeBox schema of its config (the TypeScript type is
 * inferred from it), its error codes, and compile(), which parses config once and returns the
 * per-request handlers.
 */
import type { Static, TObject } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { RequestContext } from './context.js';
import type { Denial, DenialOptions } from './problem.js';
import type { ErrorSpec } from './errors.js';
import type { Principal } from './principal.js';
import type { OutboundClient } from './outbound.js';
import type { ConfigPath } from './config-error.js';
import type { ApiOperation } from './operation.js';
import type { JsonLimits } from './strict-json.js';

/**
 * Phases, in the order a request meets them. Named phases, never numeric priorities.
 */
export const PHASES = ['connection', 'request', 'authenticate', 'limit', 'authorize', 'validate', 'response', 'log'] as const;

/** One of {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** What a request handler returns: nothing to continue, a Denial to refuse, or a Promise of either. */
export type HandlerResult = void | Denial | Promise<void | Denial>;

/** A per-request check. Synchronous handlers cost no microtask. */
export type RequestHandler = (ctx: RequestContext) => HandlerResult;

/**
 * The upstream response's headers as the gateway will send them, flat (name, value, …; names
 * lower case). Response handlers edit this list in place.
 */
export interface ResponseHead {
  /** Upstream status code. */
  status: number;
  /** Flat header list, lower-case names. */
  readonly headers: string[];
}

/** A response-phase hook: synchronous edits of the upstream response's head. */
export type ResponseHandler = (ctx: RequestContext, head: ResponseHead) => void;

/**
 * The upstream response body as response-body hooks see it: parsed when it is JSON. A hook that
 * changes `value` sets `changed` (or calls replace), and the proxy re-serialises once.
 */
export interface ResponseBody {
  /** True when the upstream sent a JSON content type and the body parsed. */
  readonly isJson: boolean;
  /** The parsed body (undefined unless isJson). */
  value: unknown;
  /** The bytes as received. */
  readonly raw: Buffer;
  /** Set when `value` was modified and must be re-serialised. */
  changed: boolean;
}

/** A hook over the whole upstream response body: edit it, or refuse the response. */
export type ResponseBodyHandler = (ctx: RequestContext, head: ResponseHead, body: ResponseBody) => void | Denial;

/** Headers a policy adds to or removes from every response of a route, computed once. */
export interface StaticResponseHeaders {
  /** Added to every response (upstream or denial), replacing an upstream header of the same name. */
  readonly set?: ReadonlyArray<readonly [string, string]>;
  /** Removed from upstream responses (lower-case names). */
  readonly remove?: readonly string[];
}

/**
 * What an authentication method concluded about a request: no credential of its kind
 * (undefined: the next method is tried), an identified principal, or a refusal with the exact
 * reason for logs and audit (never sent to the client).
 */
export type AuthOutcome = undefined | { readonly principal: Principal } | AuthFailure;

/** A refused credential. */
export interface AuthFailure {
  /** Why, precisely (`token_expired`, `bad_signature`, `key_revoked` …): logs and audit only. */
  readonly reason: string;
  /** What the client gets (401 invalid_token, 503 unavailable …). */
  readonly denial: Denial;
}

/** What compile() returns: the handlers this policy runs on each request. */
export interface CompiledPolicy {
  /** Runs in the policy's phase before the request is forwarded. */
  readonly onRequest?: RequestHandler;
  /** Runs on the upstream response head before it is sent. */
  readonly onResponse?: ResponseHandler;
  /**
   * Runs on the whole upstream response body (the proxy buffers it, bounded by the upstream's
   * maxResponseBytes). Only routes with such a hook pay for buffering and parsing.
   */
  readonly onResponseBody?: ResponseBodyHandler;
  /** The policy reads the request body: `json` parses it into ctx.body before this policy's onRequest. */
  readonly requestBody?: 'json';
  /** Tighter bounds for the JSON body parser on this route (the strictest of the route's policies wins). */
  readonly jsonLimits?: Partial<JsonLimits>;
  /** Runs when the request has ended (log phase), whatever the outcome. Must not throw. */
  readonly onEnd?: (ctx: RequestContext) => void;
  /** Response headers fixed at compile time (precomputed, no per-request work). */
  readonly responseHeaders?: StaticResponseHeaders;
  /**
   * For authenticate-phase policies: examine the request's credential. The compiler combines the
   * methods of a route into one step: the first method that finds its credential decides.
   */
  readonly authenticate?: (ctx: RequestContext) => AuthOutcome | Promise<AuthOutcome>;
  /**
   * Request headers that carry this policy's credentials (lower case): always redacted in logs,
   * and removed before forwarding unless `forwardCredentialHeaders` says otherwise.
   */
  readonly credentialHeaders?: readonly string[];
  /**
   * For authorize-phase policies: false when this instance decides nothing (rbac's role table in
   * the defaults without a requirement), so `check` still flags routes no rule guards.
   */
  readonly decides?: boolean;
  /** Request headers (lower case) never forwarded from the client: the policy sets them itself. */
  readonly stripRequestHeaders?: readonly string[];
  /** Lower-case name prefixes (`x-internal-`) of client request headers never forwarded. */
  readonly stripRequestHeaderPrefixes?: readonly string[];
  /** Forward the credential headers to the upstream (a bearer token the upstream checks too). Default false. */
  readonly forwardCredentialHeaders?: boolean;
  /**
   * The policy answers CORS preflights (OPTIONS with Access-Control-Request-Method) itself: the
   * router sends a preflight for any method of the route here, even when the route does not list
   * OPTIONS, and the policy must answer it (never let it through to the upstream).
   */
  readonly answersPreflight?: boolean;
  /** For authenticate-phase policies: the WWW-Authenticate challenge sent when no credential came (`Bearer realm="api"`). */
  readonly challenge?: string;
  /**
   * Called once before the gateway starts listening, never by `check` (the first JWKS fetch, for
   * example). A rejection is logged and the policy fails closed until it recovers.
   */
  readonly ready?: () => Promise<void>;
  /** Releases resources (timers, connections) when the config is replaced or the gateway stops. */
  readonly close?: () => void | Promise<void>;
  /**
   * The health of what this policy depends on (a JWKS, a store), for /readyz and metrics.
   * Synchronous and cheap: it reports state the policy already keeps.
   */
  readonly health?: () => ReadonlyArray<ComponentHealth>;
}

/** One dependency's health. */
export interface ComponentHealth {
  /** What it is (`jwks https://idp.example.com/jwks`, `rate-limit store redis`); never a secret. */
  readonly component: string;
  /** Whether it works now. */
  readonly up: boolean;
}

/** What compile() may use besides its config. */
export interface CompileEnv {
  /** Builds a denial for one of this policy's own error codes (the local part, without the prefix). */
  deny(localCode: string, options?: DenialOptions): Denial;
  /** The gateway's logger, for load-time warnings (never on the hot path for every request). */
  readonly logger: Logger;
  /** Where the route this instance guards sits in the config, for messages. */
  readonly routeName: string;
  /** The directory of the configuration file, for resolving relative file names. */
  readonly baseDir: string;
  /** The gateway's one client for its own outbound requests (JWKS, introspection …). */
  readonly outbound: OutboundClient;
  /** The OpenAPI operation this route was generated from, when it came from the document. */
  readonly operation?: ApiOperation;
  /** Reports a risky but valid setting (path relative to this policy's config); `check` prints it. */
  warn(path: ConfigPath, message: string): void;
  /**
   * Records a security decision in the audit trail (authorization allow/deny with the rule that
   * decided, …). Cheap; never throws; never pass secrets.
   */
  audit(ctx: RequestContext, event: PolicyAuditEvent): void;
}

/** A decision a policy records with {@link CompileEnv.audit}. */
export interface PolicyAuditEvent {
  /** What kind of decision: `authorization`, … */
  readonly type: string;
  /** allow (success) or deny (failure). */
  readonly outcome: 'success' | 'failure';
  /** The rule that decided (`rbac: requires delete`, `object-level: owner binding`). */
  readonly rule: string;
  /** Why, precisely, when it failed. */
  readonly reason?: string;
}

/** A policy definition, as passed to {@link definePolicy}. */
export interface PolicyDefinition<S extends TObject> {
  /** Folder name = YAML key = error-code prefix. Lower-case kebab. */
  readonly name: string;
  /** When it runs. */
  readonly phase: Phase;
  /** One sentence for docs and the generated JSON Schema. */
  readonly description: string;
  /** TypeBox schema of the config; every field described and defaulted. */
  readonly schema: S;
  /** The codes this policy refuses with, without the `name.` prefix. */
  readonly errors: Readonly<Record<string, ErrorSpec>>;
  /**
   * A route's config for this policy is shallow-merged over the defaults' instead of replacing it
   * (rbac: the role table once in the defaults, `require` per route).
   */
  readonly mergeWithDefaults?: boolean;
  /**
   * Compiled for every route even when configured once in the defaults, because compile() reads
   * the route (its OpenAPI operation); otherwise one compiled instance is shared.
   */
  readonly perRoute?: boolean;
  /** Parses config once; throws ConfigError (path relative to this policy's config) on bad input. */
  compile(config: Static<S>, env: CompileEnv): CompiledPolicy;
}

/** A registered policy (the definition, checked). */
export type Policy<S extends TObject = TObject> = Readonly<PolicyDefinition<S>>;

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const LOCAL_CODE = /^[a-z][a-z0-9_]*$/;

/**
 * Declares a policy. Checks its shape once, so a malformed policy fails when the registry is
 * built, not on traffic.
 *
 * @example
 * ```ts
 * export default definePolicy({
 *   name: 'deny-all',
 *   phase: 'request',
 *   description: 'Refuses every request.',
 *   schema: Type.Object({}, { additionalProperties: false }),
 *   errors: { denied: { status: 403, title: 'Forbidden', description: 'Always.' } },
 *   compile(_config, env) {
 *     const denied = env.deny('denied');
 *     return { onRequest: () => denied };
 *   },
 * });
 * ```
 */
export function definePolicy<S extends TObject>(definition: PolicyDefinition<S>): Policy<S> {
  if (!NAME.test(definition.name)) throw new TypeError(`policy name '${definition.name}' must be lower-case kebab (a-z, 0-9, -)`);
  if (!(PHASES as readonly string[]).includes(definition.phase)) throw new TypeError(`policy ${definition.name}: unknown phase '${definition.phase}'`);
  if (typeof definition.compile !== 'function') throw new TypeError(`policy ${definition.name}: compile must be a function`);
  for (const code of Object.keys(definition.errors)) {
    if (!LOCAL_CODE.test(code)) throw new TypeError(`policy ${definition.name}: error code '${code}' must be lower-case snake`);
  }
  return Object.freeze({ ...definition });
}
