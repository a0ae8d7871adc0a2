import { describe, expect, it } from 'vitest';
import { instantAt } from '../shared/localTime';
import { hourSlots, peakHours, peakHoursPeriod, weekdayOf } from './peakHours';
import type { RecordedVisit } from './visitRecord';

const ZONE = 'Europe/Amsterdam';
const at = (day: string, clock: string) => {
  const [h, m] = clock.split(':').map(Number);
  return instantAt(day, (h as number) * 60 + (m as number), ZONE);
};
let ids = 0;
const visit = (start: number, end: number | null): RecordedVisit => ({
  id: `v${++ids}`,
  day: '2026-03-02',
  memberId: `M${ids}`,
  start,
  end,
  closedBy: end === null ? null : 'checkOut',
});
/** A 7×24 grid of zeros with the given `[weekday, hour, value]` cells set. */
const grid = (...cells: [number, number, number][]) => {
  const rows = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const [weekday, hour, value] of cells) (rows[weekday] as number[])[hour] = value;
  return rows;
};
const MON = 0;
const TUE = 1;
const WED = 2;
const SUN = 6;

describe('peakHours', () => {
  it('averages the members present per weekday-hour over the period (a hand-computed fortnight)', () => {
    // Two weeks, Monday 2 to Sunday 15 March 2026: every weekday-hour occurs twice (120 min).
    const options = {
      timeZone: ZONE,
      from: '2026-03-02',
      to: '2026-03-15',
      now: at('2026-03-16', '08:00'),
      maxStayMs: 90 * 60_000,
    };
    const visits = [
      // Spans two hours: 30 min in Monday 10:00 and 30 min in Monday 11:00.
      visit(at('2026-03-02', '10:30'), at('2026-03-02', '11:30')),
      // The next Monday, the whole 10:00 hour: Monday 10 has 30 + 60 = 90 of 120 min, 0.75.
      visit(at('2026-03-09', '10:00'), at('2026-03-09', '11:00')),
      // Never closed: counts until start + max stay (90 min), 18:00–19:30.
      visit(at('2026-03-03', '18:00'), null),
      // Began the day before the period: only its 30 min from Monday 00:00 count.
      visit(at('2026-03-01', '23:30'), at('2026-03-02', '00:30')),
      // 20 of 120 min is 0.1666…, rounded to 0.17.
      visit(at('2026-03-04', '07:00'), at('2026-03-04', '07:20')),
      // After the period: not counted.
      visit(at('2026-03-16', '07:00'), at('2026-03-16', '07:30')),
      // Ends before it starts (a bad row): ignored, never thrown on.
      visit(at('2026-03-05', '12:00'), at('2026-03-05', '11:00')),
    ];
    expect(peakHours(visits, options)).toEqual(
      grid(
        [MON, 0, 0.25],
        [MON, 10, 0.75],
        [MON, 11, 0.25],
        [TUE, 18, 0.5],
        [TUE, 19, 0.25],
        [WED, 7, 0.17],
      ),
    );
  });

  it('counts an open visit only until now when its max stay has not passed yet', () => {
    const hours = peakHours([visit(at('2026-03-02', '10:00'), null)], {
      timeZone: ZONE,
      from: '2026-03-02',
      to: '2026-03-08',
      now: at('2026-03-02', '10:45'),
      maxStayMs: 240 * 60_000,
    });
    expect(hours).toEqual(grid([MON, 10, 0.75]));
  });

  it('has no 02:00 hour on the day clocks go forward, and a double one when they go back', () => {
    // Amsterdam: 29 March 2026 02:00 CET → 03:00 CEST; 25 October 2026 03:00 CEST → 02:00 CET.
    expect(hourSlots('2026-03-29', '2026-03-29', ZONE).map((s) => s.hour)).not.toContain(2);
    expect(hourSlots('2026-03-29', '2026-03-29', ZONE)).toHaveLength(23);
    expect(hourSlots('2026-10-25', '2026-10-25', ZONE)).toHaveLength(24);
    const spring = peakHours(
      // 01:30 CET to 03:30 CEST: one real hour, half in local 01:00 and half in local 03:00.
      [visit(Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1, 30))],
      {
        timeZone: ZONE,
        from: '2026-03-23',
        to: '2026-03-29',
        now: Date.UTC(2026, 3, 1),
        maxStayMs: 0,
      },
    );
    expect(spring).toEqual(grid([SUN, 1, 0.5], [SUN, 3, 0.5]));
    const autumn = peakHours(
      // The first of the two local 02:00 hours (02:00–03:00 CEST): half of that day's 02:00 time.
      [visit(Date.UTC(2026, 9, 25, 0, 0), Date.UTC(2026, 9, 25, 1, 0))],
      {
        timeZone: ZONE,
        from: '2026-10-19',
        to: '2026-10-25',
        now: Date.UTC(2026, 10, 1),
        maxStayMs: 0,
      },
    );
    expect(autumn).toEqual(grid([SUN, 2, 0.5]));
  });

  it('covers the complete days of the last weeks, ending yesterday', () => {
    expect(peakHoursPeriod('2026-03-16', 2)).toEqual({ from: '2026-03-02', to: '2026-03-15' });
    expect(weekdayOf('2026-03-02')).toBe(MON);
    expect(weekdayOf('2026-03-15')).toBe(SUN);
  });
});
