import { describe, expect, it } from 'vitest';
import { daysIn, MAX_RANGE_DAYS, parseDayRange } from './dayRange';

const query = (text: string) => new URLSearchParams(text);

describe('parseDayRange', () => {
  it('reads an inclusive range of local days', () => {
    expect(parseDayRange(query('from=2026-03-01&to=2026-03-31'))).toEqual({
      ok: true,
      from: '2026-03-01',
      to: '2026-03-31',
    });
    expect(parseDayRange(query('from=2026-03-01&to=2026-03-01'))).toMatchObject({ ok: true });
  });

  it('names the missing or malformed parameter', () => {
    expect(parseDayRange(query('to=2026-03-31'))).toMatchObject({ ok: false, parameter: 'from' });
    expect(parseDayRange(query('from=2026-03-01'))).toMatchObject({ ok: false, parameter: 'to' });
    expect(parseDayRange(query('from=2026-02-30&to=2026-03-31'))).toEqual({
      ok: false,
      parameter: 'from',
      message: 'from: "2026-02-30" is not a day YYYY-MM-DD',
    });
    expect(parseDayRange(query('from=2026-03-01&to=31.03.2026'))).toMatchObject({
      ok: false,
      parameter: 'to',
    });
  });

  it('refuses a range that ends before it starts', () => {
    expect(parseDayRange(query('from=2026-03-02&to=2026-03-01'))).toMatchObject({
      ok: false,
      parameter: 'from',
    });
  });

  it('allows a leap year and refuses one day more', () => {
    expect(daysIn('2024-01-01', '2024-12-31')).toBe(MAX_RANGE_DAYS);
    expect(parseDayRange(query('from=2024-01-01&to=2024-12-31'))).toMatchObject({ ok: true });
    expect(parseDayRange(query('from=2024-01-01&to=2025-01-01'))).toMatchObject({
      ok: false,
      parameter: 'to',
    });
  });

  it('fills in missing days from the defaults, and still checks the limits', () => {
    const defaults = { to: '2026-06-15', days: 90 };
    expect(parseDayRange(query(''), defaults)).toEqual({
      ok: true,
      from: '2026-03-18',
      to: '2026-06-15',
    });
    expect(daysIn('2026-03-18', '2026-06-15')).toBe(90);
    expect(parseDayRange(query('to=2026-01-31'), defaults)).toMatchObject({
      from: '2025-11-03',
      to: '2026-01-31',
    });
    expect(parseDayRange(query('from=2026-01-01'), defaults)).toMatchObject({
      from: '2026-01-01',
      to: '2026-06-15',
    });
    expect(parseDayRange(query('from=2020-01-01'), defaults)).toMatchObject({ ok: false });
    expect(parseDayRange(query('from=nope'), defaults)).toMatchObject({
      ok: false,
      parameter: 'from',
    });
  });
});
