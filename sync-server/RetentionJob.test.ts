import pino from 'pino';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { addDays, localDayOf } from '../shared/localTime';
import { writeSettings } from '../shared/siteDoc';
import { DocumentStore } from './DocumentStore';
import { openDatabase } from './database';
import { RetentionJob } from './RetentionJob';
import { ensureSite } from './sites';

describe('RetentionJob', () => {
  it("deletes visit records and check-ins documents older than the site's retention, and nothing newer", async () => {
    const db = openDatabase(':memory:');
    ensureSite(db, 'riverside', 'Europe/Amsterdam');
    const documents = new DocumentStore(db);
    const site = new Y.Doc();
    writeSettings(site, { timeZone: 'Europe/Amsterdam', retentionDays: 30 });
    documents.store(siteDocName('riverside'), Y.encodeStateAsUpdate(site));
    const now = Date.UTC(2026, 5, 15, 12);
    const today = localDayOf(now, 'Europe/Amsterdam');
    const days = [addDays(today, -31), addDays(today, -30), addDays(today, -1)];
    for (const day of days) {
      documents.store(checkinsDocName('riverside', day), Y.encodeStateAsUpdate(new Y.Doc()));
      db.prepare(
        "insert into visits (id, site_id, day, member_id, start) values (?, 'riverside', ?, 'M1', 0)",
      ).run(day, day);
      db.prepare(
        "insert into events (id, site_id, day, kind, member_id, at, writer, method, clock_trusted) values (?, 'riverside', ?, 'checkIn', 'M1', 0, 'kiosk:a', 'qr', 1)",
      ).run(day, day);
    }
    // A busy old day: more rows than one batch deletes ([R3]).
    const insert = db.prepare(
      "insert into events (id, site_id, day, kind, member_id, at, writer, method, clock_trusted) values (?, 'riverside', ?, 'checkIn', 'M1', 0, 'kiosk:b', 'qr', 1)",
    );
    for (let i = 0; i < 1234; i++) insert.run(`old-${i}`, days[0]);
    const job = new RetentionJob({
      db,
      documents,
      log: pino({ level: 'silent' }),
      isLoaded: () => false,
    });
    expect(await job.run(now)).toBe(1);
    expect(documents.names('checkins/riverside/')).toEqual(
      days.slice(1).map((d) => checkinsDocName('riverside', d)),
    );
    expect(
      (db.prepare('select day from visits order by day').all() as { day: string }[]).map(
        (r) => r.day,
      ),
    ).toEqual(days.slice(1));
    expect((db.prepare('select count(*) as n from events').get() as { n: number }).n).toBe(2);
    expect(documents.fetch(siteDocName('riverside'))).not.toBeNull();
  });

  it('keeps a document a client still has open', async () => {
    const db = openDatabase(':memory:');
    ensureSite(db, 'riverside', 'UTC');
    const documents = new DocumentStore(db);
    const old = checkinsDocName('riverside', '2020-01-01');
    documents.store(old, Y.encodeStateAsUpdate(new Y.Doc()));
    const job = new RetentionJob({
      db,
      documents,
      log: pino({ level: 'silent' }),
      isLoaded: (name) => name === old,
    });
    expect(await job.run(Date.UTC(2026, 0, 1))).toBe(0);
    expect(documents.fetch(old)).not.toBeNull();
  });
});
