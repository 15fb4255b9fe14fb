/**
 * The `time` variable of abac conditions: the request's instant read in a configured IANA time
 * zone. One Intl.DateTimeFormat is built per policy instance; its result is reused for every
 * request within the same minute (every time zone in use today is offset by whole minutes), so a
 * request usually costs one Date and one small object.
 */
import { ConfigError, type ConfigIssue } from '../../core/config-error.js';
import type { BusinessHours } from './schema.js';

/** The value of `time` in a condition (its CEL type is `portcullis.Time`). */
export class TimeOfRequest {
  /** The instant (CEL timestamp). */
  readonly now: Date;
  /** 0–23 in the time zone (CEL int). */
  readonly hour: bigint;
  /** 0–59 (CEL int). */
  readonly minute: bigint;
  /** 0 = Sunday … 6 = Saturday (CEL int). */
  readonly dayOfWeek: bigint;
  /** YYYY-MM-DD in the time zone. */
  readonly date: string;
  /** Whether the instant falls in the configured business hours. */
  readonly businessHours: boolean;

  constructor(now: Date, minute: MinuteFields) {
    this.now = now;
    this.hour = minute.hour;
    this.minute = minute.minute;
    this.dayOfWeek = minute.dayOfWeek;
    this.date = minute.date;
    this.businessHours = minute.businessHours;
  }
}

/** What is the same for every instant of one minute. */
interface MinuteFields {
  readonly hour: bigint;
  readonly minute: bigint;
  readonly dayOfWeek: bigint;
  readonly date: string;
  readonly businessHours: boolean;
}

const WEEKDAYS: Readonly<Record<string, bigint>> = { Sun: 0n, Mon: 1n, Tue: 2n, Wed: 3n, Thu: 4n, Fri: 5n, Sat: 6n };

/**
 * Builds the function that gives `time` for an instant. Throws ConfigError (paths `timeZone`,
 * `businessHours.end`) for an unknown zone or an empty business day.
 *
 * @example
 * ```ts
 * const timeAt = createTimeSource('Europe/Berlin', { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });
 * timeAt(Date.parse('2026-06-01T08:30:00Z')).hour // 10n
 * ```
 */
export function createTimeSource(timeZone: string, hours: BusinessHours): (epochMs: number) => TimeOfRequest {
  const issues: ConfigIssue[] = [];
  let format: Intl.DateTimeFormat | undefined;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short',
    });
  } catch {
    issues.push({ path: ['timeZone'], message: `'${timeZone}' is not an IANA time zone this Node.js knows (e.g. UTC, Europe/Berlin)`, severity: 'error' });
  }
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (end <= start) issues.push({ path: ['businessHours', 'end'], message: `must be after start (${hours.start})`, severity: 'error' });
  if (issues.length > 0 || format === undefined) throw new ConfigError(issues);
  const days = new Set(hours.days.map(BigInt));
  const fmt = format;

  let cachedMinute = Number.NaN;
  let cached: MinuteFields | undefined;
  const fieldsOf = (epochMs: number): MinuteFields => {
    const parts: Record<string, string> = {};
    for (const p of fmt.formatToParts(epochMs)) parts[p.type] = p.value;
    const hour = Number(parts.hour);
    const minute = Number(parts.minute);
    const dayOfWeek = WEEKDAYS[parts.weekday ?? ''] ?? -1n;
    const ofDay = hour * 60 + minute;
    return {
      hour: BigInt(hour),
      minute: BigInt(minute),
      dayOfWeek,
      date: `${parts.year}-${parts.month}-${parts.day}`,
      businessHours: days.has(dayOfWeek) && ofDay >= start && ofDay < end,
    };
  };
  return (epochMs) => {
    const minute = Math.floor(epochMs / 60_000);
    if (minute !== cachedMinute || cached === undefined) {
      cached = fieldsOf(epochMs);
      cachedMinute = minute;
    }
    return new TimeOfRequest(new Date(epochMs), cached);
  };
}

function minutesOf(clock: string): number {
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}
