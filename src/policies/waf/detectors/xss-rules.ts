/**
 * The XSS detector's rules: the hit each one reports, and the paranoia level from which it counts.
 * Hits are created once here and returned as they are, so a detection allocates nothing.
 */
import { SEVERITY_SCORE } from '../detector.js';
import type { DetectorHit, ParanoiaLevel } from '../detector.js';

/** One rule: its hit and the lowest paranoia level that reports it. */
export interface XssRule {
  /** What detect() returns. */
  readonly hit: DetectorHit;
  /** Reported at this paranoia level and above. */
  readonly level: ParanoiaLevel;
}

function rule(name: string, level: ParanoiaLevel, score: number): XssRule {
  return Object.freeze({ hit: Object.freeze({ rule: `xss.${name}`, score }), level });
}

const { critical, error, warning, notice } = SEVERITY_SCORE;

/**
 * Every rule of the detector. Level 1 rules are executable shapes (critical); levels 2–4 add
 * weaker signals at lower scores.
 *
 * @example
 * ```ts
 * R.scriptTag.hit.rule // 'xss.script-tag'
 * ```
 */
export const R = {
  none: rule('none', 4, 0),
  scriptTag: rule('script-tag', 1, critical),
  dangerousTag: rule('dangerous-tag', 1, critical),
  eventHandler: rule('event-handler', 1, critical),
  javascriptUrl: rule('javascript-url', 1, critical),
  styleScript: rule('style-script', 1, critical),
  styleInjection: rule('style-injection', 1, critical),
  dangerousAttr: rule('dangerous-attr', 1, critical),
  hiddenMarkup: rule('hidden-markup', 1, critical),
  jsCall: rule('js-call', 1, critical),
  jsBreakout: rule('js-breakout', 1, critical),
  jsSink: rule('js-sink', 1, critical),
  bareDangerousTag: rule('bare-dangerous-tag', 2, error),
  // A closing script tag breaks out of a script block; an XML/DTD declaration in a value is markup
  // no API field needs (and the XXE vector): both clear at level 1, as CRS treats them.
  scriptEndTag: rule('script-end-tag', 1, critical),
  declaration: rule('markup-declaration', 1, critical),
  unknownTag: rule('unknown-tag', 2, warning),
  javascriptText: rule('javascript-text', 2, warning),
  eventName: rule('event-handler-name', 2, warning),
  styleAttr: rule('style-attr', 2, warning),
  namespaceAttr: rule('namespace-attr', 2, warning),
  jsWeak: rule('js-weak', 2, warning),
  comment: rule('html-comment', 2, notice),
  tagWithAttrs: rule('tag-attributes', 3, notice),
  anyTag: rule('tag', 4, notice),
} as const;

/**
 * The stronger of two rules that paranoia allows (a keeps ties).
 *
 * @example
 * ```ts
 * stronger(R.none, R.comment, 2) // R.comment
 * ```
 */
export function stronger(a: XssRule, b: XssRule, paranoia: ParanoiaLevel): XssRule {
  return b.level <= paranoia && b.hit.score > a.hit.score ? b : a;
}
