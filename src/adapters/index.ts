/**
 * Portcullis inside an app: build the guard from a config with {@link portcullis}, then mount it
 * with the adapter of your framework. Frameworks are imported for their types only.
 */
export { portcullis, type Portcullis, type PortcullisOptions, type RouteSummary } from './portcullis.js';
export type { PortcullisConfig, PortcullisRoute, PortcullisOperationSettings, PolicySettings, PolicyInput, BuiltinPolicyConfigs, HttpMethod } from './config.js';
export type { Unmatched } from './engine.js';
export { sendDenial, type GuardedRequest, type PortcullisContext, type RunResult } from './raw.js';
export { expressMiddleware, expressErrorHandler, type ExpressMiddleware, type ExpressErrorMiddleware } from './express.js';
export { fastifyPlugin, replyDenial } from './fastify.js';
export { nodeHttpHandler, type GuardedHandler, type NodeRequestListener } from './node-http.js';
export {
  authorizeObject, assertObjectAccess, compileObjectRule, ObjectAccessError, ObjectRuleSchema,
  type ObjectRule, type ObjectRuleConfig, type ObjectDecision, type ObjectCheck, type ObjectRefusal,
} from './authorize-object.js';
