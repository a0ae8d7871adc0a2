import type { onStoreDocumentPayload } from '@hocuspocus/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { newEventId } from '../shared/eventId';
import type { NewEvent, Writer } from '../shared/events';
import { addDays, dayWindow, type LocalDay } from '../shared/localTime';
import { testEventId } from '../shared/testing/ids';
import { DocumentStore } from './DocumentStore';
import type { Database } from './database';
import { RecordKeeper } from './RecordKeeper';
import { testDatabases } from './testing/testDatabase';
import { readVisits } from './visitRecord';

const openDatabase = testDatabases();

const SITE = 'riverside';
const DAY = '2026-03-10';
const DAYS: LocalDay[] = [addDays(DAY, -1), DAY, addDays(DAY, 1)];

/** A server's record without the server: a database, its stored documents and a keeper. */
class Recorded {
  readonly db: Database;
  readonly documents: DocumentStore;
  keeper: RecordKeeper;

  constructor(db: Database) {
    this.db = db;
    this.documents = new DocumentStore(db);
    this.keeper = this.newKeeper();
  }

  /** On a fresh database. */
  static async open(): Promise<Recorded> {
    return new Recorded(await openDatabase());
  }

  /**
   * On `db` emptied of documents and record: as good as a fresh one, and much cheaper for a
   * property's hundreds of rounds (on PostgreSQL a fresh database is a new schema).
   */
  static async reusing(db: Database): Promise<Recorded> {
    for (const table of [
      'documents',
      'document_updates',
      'record_marks',
      'events',
      'visits',
      'day_problems',
    ])
      await db.run(`delete from ${table}`);
    return new Recorded(db);
  }

  newKeeper(): RecordKeeper {
    // A 0 ms slice: every piece yields, so slicing is exercised on every path.
    return new RecordKeeper({
      db: this.db,
      documents: this.documents,
      onRecorded() {},
      sliceMs: 0,
    });
  }

  /** What DurableDocuments and then RecordKeeper do when Hocuspocus stores a document. */
  async store(day: LocalDay, doc: Y.Doc, follow = true): Promise<void> {
    const documentName = checkinsDocName(SITE, day);
    await this.documents.store(documentName, Y.encodeStateAsUpdate(doc));
    if (follow) {
      await this.keeper.onStoreDocument({
        documentName,
        document: doc,
      } as unknown as onStoreDocumentPayload);
    }
  }

  /** Every row of the record, in one order. */
  async rows(): Promise<unknown[]> {
    return [
      await this.db.all(
        `select site_id, writer, id, day, kind, member_id, at, method, clock_trusted, detail
         from events order by site_id, writer, id, day`,
      ),
      await this.db.all(
        `select site_id, writer, id, day, member_id, start, "end", closed_by, auto_close_at
         from visits order by site_id, writer, id`,
      ),
      await this.db.all('select site_id, day, problems from day_problems order by day'),
    ];
  }
}

const at = (day: LocalDay, minute: number) => dayWindow(day, 'UTC').start + minute * 60_000;

