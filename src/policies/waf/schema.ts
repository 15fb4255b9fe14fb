/**
 * Config of the waf policy: blocking or detect-only, the paranoia level, anomaly thresholds (in
 * total and per rule class), what parts of a request are inspected and within which bounds, and
 * exclusions (a rich-text field that may carry HTML, for instance).
 */
import { Type, type Static } from '@sinclair/typebox';
import { headerName, strictObject, stringEnum } from '../../core/schema-types.js';
import { RULE_CLASSES } from './detector.js';

/** Where an exclusion applies. */
export const EXCLUSION_LOCATIONS = ['path', 'query', 'body', 'header', 'cookie'] as const;

/** Headers inspected by default (as OWASP CRS does at paranoia level 1; cookies are separate). */
export const DEFAULT_INSPECTED_HEADERS = ['user-agent', 'referer'] as const;

function classSettings(what: string) {
  return strictObject({
    enabled: Type.Boolean({ description: `Run the ${what} detector. Default true.`, default: true }),
    threshold: Type.Optional(Type.Integer({
      description: `Refuse once the ${what} rules alone reach this anomaly score, even below the total threshold. Absent: only the total counts.`,
      minimum: 1,
      maximum: 1000,
    })),
  }, { description: `Settings of the ${what} rules.`, default: {} });
}

/**
 * Per rule class: switched on or off, and an optional threshold of its own.
 *
 * @example
 * ```yaml
 * classes: { ldapi: { enabled: false }, sqli: { threshold: 4 } }
 * ```
 */
export const WafClassesSchema = strictObject({
  sqli: Type.Optional(classSettings('SQL injection (sqli)')),
  xss: Type.Optional(classSettings('cross-site scripting (xss)')),
  'path-traversal': Type.Optional(classSettings('path traversal and file inclusion (path-traversal)')),
  cmdi: Type.Optional(classSettings('OS command injection (cmdi)')),
  ssti: Type.Optional(classSettings('server-side template injection (ssti)')),
  nosqli: Type.Optional(classSettings('NoSQL operator injection (nosqli)')),
  crlf: Type.Optional(classSettings('CRLF / header injection (crlf)')),
  ldapi: Type.Optional(classSettings('LDAP filter injection (ldapi)')),
}, { description: `Per rule class (${RULE_CLASSES.join(', ')}): enabled (default true) and an optional threshold of its own.`, default: {} });

/**
 * What is inspected, and the bounds that keep inspection cheap under attack.
 *
 * @example
 * ```yaml
 * inspect: { headers: [user-agent, referer, x-search], maxValues: 500 }
 * ```
 */
export const WafInspectSchema = strictObject({
  path: Type.Boolean({ description: 'Inspect each segment of the request path. Default true.', default: true }),
  query: Type.Boolean({ description: 'Inspect query parameter names and values. Default true.', default: true }),
  headers: Type.Array(headerName({ description: 'A request header name (matched without regard to case).' }), {
    description: 'Request headers whose values are inspected. Listing headers replaces the default (user-agent, referer): keep them in the list to keep them inspected. Cookies are inspected separately (see cookies).',
    default: [...DEFAULT_INSPECTED_HEADERS],
    maxItems: 64,
    uniqueItems: true,
  }),
  cookies: Type.Boolean({ description: 'Inspect cookie names and values (the Cookie header). Default true.', default: true }),
  body: Type.Boolean({
    description: 'Inspect the request body: JSON keys and string values at every depth, and the names and values of application/x-www-form-urlencoded fields. Turning it on makes the route buffer bodies. Default true.',
    default: true,
  }),
  otherBodies: stringEnum(['text', 'skip'] as const, {
    description: 'Bodies of other content types (text/plain, XML, multipart …): text (default) inspects them as one text value (a body longer than maxTotalLength is then refused, so routes taking large uploads should say skip), skip lets them through uninspected.',
    default: 'text',
  }),
  maxValues: Type.Integer({
    description: 'Most names and values inspected per request (path segments, query names and values, headers, cookies, JSON keys and strings, form fields). A request with more is refused (413 waf.too_many_values): what is not inspected could carry an attack. Default 2000.',
    minimum: 1,
    maximum: 100_000,
    default: 2000,
  }),
  maxValueLength: Type.Integer({
    description: 'Characters the detectors see at once. A longer value is inspected whole, in windows of this size that overlap by a quarter of it (at most 1024 characters), so a payload after padding is still seen. Default 8192.',
    minimum: 64,
    maximum: 65_536,
    default: 8192,
  }),
  maxTotalLength: Type.Integer({
    description: 'Most characters per request handed to the detectors (values made only of letters, digits, spaces and -_.,@ are not counted: they skip the detectors). A request with more is refused (413 waf.too_much_input). Default 262144.',
    minimum: 1024,
    maximum: 16_777_216,
    default: 262_144,
  }),
  maxDepth: Type.Integer({
    description: 'Deepest nesting of JSON arrays and objects inspected; the route\'s JSON parser is held to it too. A deeper body is refused (400 waf.too_deep). Default 32.',
    minimum: 1,
    maximum: 256,
    default: 32,
  }),
}, { description: 'What parts of the request are inspected, and the bounds of inspection.', default: {} });

