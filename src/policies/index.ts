/**
 * The policies that ship with Portcullis. The config compiler builds its registry, the config
 * schema and the error catalogue from this list; an explicit list, not a directory scan, so what
 * runs is what was imported.
 */
import ipFilter from './ip-filter/index.js';
import sizeLimit from './size-limit/index.js';
import cors from './cors/index.js';
import securityHeaders from './security-headers/index.js';
import jwt from './jwt/index.js';
import apiKey from './api-key/index.js';
import introspection from './introspection/index.js';
import rateLimit from './rate-limit/index.js';
import rbac from './rbac/index.js';
import abac from './abac/index.js';
import objectLevel from './object-level/index.js';
import propertyLevel from './property-level/index.js';
import transform from './transform/index.js';
import openapi from './openapi/index.js';
import ssrf from './ssrf/index.js';
import waf from './waf/index.js';
import type { Policy } from '../core/policy.js';

export { ipFilter, sizeLimit, cors, securityHeaders, apiKey, jwt, introspection, rateLimit, rbac, abac, objectLevel, propertyLevel, transform, openapi, waf, ssrf };
export { IpFilterSchema, type IpFilterConfig } from './ip-filter/index.js';
export { SizeLimitSchema, type SizeLimitConfig } from './size-limit/index.js';
export { CorsSchema, type CorsConfig } from './cors/index.js';
export { SecurityHeadersSchema, type SecurityHeadersConfig } from './security-headers/index.js';
export { JwtSchema, type JwtConfig } from './jwt/index.js';
export { ApiKeySchema, type ApiKeyConfig } from './api-key/index.js';
export { IntrospectionSchema, type IntrospectionConfig } from './introspection/index.js';
export { RateLimitSchema, type RateLimitConfig } from './rate-limit/index.js';
export { RbacSchema, type RbacConfig } from './rbac/index.js';
export { AbacSchema, type AbacConfig } from './abac/index.js';
export { ObjectLevelSchema, type ObjectLevelConfig } from './object-level/index.js';
export { PropertyLevelSchema, type PropertyLevelConfig } from './property-level/index.js';
export { TransformSchema, type TransformConfig } from './transform/index.js';
export { OpenApiSchema, type OpenApiConfig } from './openapi/index.js';
export { SsrfSchema, type SsrfConfig } from './ssrf/index.js';
export { WafSchema, type WafConfig } from './waf/index.js';

/**
 * Every built-in policy.
 *
 * @example
 * ```ts
 * const schema = buildConfigSchema(builtinPolicies);
 * const catalogue = createCatalogue(builtinPolicies);
 * ```
 */
export const builtinPolicies: readonly Policy[] = [ipFilter, cors, sizeLimit, securityHeaders, apiKey, introspection, jwt, rateLimit, rbac, objectLevel, abac, propertyLevel, openapi, waf, ssrf, transform];
