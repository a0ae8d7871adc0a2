import { describe, expect, it } from 'vitest';
import {
  addDays,
  dayWindow,
  instantAt,
  isLocalDay,
  isValidTimeZone,
  localDayOf,
  parseClockTime,
} from './localTime';

const HOUR = 3_600_000;

describe('localTime', () => {
  it('[T4] makes the spring-forward day 23 hours and the fall-back day 25 hours long', () => {
    const spring = dayWindow('2026-03-29', 'Europe/Amsterdam');
    const autumn = dayWindow('2026-10-25', 'Europe/Amsterdam');
    expect(spring.end - spring.start).toBe(23 * HOUR);
    expect(autumn.end - autumn.start).toBe(25 * HOUR);
    expect(spring.start).toBe(Date.UTC(2026, 2, 28, 23));
  });

  it('[T4] resolves a skipped wall time to just after the jump and a repeated one to its first occurrence', () => {
    expect(instantAt('2026-03-29', 2 * 60 + 30, 'Europe/Amsterdam')).toBe(
      Date.UTC(2026, 2, 29, 1, 30),
    );
    expect(instantAt('2026-10-25', 2 * 60 + 30, 'Europe/Amsterdam')).toBe(
      Date.UTC(2026, 9, 25, 0, 30),
    );
  });

  it('[T4] finds the start of a day whose midnight is skipped', () => {
    // Chile moves its clocks at midnight: 2026-09-06 00:00 does not exist in Santiago.
    const window = dayWindow('2026-09-06', 'America/Santiago');
    expect(localDayOf(window.start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDayOf(window.start - 1, 'America/Santiago')).toBe('2026-09-05');
  });

  it('[T4] gives the local day of an instant in the site zone, not UTC', () => {
    const t = Date.UTC(2026, 0, 1, 23, 30);
    expect(localDayOf(t, 'UTC')).toBe('2026-01-01');
    expect(localDayOf(t, 'Asia/Tokyo')).toBe('2026-01-02');
    expect(localDayOf(t, 'America/New_York')).toBe('2026-01-01');
  });

  it('validates days, clock times and zones', () => {
    expect(isLocalDay('2026-02-29')).toBe(false);
    expect(isLocalDay('2028-02-29')).toBe(true);
    expect(isLocalDay('2026-1-01')).toBe(false);
    expect(parseClockTime('22:30')).toBe(22 * 60 + 30);
    expect(parseClockTime('24:00')).toBeNull();
    expect(isValidTimeZone('Europe/Amsterdam')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});