/**
 * One exclusion: rule classes not applied to one field.
 *
 * @example
 * ```yaml
 * { location: body, field: /description, classes: [xss] }
 * ```
 */
export const WafExclusionSchema = strictObject({
  location: stringEnum(EXCLUSION_LOCATIONS, { description: 'Where the field is: path, query, body, header or cookie.' }),
  field: Type.String({
    description: 'Which field. query and cookie: the parameter or cookie name (exact, after percent-decoding). header: the header name (any case). body: a JSON pointer (`/description`, `/items/*/note`; `*` stands for any one key or index), which also names form fields (`/comment`) and covers everything below it. path: `*`. `*` alone means every field of the location.',
    minLength: 1,
    maxLength: 512,
  }),
  classes: Type.Optional(Type.Array(stringEnum(RULE_CLASSES, { description: 'A rule class.' }), {
    description: 'The rule classes not applied to this field. Absent: all of them (the field is not inspected at all).',
    minItems: 1,
    uniqueItems: true,
  })),
}, { description: 'Rule classes not applied to one field.' });

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(WafSchema);
 * const config = {};
 * validate(config); // true; config.mode is now 'block', config.threshold 5
 * ```
 */
export const WafSchema = strictObject({
  mode: stringEnum(['block', 'detect'] as const, {
    description: 'block (default) refuses a request whose anomaly score reaches a threshold (403 waf.blocked); detect only writes the audit events and lets it through (to tune exclusions before blocking).',
    default: 'block',
  }),
  paranoia: Type.Integer({
    description: 'Paranoia level, as in OWASP CRS: 1 (default, few false positives) to 4 (more rules, more false positives).',
    minimum: 1,
    maximum: 4,
    default: 1,
  }),
  threshold: Type.Integer({
    description: 'Inbound anomaly threshold: a request whose detections add up to this score is refused (a critical hit scores 5, error 4, warning 3, notice 2). Default 5, as CRS: one critical hit blocks.',
    minimum: 1,
    maximum: 1000,
    default: 5,
  }),
  classes: WafClassesSchema,
  inspect: WafInspectSchema,
  exclusions: Type.Array(WafExclusionSchema, {
    description: 'Fields some rule classes do not apply to (a rich-text field that carries HTML: `{ location: body, field: /description, classes: [xss] }`). Keep them narrow: an excluded class is not checked there at all.',
    default: [],
    maxItems: 500,
  }),
}, { description: 'Web application firewall: inspects the path, query, chosen headers, cookies and body for injection attacks (SQL, XSS, path traversal, command, template, NoSQL, CRLF, LDAP) and refuses requests whose anomaly score reaches the threshold.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const mode: WafConfig['mode'] = 'detect';
 * ```
 */
export type WafConfig = Static<typeof WafSchema>;

/** {@link WafConfig.inspect}. */
export type WafInspect = Static<typeof WafInspectSchema>;

/** One entry of {@link WafConfig.exclusions}. */
export type WafExclusion = Static<typeof WafExclusionSchema>;

/** {@link WafConfig.classes}. */
export type WafClasses = Static<typeof WafClassesSchema>;
