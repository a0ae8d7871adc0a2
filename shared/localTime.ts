/**
 * Local calendar days and wall-clock times in a site's IANA time zone.
 *
 * Uses the runtime's Intl time zone data, so nothing is shipped to the kiosk. Intl formatters are
 * slow to build and to call (microseconds), so callers on hot paths precompute instants per day
 * (see `DayWindow`) instead of converting per event.
 */

/** A local calendar day, `YYYY-MM-DD`. */
export type LocalDay = string;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when the runtime knows `timeZone` as an IANA zone (or UTC). */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock at `instant` in `timeZone`, as if it were UTC (seconds precision). */
function wallClockAsUtc(instant: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(instant));
  const field = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((part) => part.type === type)?.value);
  return Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
}

/** Offset of local time from UTC at `instant`, in milliseconds (positive east of Greenwich). */
export function utcOffsetAt(instant: number, timeZone: string): number {
  return wallClockAsUtc(instant, timeZone) - Math.floor(instant / 1000) * 1000;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isLocalDay(value: unknown): value is LocalDay {
  if (typeof value !== 'string') return false;
  const match = DAY_PATTERN.exec(value);
  if (!match) return false;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.toISOString().slice(0, 10) === value;
}

/** The local day that `instant` falls on in `timeZone`. */
export function localDayOf(instant: number, timeZone: string): LocalDay {
  return new Date(wallClockAsUtc(instant, timeZone)).toISOString().slice(0, 10);
}

/** `day` shifted by `days` calendar days. */
export function addDays(day: LocalDay, days: number): LocalDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Minutes after midnight for a `HH:MM` clock time, or null when it is not one. */
export function parseClockTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = CLOCK_PATTERN.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/**
 * The instant at which the wall clock in `timeZone` shows `minutes` after midnight on `day`.
 * A time skipped by a daylight-saving jump resolves to the instant just after the jump (the wall
 * clock moves on by the gap, as Temporal's "compatible" rule does); a time that occurs twice
 * resolves to the first occurrence.
 */
export function instantAt(day: LocalDay, minutes: number, timeZone: string): number {
  const naive = Date.parse(`${day}T00:00:00Z`) + minutes * 60_000;
  const first = naive - utcOffsetAt(naive, timeZone);
  const candidates = new Set([first, naive - utcOffsetAt(first, timeZone)]);
  // Offsets on either side of a transition within a day of the naive guess.
  for (const probe of [naive - MS_PER_DAY, naive + MS_PER_DAY]) {
    candidates.add(naive - utcOffsetAt(probe, timeZone));
  }
  const exact = [...candidates].filter((t) => wallClockAsUtc(t, timeZone) === naive);
  if (exact.length > 0) return Math.min(...exact);
  return Math.max(...candidates);
}

/** The instants that bound a local day: `[start, end)`, 23, 24 or 25 hours long. */
export interface DayWindow {
  readonly day: LocalDay;
  readonly start: number;
  readonly end: number;
}

export function dayWindow(day: LocalDay, timeZone: string): DayWindow {
  return {
    day,
    start: instantAt(day, 0, timeZone),
    end: instantAt(addDays(day, 1), 0, timeZone),
  };
}
