/**
 * Anomaly scoring: the per-request state of one WAF instance. The inspectors (inspect.ts) hand it
 * every name and value with where it came from; it skips values that cannot carry an attack,
 * normalises the rest, runs the enabled detectors, adds their scores per class and in total, and
 * says when to stop (a threshold reached in block mode, or a bound exceeded).
 *
 * One Scanner per compiled policy, reused by every request: onRequest is synchronous, so no two
 * requests share it at once, and a benign request allocates nothing here.
 */
import type { RequestContext } from '../../core/context.js';
import type { PolicyAuditEvent } from '../../core/policy.js';
import { RULE_CLASSES, type Detector, type DetectorHit, type InputLocation, type ParanoiaLevel, type RuleClass } from './detector.js';
import { ALL_CLASSES, CLASS_BIT } from './exclusions.js';
import { normalize, type NormalizeOptions, type NormalizeSignals } from './normalize.js';

/** Why a scan stopped before the end (0: it did not). */
export const STOP = { none: 0, blocked: 1, tooManyValues: 2, tooMuchInput: 3, tooDeep: 4 } as const;

/** One of {@link STOP}. */
export type StopReason = (typeof STOP)[keyof typeof STOP];

/** Most audit events one request writes; a detect-mode scan ends there (nothing more would be reported). */
export const MAX_AUDITS_PER_REQUEST = 20;

/** Where a value came from, for audit events. */
export type FieldKind = 'path' | 'query' | 'header' | 'cookie' | 'body';

/** What a Scanner needs besides the detectors. */
export interface ScannerOptions {
  /** block refuses; detect only audits. */
  readonly mode: 'block' | 'detect';
  readonly paranoia: ParanoiaLevel;
  /** Total anomaly threshold. */
  readonly threshold: number;
  /** Per-class thresholds. */
  readonly classThresholds: Readonly<Partial<Record<RuleClass, number>>>;
  readonly maxValues: number;
  readonly maxValueLength: number;
  readonly maxTotalLength: number;
  /** Records one audit event (CompileEnv.audit). */
  readonly audit: (ctx: RequestContext, event: PolicyAuditEvent) => void;
  /** Skip the detectors for values {@link isBenign} accepts (default true; off only to measure it). */
  readonly fastPath?: boolean;
}

/** `<`/`>` spelled as `&#x3c;` or `\u003c` (see NormalizeSignals): a critical xss signal. */
const ENCODED_MARKUP: DetectorHit = Object.freeze({ rule: 'xss.encoded-markup', score: 5 });

interface Armed {
  readonly detector: Detector;
  readonly bit: number;
  readonly index: number;
  readonly threshold: number;
}

// The fast path: one word of letters, digits and `_`, with single `-` `.` `,` `@` between
// characters (`2026-12-31`, `v1.2.3`, `ann@example.com`, `en-GB`). Such a value cannot leave a
// quoted or structured context, so it needs no detector. Measured on the corpora (npm run
// waf:score): allowing spaces let ~1,000 SQL injections through (`1 union select 1,2,user`), and
// `--` or `..` (`1--`, `..2fetc`) or a leading `.` (`.htaccess`) carry attacks too.
const WORD = 1;
const JOINER = 2;
const CHAR_KIND = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_') CHAR_KIND[c.charCodeAt(0)] = WORD;
for (const c of '-.,@') CHAR_KIND[c.charCodeAt(0)] = JOINER;

/**
 * Whether a value is one plain word: letters, digits and `_`, with single `-` `.` `,` `@`
 * between them (the fast path: it skips normalisation and the detectors).
 *
 * @example
 * ```ts
 * isBenign('2026-12-31')                 // true
 * isBenign('Write the quarterly report') // false: prose goes to the detectors
 * isBenign('1--')                        // false
 * ```
 */
export function isBenign(value: string): boolean {
  const n = value.length;
  let previous = JOINER;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 127) return false;
    const kind = CHAR_KIND[c]!;
    if (kind === 0 || (kind === JOINER && previous === JOINER)) return false;
    previous = kind;
  }
  return previous === WORD || n === 0;
}

/** Most header and cookie values remembered as clean, per policy instance (then the memory starts over). */
export const CLEAN_CACHE_ENTRIES = 256;
/** Longest header or cookie value remembered as clean. */
export const CLEAN_CACHE_MAX_LENGTH = 512;

const SAFE_NAME = /^[A-Za-z0-9_.$@:-]{1,64}$/;

