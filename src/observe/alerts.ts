/**
 * Alerts over sliding windows of finished requests: "more than N 401s from one IP in a minute",
 * "403s per principal", "a 429 spike on a route", "one principal probing many object ids"
 * (BOLA enumeration). A rule that trips opens an alert for its key (IP, principal, route); while
 * the attack goes on, the same alert is updated — one alert, not thousands — and it resolves
 * after a quiet window. Each opening (and at most one update per window) is a log line, an audit
 * record and, when configured, a signed webhook sent off the request path.
 *
 * Windows are approximated with two fixed buckets (current and previous, weighted), O(1) per key;
 * keys per rule are bounded (the oldest are forgotten first), since attackers choose them.
 */
import type { RequestContext } from '../core/context.js';
import type { CompiledRoute } from '../config/compile.js';

/** One rule. */
export interface AlertRule {
  /** Name, in alerts and logs. */
  readonly name: string;
  /** `status`: count responses with one of `statuses`; `enumeration`: count distinct object ids refused or not found. */
  readonly kind: 'status' | 'enumeration';
  /** Statuses counted (kind status). */
  readonly statuses: readonly number[];
  /** What the count is kept per. */
  readonly per: 'ip' | 'principal' | 'route';
  /** The alert opens when the count in the window exceeds this. */
  readonly threshold: number;
  /** Window length, seconds. */
  readonly windowSec: number;
}

/** An open or recently resolved alert. */
export interface Alert {
  /** Stable id: rule and key. */
  readonly id: string;
  readonly rule: string;
  /** The IP, principal id or route template it is about. */
  readonly key: string;
  readonly per: AlertRule['per'];
  /** Count in the window when last updated. */
  count: number;
  /** Events seen since it opened. */
  total: number;
  readonly openedAt: string;
  lastSeenAt: string;
  state: 'firing' | 'resolved';
}

/** What an alert notification carries (log, audit, webhook). */
export interface AlertEvent {
  readonly event: 'opened' | 'updated' | 'resolved';
  readonly alert: Readonly<Alert>;
}

/** Options of the engine. */
export interface AlertEngineOptions {
  readonly rules: readonly AlertRule[];
  /** Called for each opening, throttled update and resolution. Must not throw or block. */
  readonly notify: (event: AlertEvent) => void;
  /** Most keys tracked per rule. */
  readonly maxKeys?: number;
  /** The clock, ms (tests). */
  readonly now?: () => number;
}

/** The engine. */
export interface AlertEngine {
  /** Feeds one finished request. */
  observe(ctx: RequestContext, route: CompiledRoute | undefined): void;
  /** Alerts that are firing, and those resolved within the last hour. */
  active(): Alert[];
  /** Keys tracked across all rules (bounded by maxKeys per rule). */
  tracked(): number;
  /** Resolves quiet alerts (called on a timer, and by observe). */
  sweep(): void;
  close(): void;
}

interface Counter {
  windowStart: number;
  current: number;
  previous: number;
  distinct: Set<string> | undefined;
  previousDistinct: number;
}

/**
 * Creates the engine.
 *
 * @example
 * ```ts
 * const alerts = createAlertEngine({ rules: [{ name: 'auth-failures', kind: 'status', statuses: [401], per: 'ip', threshold: 20, windowSec: 60 }], notify: console.log });
 * ```
 */
