/**
 * waf: a web application firewall in front of the API (OWASP API8:2023, security
 * misconfiguration, and the injection attacks behind API1/API3/API10 findings), in the validate
 * phase: after authentication and authorization, on the request only.
 *
 * What it looks at: each path segment, query parameter names and values, a list of headers
 * (user-agent and referer by default), cookie names and values, and the body — JSON keys and
 * strings at every depth, form fields, other content types as one text. Each value is normalised
 * (percent, HTML-entity and backslash escapes undone in bounded passes, Unicode folded) and
 * handed to one detector per rule class (sqli, xss, path-traversal, cmdi, ssti, nosqli, crlf,
 * ldapi) at the configured paranoia level. Values made only of letters, digits, spaces and
 * `-_.,@` skip all that: they cannot spell an attack of any class, and most benign input is that.
 *
 * Scoring is CRS's anomaly model: each hit adds points (critical 5, error 4, warning 3, notice 2)
 * per class and in total; the request is refused (403 `waf.blocked`, naming the classes, never
 * the input) once the total reaches `threshold` or a class its own threshold, and the scan stops
 * there. In detect mode nothing is refused. Every detection is an audit event `waf` with the rule
 * and `<location>:<field> score <n>`; field names unsafe to log appear as their position.
 *
 * Bounds fail closed: more values than maxValues, more text than maxTotalLength, JSON deeper than
 * maxDepth are refused (413, 413, 400) in block mode, since what is not inspected could carry an
 * attack. Long values are inspected whole, in overlapping windows of maxValueLength.
 *
 * Exclusions switch rule classes off for one field (`{ location: body, field: /description,
 * classes: [xss] }` for a rich-text field); they are compiled into maps and a pointer tree.
 */
import { DETECTORS } from './detectors/index.js';
import { createWafPolicy } from './policy.js';

export { createWafPolicy, WAF_ERRORS, type WafPolicyOptions } from './policy.js';
export {
  WafSchema, WafClassesSchema, WafInspectSchema, WafExclusionSchema, EXCLUSION_LOCATIONS, DEFAULT_INSPECTED_HEADERS,
  type WafConfig, type WafInspect, type WafExclusion, type WafClasses,
} from './schema.js';
export { RULE_CLASSES, SEVERITY_SCORE, type Detector, type DetectorHit, type RuleClass, type ParanoiaLevel, type InputLocation } from './detector.js';
export { DETECTORS } from './detectors/index.js';
export { isBenign, MAX_AUDITS_PER_REQUEST } from './score.js';

/**
 * The waf policy with every built-in detector.
 *
 * @example
 * ```yaml
 * routes:
 *   - path: /api/v1/tasks
 *     methods: [POST]
 *     upstream: tasks
 *     policies:
 *       waf:
 *         paranoia: 1
 *         exclusions: [{ location: body, field: /description, classes: [xss] }]
 * ```
 */
export default createWafPolicy(DETECTORS);