/**
 * The scoring state of one policy instance (see the module comment).
 *
 * @example
 * ```ts
 * const scanner = new Scanner([sqli], options);
 * scanner.begin(ctx);
 * scanner.kind = 'query'; scanner.name = 'q'; scanner.ordinal = 1;
 * scanner.value("1' OR '1'='1", true, 'query', 0); // true: threshold reached
 * scanner.stop === STOP.blocked;
 * ```
 */
export class Scanner {
  // Where the current value came from; the inspectors set these, read only when something hits.
  /** Location of the current value. */
  kind: FieldKind = 'path';
  /** Its field name as received (query/form/cookie name, header name). */
  name = '';
  /** Its 1-based position within the location (a stand-in for names unsafe to log). */
  ordinal = 0;
  /** True when the value is the name itself (query parameter name, JSON key). */
  isName = false;
  /** JSON walk: the path segments and each key's position, valid up to depth; depth -1 outside JSON. */
  readonly segments: Array<string | number> = [];
  readonly positions: number[] = [];
  depth = -1;

  /** Why the scan stopped. */
  stop: StopReason = STOP.none;
  /** Classes that scored (bits of CLASS_BIT). */
  hitMask = 0;
  /** In detect mode: a threshold was reached. */
  wouldBlock = false;
  /** Total anomaly score of this request. */
  total = 0;

  private ctx: RequestContext | undefined;
  private readonly armed: readonly Armed[];
  /** The xss detector's slot, when armed: the encoded-markup signal counts for it. */
  private readonly xss: Armed | undefined;
  /** Reset before each value; set by normalize(). */
  private readonly signals: NormalizeSignals = { encodedMarkup: false };
  private readonly scores = new Int32Array(RULE_CLASSES.length);
  private values = 0;
  private chars = 0;
  private audits = 0;
  private readonly block: boolean;
  private readonly step: number;
  private readonly normalizeOptions: NormalizeOptions;
  private readonly options: ScannerOptions;
  private readonly fastPath: boolean;
  private readonly headerCache = new Set<string>();
  private readonly cookieCache = new Set<string>();

  constructor(detectors: readonly Detector[], options: ScannerOptions) {
    this.options = options;
    this.fastPath = options.fastPath !== false;
    this.armed = detectors.map((detector) => ({
      detector,
      bit: CLASS_BIT[detector.ruleClass],
      index: RULE_CLASSES.indexOf(detector.ruleClass),
      threshold: options.classThresholds[detector.ruleClass] ?? Number.POSITIVE_INFINITY,
    }));
    this.xss = this.armed.find((a) => a.detector.ruleClass === 'xss');
    this.block = options.mode === 'block';
    // Windows overlap by a quarter (at most 1 KiB), so a payload up to that long lies whole in one.
    this.step = options.maxValueLength - Math.min(1024, options.maxValueLength >> 2);
    // Decoding never lengthens; NFKC folding may, a little: the bound only guards against abuse.
    this.normalizeOptions = { maxLength: options.maxValueLength * 2 };
  }

  /** Resets the state for a new request. */
  begin(ctx: RequestContext): void {
    this.ctx = ctx;
    if (this.hitMask !== 0) this.scores.fill(0);
    this.hitMask = 0;
    this.total = 0;
    this.wouldBlock = false;
    this.stop = STOP.none;
    this.values = 0;
    this.chars = 0;
    this.audits = 0;
    this.depth = -1;
    this.isName = false;
  }

  /**
   * Inspects one name or value. `form` turns `+` into a space first (query and form encoding);
   * `excluded` is the mask of classes not applied here. Returns true when the scan must stop.
   */
  value(raw: string, form: boolean, location: InputLocation, excluded: number): boolean {
    if (excluded === ALL_CLASSES) return false;
    if (++this.values > this.options.maxValues) return this.fail(STOP.tooManyValues, `more than ${this.options.maxValues} values`);
    if (this.fastPath && isBenign(raw)) return false;
    const n = raw.length;
    if ((this.chars += n) > this.options.maxTotalLength) return this.fail(STOP.tooMuchInput, `more than ${this.options.maxTotalLength} characters`);
    const size = this.options.maxValueLength;
    // Header and cookie values repeat across requests (a client's user-agent, its session
    // cookie): a value found clean once is clean again, since detectors are pure functions.
    const cache = n > CLEAN_CACHE_MAX_LENGTH || n > size ? undefined : location === 'header' ? this.headerCache : location === 'cookie' ? this.cookieCache : undefined;
    if (cache !== undefined) {
      if (cache.has(raw)) return false;
      const before = this.total;
      const stop = this.detect(this.prepare(raw, form), location, excluded);
      if (this.total === before && excluded === 0) {
        if (cache.size >= CLEAN_CACHE_ENTRIES) cache.clear();
        cache.add(raw);
      }
      return stop;
    }
    if (n <= size) return this.detect(this.prepare(raw, form), location, excluded);
    for (let start = 0; ; start += this.step) {
      const end = Math.min(n, start + size);
      if (this.detect(this.prepare(raw.slice(start, end), form), location, excluded)) return true;
      if (end === n) return false;
    }
  }