export function createAlertEngine(options: AlertEngineOptions): AlertEngine {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const counters = options.rules.map(() => new Map<string, Counter>());
  const alerts = new Map<string, Alert & { lastNotified: number; ruleIndex: number }>();
  const timer = setInterval(() => sweep(), 5000);
  timer.unref();

  const keyOf = (rule: AlertRule, ctx: RequestContext, route: CompiledRoute | undefined): string | undefined => {
    if (rule.per === 'ip') return ctx.clientIp;
    if (rule.per === 'principal') return ctx.principal?.id;
    return route === undefined || route.template === '' ? '(unmatched)' : route.template;
  };

  const count = (index: number, key: string, t: number, objectId: string | undefined): number => {
    const rule = options.rules[index]!;
    const map = counters[index]!;
    const windowMs = rule.windowSec * 1000;
    let c = map.get(key);
    if (c === undefined) {
      if (map.size >= maxKeys) map.delete(map.keys().next().value!);
      c = { windowStart: t - (t % windowMs), current: 0, previous: 0, distinct: undefined, previousDistinct: 0 };
      map.set(key, c);
    } else {
      // Refresh the key's place: the least recently seen keys are forgotten first.
      map.delete(key);
      map.set(key, c);
    }
    const start = t - (t % windowMs);
    if (start !== c.windowStart) {
      const adjacent = start - c.windowStart === windowMs;
      c.previous = adjacent ? c.current : 0;
      c.previousDistinct = adjacent ? (c.distinct?.size ?? 0) : 0;
      c.current = 0;
      c.distinct = undefined;
      c.windowStart = start;
    }
    const weight = 1 - (t - start) / windowMs;
    if (objectId === undefined) {
      c.current++;
      return c.current + c.previous * weight;
    }
    c.distinct ??= new Set();
    // Bounded: beyond the threshold more ids change nothing.
    if (c.distinct.size <= rule.threshold) c.distinct.add(objectId);
    return c.distinct.size + c.previousDistinct * weight;
  };

  const raise = (index: number, key: string, value: number, t: number) => {
    const rule = options.rules[index]!;
    const id = `${rule.name}:${key}`;
    const iso = new Date(t).toISOString();
    const existing = alerts.get(id);
    if (existing !== undefined && existing.state === 'firing') {
      existing.count = Math.round(value);
      existing.total++;
      existing.lastSeenAt = iso;
      if (t - existing.lastNotified >= rule.windowSec * 1000) {
        existing.lastNotified = t;
        options.notify({ event: 'updated', alert: snapshot(existing) });
      }
      return;
    }
    const alert = { id, rule: rule.name, key, per: rule.per, count: Math.round(value), total: 1, openedAt: iso, lastSeenAt: iso, state: 'firing' as const, lastNotified: t, ruleIndex: index };
    alerts.set(id, alert);
    options.notify({ event: 'opened', alert: snapshot(alert) });
  };

  const sweep = () => {
    const t = now();
    for (const [id, alert] of alerts) {
      const rule = options.rules[alert.ruleIndex]!;
      const quietMs = 2 * rule.windowSec * 1000;
      if (alert.state === 'firing' && t - Date.parse(alert.lastSeenAt) >= quietMs) {
        alert.state = 'resolved';
        options.notify({ event: 'resolved', alert: snapshot(alert) });
      } else if (alert.state === 'resolved' && t - Date.parse(alert.lastSeenAt) >= 3_600_000) {
        alerts.delete(id);
      }
    }
  };

  return {
    observe(ctx, route) {
      const t = now();
      const status = ctx.status;
      for (let i = 0; i < options.rules.length; i++) {
        const rule = options.rules[i]!;
        let objectId: string | undefined;
        if (rule.kind === 'status') {
          if (!rule.statuses.includes(status)) continue;
        } else {
          // Enumeration: refused or missing objects, identified by the route and its parameters.
          if ((status !== 403 && status !== 404) || route === undefined || !hasParams(ctx)) continue;
          objectId = `${route.template}|${Object.values(ctx.params).join('/')}`;
        }
        const key = keyOf(rule, ctx, route);
        if (key === undefined) continue;
        const value = count(i, key, t, objectId);
        if (value > rule.threshold) raise(i, key, value, t);
      }
    },
    active: () => [...alerts.values()].map(snapshot),
    tracked: () => counters.reduce((n, m) => n + m.size, 0),
    sweep,
    close: () => clearInterval(timer),
  };
}

function hasParams(ctx: RequestContext): boolean {
  for (const name in ctx.params) if (name !== '*') return true;
  return false;
}

function snapshot(a: Alert): Alert {
  return { id: a.id, rule: a.rule, key: a.key, per: a.per, count: a.count, total: a.total, openedAt: a.openedAt, lastSeenAt: a.lastSeenAt, state: a.state };
}
