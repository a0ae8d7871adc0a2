import { addDays, instantAt, type LocalDay, utcOffsetAt } from '../shared/localTime';
import type { RecordedVisit } from './visitRecord';

/**
 * Peak hours: how many members are present, on average, in each local hour of each weekday over
 * a period of whole local days ([T4]). Pure: the same visits, period and `now` give the same grid.
 */
export interface PeakHoursOptions {
  readonly timeZone: string;
  /** First and last local day of the period, both included. */
  readonly from: LocalDay;
  readonly to: LocalDay;
  /** An open visit counts until the earlier of now and its start plus the site's max stay. */
  readonly now: number;
  readonly maxStayMs: number;
}

const HOUR_MS = 3_600_000;

/** `grid[weekday][hour]`, weekday 0 = Monday, hour 0–23 of the local wall clock. */
export type WeekGrid = number[][];

/** One local hour of one day of the period, as instants `[start, end)`. */
export interface HourSlot {
  readonly start: number;
  readonly end: number;
  readonly weekday: number;
  readonly hour: number;
}

/** Monday 0 … Sunday 6 for a local day (a calendar date has a weekday whatever the zone). */
export function weekdayOf(day: LocalDay): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/**
 * The local hours of the period in time order. A local hour runs from the instant its wall clock
 * shows HH:00 to the one showing the next hour, so around a daylight-saving change a skipped hour
 * has no slot and a repeated hour lasts two hours (it is present twice, [T4]).
 */
export function hourSlots(from: LocalDay, to: LocalDay, timeZone: string): HourSlot[] {
  const slots: HourSlot[] = [];
  let dayStart = instantAt(from, 0, timeZone);
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const weekday = weekdayOf(day);
    const dayEnd = instantAt(addDays(day, 1), 0, timeZone);
    // Intl calls cost microseconds each: a day without an offset change (nearly all of them)
    // has 24 one-hour slots from its midnight, and only the others are resolved hour by hour.
    const steady =
      dayEnd - dayStart === 24 * HOUR_MS &&
      utcOffsetAt(dayStart, timeZone) === utcOffsetAt(dayEnd - 1, timeZone);
    let start = dayStart;
    for (let hour = 0; hour < 24; hour++) {
      const end = steady
        ? dayStart + (hour + 1) * HOUR_MS
        : hour === 23
          ? dayEnd
          : Math.max(start, instantAt(day, (hour + 1) * 60, timeZone));
      if (end > start) slots.push({ start, end, weekday, hour });
      start = end;
    }
    dayStart = dayEnd;
  }
  return slots;
}

/**
 * The average number of members present per weekday and local hour: the person-time of the
 * visits overlapping that hour, summed over the period, divided by how long that weekday-hour
 * lasted in the period (60 minutes times the number of its occurrences; a repeated hour on a
 * daylight-saving day counts as two). Rounded to 2 decimals; 0 for an hour that never occurred.
 */
export function peakHours(visits: readonly RecordedVisit[], options: PeakHoursOptions): WeekGrid {
  const slots = hourSlots(options.from, options.to, options.timeZone);
  const present = emptyGrid();
  const lasted = emptyGrid();
  for (const slot of slots) add(lasted, slot, slot.end - slot.start);
  for (const visit of visits) {
    const end = visit.end ?? Math.min(options.now, visit.start + options.maxStayMs);
    if (!(end > visit.start)) continue;
    for (let i = firstSlotEndingAfter(slots, visit.start); i < slots.length; i++) {
      const slot = slots[i] as HourSlot;
      if (slot.start >= end) break;
      add(present, slot, Math.min(end, slot.end) - Math.max(visit.start, slot.start));
    }
  }
  return present.map((hours, weekday) =>
    hours.map((ms, hour) => {
      const total = lasted[weekday]?.[hour] ?? 0;
      return total > 0 ? Math.round((ms / total) * 100) / 100 : 0;
    }),
  );
}

function emptyGrid(): WeekGrid {
  return Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
}

function add(grid: WeekGrid, slot: HourSlot, ms: number): void {
  const row = grid[slot.weekday] as number[];
  row[slot.hour] = (row[slot.hour] ?? 0) + ms;
}

/** Index of the first slot that ends after `instant` (slots are in time order). */
function firstSlotEndingAfter(slots: readonly HourSlot[], instant: number): number {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((slots[middle] as HourSlot).end > instant) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Weeks a peak-hours request may cover: default 4 (a month of habits), at most 12 (a season). */
export const DEFAULT_PEAK_WEEKS = 4;
export const MAX_PEAK_WEEKS = 12;

/** The `weeks * 7` complete local days that end yesterday. */
export function peakHoursPeriod(today: LocalDay, weeks: number): { from: LocalDay; to: LocalDay } {
  return { from: addDays(today, -7 * weeks), to: addDays(today, -1) };
}
