/**
 * The contract of one WAF detector: a small module that looks at one already-normalised input
 * value and says whether it looks like an attack of its class, with an anomaly score. Detectors
 * are pure functions over strings: no state, no allocation beyond what the check needs, no regex
 * built per call, and linear time in the input (no backtracking blow-ups: the attacker controls
 * the input).
 */

/** Attack classes; also the rule-class names in refusals and audit events. */
export const RULE_CLASSES = ['sqli', 'xss', 'path-traversal', 'cmdi', 'ssti', 'nosqli', 'crlf', 'ldapi'] as const;

/** One of {@link RULE_CLASSES}. */
export type RuleClass = (typeof RULE_CLASSES)[number];

/** Paranoia levels as in OWASP CRS: 1 (few false positives) … 4 (catch more, more false positives). */
export type ParanoiaLevel = 1 | 2 | 3 | 4;

/** Anomaly points, as CRS counts them: critical 5, error 4, warning 3, notice 2. */
export const SEVERITY_SCORE = { critical: 5, error: 4, warning: 3, notice: 2 } as const;

/** What a detector found. */
export interface DetectorHit {
  /** The rule that matched, `<class>.<rule>` (`sqli.fingerprint`, `xss.event-handler`). Never the payload. */
  readonly rule: string;
  /** Anomaly points this hit adds (see {@link SEVERITY_SCORE}). */
  readonly score: number;
}

/** Where a value came from; some detectors weigh locations differently (a header is not a query). */
export type InputLocation = 'path' | 'query' | 'query-name' | 'header' | 'cookie' | 'form' | 'json-value' | 'json-key';

/**
 * One detector.
 *
 * @example
 * ```ts
 * const hit = sqli.detect("1' OR '1'='1", 1, 'query');
 * hit?.rule // 'sqli.fingerprint'
 * ```
 */
export interface Detector {
  /** The class it detects. */
  readonly ruleClass: RuleClass;
  /**
   * Examines one value, already normalised by the policy (URL-decoded with a bound, HTML entities,
   * \u and \x escapes, full-width forms and null bytes folded; case is kept). Returns the
   * strongest hit at this paranoia level, or undefined.
   */
  detect(value: string, paranoia: ParanoiaLevel, location: InputLocation): DetectorHit | undefined;
}