describe('RecordKeeper', () => {
  it("[E2][V10] records two kiosks' check-ins that share an id as two events, and a void of one", async () => {
    const r = await Recorded.open();
    const time = at(DAY, 600);
    const id = newEventId(time);
    const doc = new Y.Doc();
    const recording = { id, at: time, clockTrusted: true, method: 'qr' } as const;
    for (const [door, member] of [
      ['front', 'M1'],
      ['back', 'M2'],
      ['side', 'M3'],
    ] as const) {
      recordEvent(
        doc,
        { role: 'kiosk', id: door },
        { kind: 'checkIn', memberId: member },
        recording,
      );
    }
    recordEvent(
      doc,
      { role: 'staff', id: 'lee' },
      { kind: 'void', targetId: id, targetWriter: { role: 'kiosk', id: 'side' }, reason: 'x' },
      { id: newEventId(time + 60_000), at: time + 60_000, clockTrusted: true, method: 'staff' },
    );
    await r.store(DAY, doc);
    // Storing again writes nothing new and changes nothing.
    await r.store(DAY, doc);

    const events = await r.db.all<{
      writer: string;
      id: string;
      member_id: string;
      detail: string;
    }>('select writer, id, member_id, detail from events order by writer');
    expect(events.map((e) => [e.writer, e.id === id, e.member_id])).toEqual([
      ['kiosk:back', true, 'M2'],
      ['kiosk:front', true, 'M1'],
      ['kiosk:side', true, 'M3'],
      ['staff:lee', false, ''],
    ]);
    expect(JSON.parse(events[3]?.detail ?? '{}')).toMatchObject({
      targetId: id,
      targetWriter: 'kiosk:side',
    });
    const range = { siteId: SITE, from: DAY, to: DAY, order: 'asc', now: time } as const;
    expect((await readVisits(r.db, range)).map((v) => [v.id, v.memberId])).toEqual([
      [id, 'M2'],
      [id, 'M1'],
    ]);
  });

  it("[R1][V8] closes a visit with the next day's check-out, once the next day's document is stored", async () => {
    const r = await Recorded.open();
    const door: Writer = { role: 'kiosk', id: 'front' };
    const [today, tomorrow] = [new Y.Doc(), new Y.Doc()];
    const inAt = at(DAY, 23 * 60 + 30);
    recordEvent(today, door, { kind: 'checkIn', memberId: 'M1' }, rec(inAt, 1));
    await r.store(DAY, today);
    const range = { siteId: SITE, from: DAY, to: DAY, order: 'asc', now: inAt } as const;
    expect(await readVisits(r.db, range)).toMatchObject([{ memberId: 'M1', end: null }]);

    const outAt = at(addDays(DAY, 1), 40);
    recordEvent(tomorrow, door, { kind: 'checkOut', memberId: 'M1' }, rec(outAt, 2));
    await r.store(addDays(DAY, 1), tomorrow);
    expect(await readVisits(r.db, range)).toMatchObject([
      { memberId: 'M1', day: DAY, end: outAt, closedBy: 'checkOut' },
    ]);
    // The check-out is a row of the day whose document holds it; no visit starts that day.
    const rows = await r.db.all('select day, kind from events order by at');
    expect(rows).toEqual([
      { day: DAY, kind: 'checkIn' },
      { day: addDays(DAY, 1), kind: 'checkOut' },
    ]);
    expect(await r.db.get('select count(*) as n from visits')).toEqual({ n: 1 });
  });

  it('[R2] rebuilds at start the days stored after their record last followed them, and only those', async () => {
    const r = await Recorded.open();
    const door: Writer = { role: 'kiosk', id: 'front' };
    const days = DAYS.map(() => new Y.Doc());
    for (const [i, doc] of days.entries()) {
      recordEvent(
        doc,
        door,
        { kind: 'checkIn', memberId: `M${i}` },
        rec(at(DAYS[i] as LocalDay, 600), i),
      );
      await r.store(DAYS[i] as LocalDay, doc);
    }
    // A new start with everything followed rebuilds nothing.
    r.keeper = r.newKeeper();
    expect(await r.keeper.catchUp()).toBe(0);

    // Stored, then the process died before the record followed.
    const last = days[2] as Y.Doc;
    recordEvent(
      last,
      door,
      { kind: 'checkIn', memberId: 'late' },
      rec(at(DAYS[2] as LocalDay, 700), 9),
    );
    await r.store(DAYS[2] as LocalDay, last, false);
    r.keeper = r.newKeeper();
    // The last day and the one before it (its document can close visits of that day).
    expect(await r.keeper.catchUp()).toBe(2);
    expect(await r.db.get("select count(*) as n from events where member_id = 'late'")).toEqual({
      n: 1,
    });
    expect(await r.keeper.catchUp()).toBe(0);
  });

  it('[R2] marks nothing when the server closes before it has caught up, so the next start rebuilds those days', async () => {
    const r = await Recorded.open();
    const door: Writer = { role: 'kiosk', id: 'front' };
    for (const [i, day] of DAYS.entries()) {
      const doc = new Y.Doc();
      recordEvent(doc, door, { kind: 'checkIn', memberId: `M${i}` }, rec(at(day, 600), i));
      // As after an upgrade: stored, never followed.
      await r.store(day, doc, false);
    }
    const catching = r.keeper.catchUp();
    await r.keeper.stop();
    expect(await catching).toBeNull();
    expect(await r.db.get('select count(*) as n from record_marks')).toEqual({ n: 0 });
    r.keeper = r.newKeeper();
    expect(await r.keeper.catchUp()).toBe(3);
    expect(await r.db.get('select count(*) as n from events')).toEqual({ n: 3 });
  });

  it('[R1] deletes the rows of the day an earlier record left that its documents do not hold', async () => {
    const r = await Recorded.open();
    const doc = new Y.Doc();
    const time = at(DAY, 600);
    recordEvent(
      doc,
      { role: 'kiosk', id: 'front' },
      { kind: 'checkIn', memberId: 'M1' },
      rec(time, 1),
    );
    // What the record before migration 5 could hold: a visit of a row no document has.
    await r.db.run(
      `insert into visits (site_id, writer, id, day, member_id, start) values (?, '', 'gone', ?, 'M9', 0)`,
      [SITE, DAY],
    );
    await r.db.run(
      `insert into visits (site_id, writer, id, day, member_id, start) values (?, '', 'other-day', ?, 'M9', 0)`,
      [SITE, addDays(DAY, -5)],
    );
    await r.store(DAY, doc);
    expect(await r.db.all('select id, member_id from visits order by day')).toEqual([
      { id: 'other-day', member_id: 'M9' },
      { id: testEventId(time, 1), member_id: 'M1' },
    ]);
  });

  it('[R3] builds a busy day in slices, letting other work run between them', async () => {
    const r = await Recorded.open();
    const doc = new Y.Doc();
    const door: Writer = { role: 'kiosk', id: 'front' };
    doc.transact(() => {
      for (let i = 0; i < 3000; i++)
        recordEvent(
          doc,
          door,
          { kind: 'checkIn', memberId: `M${i % 700}` },
          rec(at(DAY, 300 + i / 4), i),
        );
    });
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    await r.store(DAY, doc);
    done = true;
    // A 0 ms slice yields after every piece: 3 000 entries are at least 11 pieces of 128 or more.
    expect(turns).toBeGreaterThanOrEqual(11);
    expect(await r.db.get('select count(*) as n from events')).toEqual({ n: 3000 });
  });

  it('[R2] keeps the record equal to a rebuild from scratch after any stores, restarts, crashes and late entries', async () => {
    const WRITERS: Writer[] = [
      { role: 'kiosk', id: 'a' },
      { role: 'kiosk', id: 'b' },
      { role: 'staff', id: 'lee' },
    ];
    const op = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          type: fc.constant('write' as const),
          day: fc.nat({ max: 2 }),
          writer: fc.nat({ max: 2 }),
          kind: fc.constantFrom('in', 'in', 'out', 'denied', 'void', 'all'),
          member: fc.nat({ max: 1 }),
          // Around midnight at both ends of the day, or mid-day.
          minute: fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: -15, max: 15 }) },
            { weight: 3, arbitrary: fc.integer({ min: 1425, max: 1455 }) },
            { weight: 1, arbitrary: fc.integer({ min: 600, max: 620 }) },
          ),
          offline: fc.boolean(),
          target: fc.nat(),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({ type: fc.constant('store' as const), day: fc.nat({ max: 2 }) }),
      },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('reconnect' as const) }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('restart' as const) }) },
      {
        weight: 1,
        arbitrary: fc.record({ type: fc.constant('crash' as const), day: fc.nat({ max: 2 }) }),
      },
    );
    // Two databases for every round: the record's, and the rebuild's to compare it with.
    const [recordDb, rebuildDb] = [await openDatabase(), await openDatabase()];
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const r = await Recorded.reusing(recordDb);
        // The server's documents, and kiosk b's offline copies of them (delivered at reconnect).
        const server = DAYS.map(() => new Y.Doc());
        const offline = DAYS.map(() => new Y.Doc());
        const written: { writer: Writer; id: string }[] = [];
        let behind = false;
        for (const [n, o] of ops.entries()) {
          if (o.type === 'write') {
            const day = DAYS[o.day] as LocalDay;
            const writer = WRITERS[o.writer] as Writer;
            const staff = writer.role === 'staff';
            const member = `m${o.member}`;
            let event: NewEvent | null = null;
            if (o.kind === 'in') event = { kind: 'checkIn', memberId: member };
            if (o.kind === 'out') event = { kind: 'checkOut', memberId: member };
            if (o.kind === 'denied')
              event = { kind: 'denied', memberId: member, reason: 'expired' };
            const target = written[o.target % Math.max(1, written.length)];
            if (o.kind === 'void' && staff && target) {
              event = {
                kind: 'void',
                targetId: target.id,
                targetWriter: target.writer,
                reason: 'x',
              };
            }
            if (o.kind === 'all' && staff) event = { kind: 'checkOutAll' };
            if (!event) continue;
            const id = testEventId(at(day, o.minute), n);
            const doc = (o.offline && writer.id === 'b' ? offline : server)[o.day] as Y.Doc;
            recordEvent(doc, writer, event, {
              ...rec(at(day, o.minute), n),
              method: staff ? 'staff' : 'qr',
            });
            written.push({ writer, id });
          } else if (o.type === 'store') {
            await r.store(DAYS[o.day] as LocalDay, server[o.day] as Y.Doc);
            // Not only in the end: after every store.
            await expectRebuilt(r, rebuildDb);
          } else if (o.type === 'reconnect') {
            for (const [i, doc] of offline.entries())
              Y.applyUpdate(server[i] as Y.Doc, Y.encodeStateAsUpdate(doc));
          } else if (o.type === 'crash') {
            await r.store(DAYS[o.day] as LocalDay, server[o.day] as Y.Doc, false);
            behind = true;
            r.keeper = r.newKeeper();
            await r.keeper.catchUp();
            behind = false;
          } else {
            r.keeper = r.newKeeper();
            // Nothing was left behind: a start rebuilds nothing.
            expect(await r.keeper.catchUp()).toBe(0);
          }
        }
        expect(behind).toBe(false);

        await expectRebuilt(r, rebuildDb);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The record equals one rebuilt from scratch (in `db`, emptied) by a new keeper from the same
 * stored documents.
 */
async function expectRebuilt(r: Recorded, db: Database): Promise<void> {
  const fresh = await Recorded.reusing(db);
  const stored: LocalDay[] = [];
  for (const day of DAYS) {
    const state = await r.documents.fetch(checkinsDocName(SITE, day));
    if (state) {
      await fresh.documents.store(checkinsDocName(SITE, day), state);
      stored.push(day);
    }
  }
  for (const day of stored) await fresh.keeper.rebuild(SITE, day);
  expect(await r.rows()).toEqual(await fresh.rows());
}

function rec(time: number, n: number) {
  return { id: testEventId(time, n), at: time, clockTrusted: true, method: 'qr' } as const;
}
