import { addDays, isLocalDay, type LocalDay } from '../shared/localTime';

/**
 * The `from`/`to` days of a report request: local days of the site, both included. Pure; the
 * caller turns a problem into a 400 answer that names the parameter.
 */
export interface DayRange {
  readonly from: LocalDay;
  readonly to: LocalDay;
}

export type DayRangeResult =
  | ({ readonly ok: true } & DayRange)
  | { readonly ok: false; readonly parameter: 'from' | 'to'; readonly message: string };

/** Longest range one request covers, in days: a leap year, so any calendar year fits. */
export const MAX_RANGE_DAYS = 366;

const MS_PER_DAY = 86_400_000;

/** How many days `from` to `to` covers, both included. */
export function daysIn(from: LocalDay, to: LocalDay): number {
  const span = Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`);
  return Math.round(span / MS_PER_DAY) + 1;
}

/**
 * Reads `from` and `to` from a query string. Without `defaults` both are required; with them a
 * missing `to` is `defaults.to`, and a missing `from` makes the range `defaults.days` long.
 */
export function parseDayRange(
  query: URLSearchParams,
  defaults?: { readonly to: LocalDay; readonly days: number },
): DayRangeResult {
  const problem = (parameter: 'from' | 'to', message: string): DayRangeResult => ({
    ok: false,
    parameter,
    message: `${parameter}: ${message}`,
  });
  const given = { from: query.get('from') || null, to: query.get('to') || null };
  for (const parameter of ['from', 'to'] as const) {
    const value = given[parameter];
    if (value === null) {
      if (defaults) continue;
      return problem(parameter, 'a day YYYY-MM-DD is required');
    }
    // isLocalDay narrows `value` to never when false; the text is kept for the message.
    const text: string = value;
    if (!isLocalDay(value)) {
      return problem(parameter, `${JSON.stringify(text.slice(0, 20))} is not a day YYYY-MM-DD`);
    }
  }
  const to = given.to ?? (defaults as { to: LocalDay }).to;
  const from = given.from ?? addDays(to, 1 - (defaults as { days: number }).days);
  if (from > to) return problem('from', `${from} is after to (${to})`);
  const days = daysIn(from, to);
  if (days > MAX_RANGE_DAYS) {
    return problem('to', `${from} to ${to} is ${days} days; at most ${MAX_RANGE_DAYS} are allowed`);
  }
  return { ok: true, from, to };
}
