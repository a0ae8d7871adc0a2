import Papa from 'papaparse';
import { utcOffsetAt } from '../shared/localTime';
import type { RecordedVisit } from './visitRecord';

export const VISITS_CSV_COLUMNS = [
  'visit_id',
  'day',
  'member_id',
  'member_name',
  'check_in',
  'check_out',
  'stay_minutes',
  'closed_by',
] as const;

/**
 * Cells a spreadsheet would run as a formula (CSV injection): they get a leading `'`. Papaparse's
 * own `escapeFormulae: true` pattern is `/^[=+\-@\t\r].*$/`, which without the `s` flag misses a
 * cell with a line break (a member named "=HYPERLINK(…)\nx" would pass), so only the first
 * character is tested here. Numbers are written as numbers and never escaped.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** `YYYY-MM-DD HH:MM`, the wall clock at `instant` in `timeZone`. */
export function localClock(instant: number, timeZone: string): string {
  const wall = new Date(instant + utcOffsetAt(instant, timeZone));
  return wall.toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The visits report as CSV (RFC 4180, CRLF line ends): a header, then one row per visit in the
 * order given, with local times in the site's zone and names from the roster (empty for a member
 * not on it).
 */
export function visitsCsv(
  visits: readonly RecordedVisit[],
  site: {
    readonly timeZone: string;
    readonly names: ReadonlyMap<string, { readonly name: string }>;
  },
): string {
  const rows = visits.map((visit) => [
    visit.id,
    visit.day,
    visit.memberId,
    site.names.get(visit.memberId)?.name ?? '',
    localClock(visit.start, site.timeZone),
    visit.end === null ? '' : localClock(visit.end, site.timeZone),
    visit.end === null ? '' : Math.round((visit.end - visit.start) / 60_000),
    visit.closedBy ?? '',
  ]);
  const csv = Papa.unparse(
    { fields: [...VISITS_CSV_COLUMNS], data: rows },
    { escapeFormulae: FORMULA_START, newline: '\r\n' },
  );
  // Papaparse ends the header-only file with a line break but not a file with rows.
  return csv.endsWith('\r\n') ? csv : `${csv}\r\n`;
}
