import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { instantAt } from '../shared/localTime';
import type { RecordedVisit } from './visitRecord';
import { localClock, VISITS_CSV_COLUMNS, visitsCsv } from './visitsCsv';

const ZONE = 'Europe/Amsterdam';
const at = (day: string, clock: string) => {
  const [h, m] = clock.split(':').map(Number);
  return instantAt(day, (h as number) * 60 + (m as number), ZONE);
};
const visit = (fields: Partial<RecordedVisit>): RecordedVisit => ({
  id: 'v1',
  day: '2026-03-10',
  memberId: 'M1',
  start: at('2026-03-10', '09:05'),
  end: at('2026-03-10', '10:35'),
  closedBy: 'checkOut',
  ...fields,
});
const names = new Map([
  ['M1', { name: 'Ada Lovelace' }],
  ['M2', { name: '=HYPERLINK("http://evil.example","click")' }],
  ['M3', { name: '=1+2\nsecond line' }],
  ['M4', { name: 'Smith, "Jo"' }],
]);
const rowsOf = (csv: string) => Papa.parse<string[]>(csv.trimEnd()).data;

describe('visitsCsv', () => {
  it('writes the header and one row per visit with local times and the stay', () => {
    const csv = visitsCsv([visit({})], { timeZone: ZONE, names });
    expect(csv).toBe(
      'visit_id,day,member_id,member_name,check_in,check_out,stay_minutes,closed_by\r\n' +
        'v1,2026-03-10,M1,Ada Lovelace,2026-03-10 09:05,2026-03-10 10:35,90,checkOut\r\n',
    );
  });

  it('writes only the header when there are no visits', () => {
    expect(visitsCsv([], { timeZone: ZONE, names })).toBe(`${VISITS_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('leaves check-out, stay and closed-by empty for an open visit, and the name for a stranger', () => {
    const rows = rowsOf(
      visitsCsv([visit({ memberId: 'M9', end: null, closedBy: null })], { timeZone: ZONE, names }),
    );
    expect(rows[1]).toEqual(['v1', '2026-03-10', 'M9', '', '2026-03-10 09:05', '', '', '']);
  });

  it('neutralises cells a spreadsheet would run as formulas, also across line breaks', () => {
    const rows = rowsOf(
      visitsCsv(
        [
          visit({ id: 'a', memberId: 'M2' }),
          visit({ id: 'b', memberId: 'M3' }),
          visit({ id: 'c', memberId: '-M5' }),
        ],
        { timeZone: ZONE, names },
      ),
    );
    expect(rows.map((row) => row[3])).toEqual([
      'member_name',
      `'=HYPERLINK("http://evil.example","click")`,
      `'=1+2\nsecond line`,
      '',
    ]);
    expect(rows[3]?.[2]).toBe(`'-M5`);
  });

  it('quotes commas and quotes so the file reads back as written', () => {
    const rows = rowsOf(visitsCsv([visit({ memberId: 'M4' })], { timeZone: ZONE, names }));
    expect(rows[1]?.[3]).toBe('Smith, "Jo"');
  });

  it('shows the wall clock of the site on both sides of a daylight-saving change', () => {
    // 2026-03-29 02:00 CET became 03:00 CEST in Amsterdam.
    expect(localClock(Date.UTC(2026, 2, 29, 0, 59), ZONE)).toBe('2026-03-29 01:59');
    expect(localClock(Date.UTC(2026, 2, 29, 1, 0), ZONE)).toBe('2026-03-29 03:00');
    expect(localClock(Date.UTC(2026, 2, 29, 1, 0), 'UTC')).toBe('2026-03-29 01:00');
  });
});
