/**
 * The Portcullis package: the gateway's policies inside an Express, Fastify or node:http app
 * (`portcullis(config)` and the adapters), the policy contract to write your own
 * (`definePolicy`), and the types. Importing it has no side effects: nothing listens, connects
 * or reads a file until `portcullis()` is called. The gateway itself is the `portcullis` CLI.
 */
export * from './adapters/index.js';
export { definePolicy, PHASES } from './core/policy.js';
export type {
  Policy, PolicyDefinition, CompiledPolicy, CompileEnv, Phase, RequestHandler, HandlerResult, ResponseHandler,
  ResponseBodyHandler, ResponseHead, ResponseBody, AuthOutcome, AuthFailure, PolicyAuditEvent, ComponentHealth,
} from './core/policy.js';
export type { Principal } from './core/principal.js';
export type { Denial, DenialOptions, Violation } from './core/problem.js';
export type { ErrorSpec } from './core/errors.js';
export type { RequestContext } from './core/context.js';
export { ConfigError, formatPath, type ConfigIssue, type ConfigPath } from './core/config-error.js';
export { CHANNELS, type DecisionMessage, type AuditMessage, type RequestEndMessage, type InternalErrorMessage, type ValidationMessage } from './core/channels.js';
