/**
 * Config of the cors policy: which browser origins may read a route's responses, with which
 * methods, request headers and credentials, and how long a browser may cache a preflight.
 * `{}` is a complete config that lets no origin in (every preflight is refused).
 */
import { Type, type Static } from '@sinclair/typebox';
import { headerName, strictObject, stringEnum } from '../../core/schema-types.js';

/** Methods a cross-origin request may use (OPTIONS is the preflight itself, never listed). */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Most entries of one list. */
export const MAX_LIST = 500;

/** Longest preflight cache a config may ask for: 24 h (Chromium caps it at 2 h, Firefox at 24 h). */
export const MAX_AGE_LIMIT = 86_400;

const headerOrStar = (description: string) => Type.Union([headerName({ description }), Type.Literal('*', { description: 'Any header (only without credentials).' })], { description });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(CorsSchema);
 * const config = { origins: ['https://app.example.com'] };
 * validate(config); // true; config.methods is now ['GET', 'HEAD', 'POST']
 * ```
 */
export const CorsSchema = strictObject({
  origins: Type.Array(Type.String({ description: 'An origin, scheme://host[:port] (`https://app.example.com`), or `*` alone for any origin (never with credentials).', minLength: 1, maxLength: 2048 }), {
    description: 'Origins allowed exactly. Normalised when loaded (lower-case host, default port removed) and compared with the Origin a browser sends byte for byte: an origin that differs in scheme, host or port is not allowed. An unlisted Origin is never reflected.',
    default: [],
    maxItems: MAX_LIST,
    uniqueItems: true,
  }),
  originPatterns: Type.Array(Type.String({ description: 'scheme://*.domain[:port] (`https://*.example.com`): any subdomain (one or more labels) of that domain, with exactly that scheme and port; never the domain itself, never a host that merely starts or ends with the same text.', minLength: 1, maxLength: 512 }), {
    description: 'Origins allowed by subdomain. Anchored: `https://*.example.com` matches `https://a.example.com` but not `https://example.com`, `https://a.example.com.evil.io`, `https://evilexample.com`, `http://a.example.com` or `https://a.example.com:8443`.',
    default: [],
    maxItems: MAX_LIST,
    uniqueItems: true,
  }),
  allowNull: Type.Boolean({ description: 'Allow the opaque `null` origin (sandboxed iframes, data: and file: URLs). Any site can make a request with Origin: null, so this lets every site in.', default: false }),
  methods: Type.Array(stringEnum(CORS_METHODS, { description: 'A method.' }), {
    description: 'Methods a preflight may ask for (Access-Control-Allow-Methods). Compared case-sensitively, as the Fetch standard does.',
    default: ['GET', 'HEAD', 'POST'],
    minItems: 1,
    uniqueItems: true,
  }),
  allowedHeaders: Type.Array(headerOrStar('A request header name a cross-origin request may send (case-insensitive), or `*`.'), {
    description: 'Request headers a preflight may ask for (Access-Control-Allow-Headers). `*` allows any header except Authorization, which the Fetch standard requires to be listed by name, and is refused with credentials. CORS-safelisted headers need no entry, but Content-Type with a JSON value does.',
    default: [],
    maxItems: MAX_LIST,
    uniqueItems: true,
  }),
  exposedHeaders: Type.Array(headerOrStar('A response header name scripts may read, or `*` (only without credentials).'), {
    description: 'Response headers beyond the CORS-safelisted ones that the page\'s script may read (Access-Control-Expose-Headers).',
    default: [],
    maxItems: MAX_LIST,
    uniqueItems: true,
  }),
  credentials: Type.Boolean({ description: 'Let browsers send cookies and HTTP authentication with cross-origin requests and expose the answers to the page (Access-Control-Allow-Credentials: true). Refused together with origins `*`, allowedHeaders `*` or exposedHeaders `*`.', default: false }),
  maxAgeSec: Type.Integer({ description: 'How long a browser may cache a preflight answer (Access-Control-Max-Age); Chromium caps it at 7200. 0: ask every time.', minimum: 0, maximum: MAX_AGE_LIMIT, default: 600 }),
}, { description: 'Answers CORS preflights at the gateway, before authentication and without forwarding them, and marks the answers of allowed origins so that browsers let their pages read them. Runs in the request phase; a request from an origin not allowed still reaches the upstream (CORS is enforced by browsers), it only gets no CORS headers.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: CorsConfig = { origins: ['https://app.example.com'], originPatterns: [], allowNull: false, methods: ['GET'], allowedHeaders: [], exposedHeaders: [], credentials: true, maxAgeSec: 600 };
 * ```
 */
export type CorsConfig = Static<typeof CorsSchema>;
