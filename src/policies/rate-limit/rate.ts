/**
 * Parsing of rate strings (`100/min`, `5/15m`, `1000/day`) into a count and a window, once at
 * compile time.
 */

/** A parsed rate: `limit` requests per `windowMs`. */
export interface Rate {
  /** Requests per window. */
  readonly limit: number;
  /** Window length in ms. */
  readonly windowMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

const RATE = /^([0-9]{1,10})\/([0-9]{1,6})?([a-z]{1,7})$/;

/** The largest count in a rate. */
export const MAX_RATE_LIMIT = 1_000_000_000;

/** The longest window: a year (quotas longer than that belong in billing, not a gateway). */
export const MAX_WINDOW_MS = 366 * 86_400_000;

/**
 * Parses a rate. Throws a TypeError saying what is wrong (the compiler adds the path).
 *
 * @example
 * ```ts
 * parseRate('5/15m')   // { limit: 5, windowMs: 900000 }
 * parseRate('100/min') // { limit: 100, windowMs: 60000 }
 * ```
 */
export function parseRate(text: string): Rate {
  const m = RATE.exec(text.trim());
  const unit = m === null ? undefined : UNIT_MS[m[3]!];
  if (m === null || unit === undefined) {
    throw new TypeError(`'${text}' is not a rate: write N/unit or N/<multiplier><unit> (100/min, 5/15m, 10/s, 1000/day); units s, sec, m, min, h, hour, d, day`);
  }
  const limit = Number(m[1]);
  const multiplier = m[2] === undefined ? 1 : Number(m[2]);
  if (limit < 1 || limit > MAX_RATE_LIMIT) throw new TypeError(`'${text}': the count must be between 1 and ${MAX_RATE_LIMIT} (to refuse everything, use another policy; to switch the limit off, remove it)`);
  if (multiplier < 1) throw new TypeError(`'${text}': the window multiplier must be at least 1`);
  const windowMs = multiplier * unit;
  if (windowMs > MAX_WINDOW_MS) throw new TypeError(`'${text}': the window must be at most 366 days`);
  return { limit, windowMs };
}
