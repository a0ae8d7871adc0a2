import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from './database';
import { SQLITE_MIGRATIONS } from './storage/sqliteMigrations';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('SqliteDatabase.open', () => {
  it('[E2] migrates events and visits to be keyed by site, writer and id, keeping every row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-db-'));
    dirs.push(dir);
    // A database as schema version 2 left it (event ids unique across writers).
    const old = new BetterSqlite3(join(dir, 'headcount.sqlite'));
    for (const migration of SQLITE_MIGRATIONS.slice(0, 2)) old.exec(migration);
    old.pragma('user_version = 2');
    old.exec(`
      insert into events values ('e1', 'riverside', '2026-03-10', 'checkIn', 'M1', 1000, 'kiosk:front', 'qr', 1, '{}');
      insert into events values ('e2', 'riverside', '2026-03-10', 'checkOut', 'M1', 2000, 'kiosk:back', 'qr', 1, null);
      insert into visits values ('e1', 'riverside', '2026-03-10', 'M1', 1000, 2000, 'checkOut', 9000);
      insert into visits values ('gone', 'riverside', '2026-03-09', 'M2', 500, null, null, null);`);
    old.close();

    const db = SqliteDatabase.open(dir).raw;
    expect(db.prepare('select * from events order by id').all()).toEqual([
      {
        site_id: 'riverside',
        writer: 'kiosk:front',
        id: 'e1',
        day: '2026-03-10',
        kind: 'checkIn',
        member_id: 'M1',
        at: 1000,
        method: 'qr',
        clock_trusted: 1,
        detail: '{}',
      },
      expect.objectContaining({ writer: 'kiosk:back', id: 'e2', detail: null }),
    ]);
    expect(db.prepare('select * from visits order by id').all()).toEqual([
      {
        site_id: 'riverside',
        writer: 'kiosk:front',
        id: 'e1',
        day: '2026-03-10',
        member_id: 'M1',
        start: 1000,
        end: 2000,
        closed_by: 'checkOut',
        auto_close_at: 9000,
      },
      expect.objectContaining({ writer: '', id: 'gone', member_id: 'M2' }),
    ]);
    // Two writers may now hold the same id, in both tables.
    const insertEvent = db.prepare(
      `insert into events (id, site_id, day, kind, member_id, at, writer, method, clock_trusted)
       values ('e1', 'riverside', '2026-03-10', 'checkIn', 'M9', 1000, ?, 'qr', 1)`,
    );
    insertEvent.run('kiosk:rogue');
    expect(() => insertEvent.run('kiosk:rogue')).toThrow(/UNIQUE/);
    db.prepare(
      `insert into visits (id, writer, site_id, day, member_id, start)
       values ('e1', 'kiosk:rogue', 'riverside', '2026-03-10', 'M9', 1000)`,
    ).run();
    const indexes = db
      .prepare(
        `select name from sqlite_master where type = 'index' and name like '%_by_day%' order by name`,
      )
      .all();
    // Since migration 6 the day's index ends in (writer, id), the record's paging order ([R3]).
    expect(indexes).toEqual([{ name: 'events_by_day_key' }, { name: 'visits_by_day_key' }]);
    db.close();
  });
});
