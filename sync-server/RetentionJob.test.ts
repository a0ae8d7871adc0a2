import pino from 'pino';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { addDays, localDayOf } from '../shared/localTime';
import { writeSettings } from '../shared/siteDoc';
import { DocumentStore } from './DocumentStore';
import { RetentionJob } from './RetentionJob';
import { ensureSite } from './sites';
import { testDatabases } from './testing/testDatabase';

const openDatabase = testDatabases();

describe('RetentionJob', () => {
  it("deletes visit records and check-ins documents older than the site's retention, and nothing newer", async () => {
    const db = await openDatabase();
    await ensureSite(db, 'riverside', 'Europe/Amsterdam');
    const documents = new DocumentStore(db);
    const site = new Y.Doc();
    writeSettings(site, { timeZone: 'Europe/Amsterdam', retentionDays: 30 });
    await documents.store(siteDocName('riverside'), Y.encodeStateAsUpdate(site));
    const now = Date.UTC(2026, 5, 15, 12);
    const today = localDayOf(now, 'Europe/Amsterdam');
    const days = [addDays(today, -31), addDays(today, -30), addDays(today, -1)];
    const insertEvent = (id: string, day: string, writer: string) =>
      db.run(
        "insert into events (id, site_id, day, kind, member_id, at, writer, method, clock_trusted) values (?, 'riverside', ?, 'checkIn', 'M1', 0, ?, 'qr', 1)",
        [id, day, writer],
      );
    for (const day of days) {
      await documents.store(checkinsDocName('riverside', day), Y.encodeStateAsUpdate(new Y.Doc()));
      await db.run(
        "insert into visits (id, site_id, day, member_id, start) values (?, 'riverside', ?, 'M1', 0)",
        [day, day],
      );
      await insertEvent(day, day, 'kiosk:a');
    }
    // A busy old day: more rows than one batch deletes ([R3]).
    await db.transaction(async (tx) => {
      for (let i = 0; i < 1234; i++)
        await tx.run(
          "insert into events (id, site_id, day, kind, member_id, at, writer, method, clock_trusted) values (?, 'riverside', ?, 'checkIn', 'M1', 0, 'kiosk:b', 'qr', 1)",
          [`old-${i}`, days[0] as string],
        );
    });
    const job = new RetentionJob({
      db,
      documents,
      log: pino({ level: 'silent' }),
      isLoaded: () => false,
    });
    expect(await job.run(now)).toBe(1);
    expect(await documents.names('checkins/riverside/')).toEqual(
      days.slice(1).map((d) => checkinsDocName('riverside', d)),
    );
    expect(
      (await db.all<{ day: string }>('select day from visits order by day')).map((r) => r.day),
    ).toEqual(days.slice(1));
    expect((await db.get<{ n: number }>('select count(*) as n from events'))?.n).toBe(2);
    expect(await documents.fetch(siteDocName('riverside'))).not.toBeNull();
  });

  it('keeps a document a client still has open', async () => {
    const db = await openDatabase();
    await ensureSite(db, 'riverside', 'UTC');
    const documents = new DocumentStore(db);
    const old = checkinsDocName('riverside', '2020-01-01');
    await documents.store(old, Y.encodeStateAsUpdate(new Y.Doc()));
    const job = new RetentionJob({
      db,
      documents,
      log: pino({ level: 'silent' }),
      isLoaded: (name) => name === old,
    });
    expect(await job.run(Date.UTC(2026, 0, 1))).toBe(0);
    expect(await documents.fetch(old)).not.toBeNull();
  });
});
