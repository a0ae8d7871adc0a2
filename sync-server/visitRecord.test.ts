import { describe, expect, it } from 'vitest';
import { testDatabases } from './testing/testDatabase';
import { readVisits } from './visitRecord';

const openDatabase = testDatabases();

describe('readVisits', () => {
  it('reads a site’s visits of a range of days in order and leaves out rows that are not visits', async () => {
    const db = await openDatabase();
    const insert = (...row: (string | number | null)[]) =>
      db.run(
        'insert into visits (id, site_id, day, member_id, start, "end", closed_by) values (?, ?, ?, ?, ?, ?, ?)',
        row,
      );
    await insert('b', 'riverside', '2026-03-02', 'M1', 2000, 3000, 'checkOut');
    await insert('a', 'riverside', '2026-03-01', 'M2', 1000, null, null);
    await insert('c', 'riverside', '2026-03-03', 'M1', 4000, 5000, 'auto');
    await insert('other-site', 'hilltop', '2026-03-02', 'M1', 2500, null, null);
    await insert('too-late', 'riverside', '2026-03-04', 'M1', 6000, null, null);
    // Only SQLite's loose column types can hold a start that is not a number.
    if (db.engine === 'sqlite')
      await insert('text-start', 'riverside', '2026-03-02', 'M3', 'noon', null, null);
    await insert('backwards', 'riverside', '2026-03-02', 'M3', 2000, 1000, 'checkOut');
    await insert('bad-day', 'riverside', '2026-03-0x', 'M3', 2000, null, null);
    const range = { siteId: 'riverside', from: '2026-03-01', to: '2026-03-03', now: 10_000 };
    expect((await readVisits(db, { ...range, order: 'asc' })).map((v) => v.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(await readVisits(db, { ...range, memberId: 'M1', order: 'desc' })).toEqual([
      { id: 'c', day: '2026-03-03', memberId: 'M1', start: 4000, end: 5000, closedBy: 'auto' },
      { id: 'b', day: '2026-03-02', memberId: 'M1', start: 2000, end: 3000, closedBy: 'checkOut' },
    ]);
  });

  it('[V7] reads an open visit whose auto-close time has passed as closed by it', async () => {
    const db = await openDatabase();
    const insert = (...row: (string | number | null)[]) =>
      db.run(
        `insert into visits (id, site_id, day, member_id, start, "end", closed_by, auto_close_at)
         values (?, 'riverside', '2026-03-01', ?, ?, null, null, ?)`,
        row,
      );
    await insert('forgotten', 'M1', 1000, 5000);
    await insert('still-in', 'M2', 2000, 9000);
    await insert('old-row', 'M3', 3000, null);
    const range = {
      siteId: 'riverside',
      from: '2026-03-01',
      to: '2026-03-01',
      order: 'asc',
    } as const;
    expect(
      (await readVisits(db, { ...range, now: 6000 })).map((v) => [v.id, v.end, v.closedBy]),
    ).toEqual([
      ['forgotten', 5000, 'auto'],
      ['still-in', null, null],
      ['old-row', null, null],
    ]);
  });
});