  /** Ends the scan for a bound (too many values, too deep …): audited, and refused in block mode. */
  fail(reason: StopReason, why: string): boolean {
    this.stop = reason;
    const rule = reason === STOP.tooManyValues ? 'waf.too_many_values' : reason === STOP.tooMuchInput ? 'waf.too_much_input' : 'waf.too_deep';
    this.audit(rule, this.block ? why : `${why} (detect mode)`);
    return true;
  }

  private prepare(raw: string, form: boolean): string {
    this.signals.encodedMarkup = false;
    return normalize(form && raw.includes('+') ? raw.replaceAll('+', ' ') : raw, this.normalizeOptions, this.signals);
  }

  private detect(value: string, location: InputLocation, excluded: number): boolean {
    const armed = this.armed;
    const paranoia = this.options.paranoia;
    // Markup characters spelled as numeric references or escapes: evasion, counted as xss.
    if (this.signals.encodedMarkup && this.xss !== undefined && (excluded & this.xss.bit) === 0 && this.record(ENCODED_MARKUP, this.xss)) return true;
    for (let i = 0; i < armed.length; i++) {
      const a = armed[i]!;
      if ((excluded & a.bit) !== 0) continue;
      const hit = a.detector.detect(value, paranoia, location);
      if (hit !== undefined && hit.score > 0 && this.record(hit, a)) return true;
    }
    return false;
  }

  private record(hit: DetectorHit, a: Armed): boolean {
    this.total += hit.score;
    const classScore = (this.scores[a.index] = this.scores[a.index]! + hit.score);
    this.hitMask |= a.bit;
    const reached = this.total >= this.options.threshold || classScore >= a.threshold;
    const where = this.describe();
    if (this.block) {
      this.audit(hit.rule, `${where} score ${hit.score}`);
      if (reached) this.stop = STOP.blocked;
      return reached;
    }
    if (reached) this.wouldBlock = true;
    this.audit(hit.rule, `${where} score ${hit.score} (detect mode${reached ? ', over the threshold' : ''})`);
    // Nothing more would be reported: stop spending CPU on this request.
    return this.audits >= MAX_AUDITS_PER_REQUEST;
  }

  private audit(rule: string, reason: string): void {
    if (this.audits >= MAX_AUDITS_PER_REQUEST || this.ctx === undefined) return;
    this.audits++;
    this.options.audit(this.ctx, { type: 'waf', outcome: 'failure', rule, reason });
  }

  /** `query:q`, `body:/items/0/title`, `header:user-agent`; names unsafe to log become `#<position>`. */
  private describe(): string {
    const suffix = this.isName ? ' (name)' : '';
    if (this.kind === 'path') return `path:#${this.ordinal}`;
    if (this.kind === 'body' && this.depth >= 0) {
      let pointer = '';
      for (let i = 0; i < this.depth; i++) {
        const seg = this.segments[i];
        pointer += typeof seg === 'number' ? `/${seg}` : `/${safeName(seg ?? '') ?? `#${this.positions[i] ?? 0}`}`;
      }
      return `body:${pointer === '' ? '(whole)' : pointer}${suffix}`;
    }
    if (this.kind === 'body' && this.name === '') return 'body:(whole)';
    const name = this.kind === 'header' ? this.name : decodeName(this.name);
    const shown = safeName(name) ?? `#${this.ordinal}`;
    return this.kind === 'body' ? `body:/${shown}${suffix}` : `${this.kind}:${shown}${suffix}`;
  }
}

function safeName(name: string): string | undefined {
  return SAFE_NAME.test(name) ? name : undefined;
}

/**
 * A query, form or cookie name as an application reads it: `+` is a space, percent-escapes
 * decoded (a malformed one leaves the name as sent).
 *
 * @example
 * ```ts
 * decodeName('descr%69ption') // 'description'
 * ```
 */
export function decodeName(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
