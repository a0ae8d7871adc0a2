import type BetterSqlite3 from 'better-sqlite3';
import type { DayLedger } from '../shared/DayLedger';
import { type EventRef, parseEventRef, refOf } from '../shared/eventRef';
import type { CheckinEvent } from '../shared/events';
import type { LedgerChanges } from '../shared/LedgerJournal';
import type { LocalDay } from '../shared/localTime';
import type { Visit } from '../shared/pairVisits';
import { writerName } from '../shared/writer';
import type { Db } from './database';
import type { TimeSlicer } from './TimeSlicer';

/** The day's counts written beside its rows (`day_problems`). */
export interface DayCounts {
  readonly problems: number;
  readonly flags: number;
}

/**
 * Writes one day's rows of the SQL record (`events`, `visits`, `day_problems`) from the changes
 * of the ledger that owns the day ([R1]). Statements are prepared once; each transaction holds
 * what one slice wrote, so a day's first write (every row) never blocks the event loop for long,
 * and a store that changed three rows writes three rows.
 */
export class RecordRows {
  private readonly db: Db;
  private readonly upsertEvent: BetterSqlite3.Statement;
  private readonly deleteEvent: BetterSqlite3.Statement;
  private readonly deleteMemberVisits: BetterSqlite3.Statement;
  private readonly insertVisit: BetterSqlite3.Statement;
  private readonly upsertCounts: BetterSqlite3.Statement;
  private readonly eventKeysAfter: BetterSqlite3.Statement;
  private readonly visitKeysAfter: BetterSqlite3.Statement;
  private readonly deleteEventRow: BetterSqlite3.Statement;
  private readonly deleteVisitRow: BetterSqlite3.Statement;

  constructor(db: Db) {
    this.db = db;
    this.upsertEvent = db.prepare(
      `insert or replace into events (site_id, writer, id, day, kind, member_id, at, method, clock_trusted, detail)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // By day too: the same writer and id in another day's document is that day's row.
    this.deleteEvent = db.prepare(
      'delete from events where site_id = ? and writer = ? and id = ? and day = ?',
    );
    this.deleteMemberVisits = db.prepare(
      'delete from visits where site_id = ? and member_id = ? and day = ?',
    );
    // `or replace`: a writer that put one id in the documents of two days must not make storing
    // a document fail.
    this.insertVisit = db.prepare(
      `insert or replace into visits (site_id, writer, id, day, member_id, start, end, closed_by, auto_close_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.upsertCounts = db.prepare(
      `insert or replace into day_problems (site_id, day, problems, flags, updated_at) values (?, ?, ?, ?, ?)`,
    );
    this.eventKeysAfter = db.prepare(
      `select rowid, writer, id from events where site_id = ? and day = ? and rowid > ?
       order by rowid limit ?`,
    );
    this.visitKeysAfter = db.prepare(
      `select rowid, writer, id from visits where site_id = ? and day = ? and rowid > ?
       order by rowid limit ?`,
    );
    this.deleteEventRow = db.prepare('delete from events where rowid = ?');
    this.deleteVisitRow = db.prepare('delete from visits where rowid = ?');
  }

  /**
   * Writes what changed in `ledger` for `day`: events filed in the day's document, and the visits
   * that started in it ([V8]) of every member paired again. The ledger also holds the days around
   * it; their rows belong to their own ledgers.
   */
  async write(
    siteId: string,
    day: LocalDay,
    ledger: DayLedger,
    changes: LedgerChanges,
    counts: DayCounts,
    slicer: TimeSlicer,
  ): Promise<void> {
    const { upserted, removed, members } = changes;
    await this.inSlices(upserted, slicer, (event) => {
      if (event.docDay === day) this.upsertEvent.run(siteId, ...eventRow(event));
      // Held now as another day's variant ([E2]): not this day's row any more.
      else this.deleteEvent.run(siteId, writerName(event.writer), event.id, day);
    });
    await this.inSlices(removed, slicer, (ref) => {
      const parsed = parseEventRef(ref);
      if (parsed) this.deleteEvent.run(siteId, writerName(parsed.writer), parsed.id, day);
    });
    await this.inSlices(members, slicer, (memberId) => {
      this.deleteMemberVisits.run(siteId, memberId, day);
      for (const visit of ledger.visitsOf(memberId)) {
        if (visit.startEvent.docDay === day) this.insertVisit.run(siteId, ...visitRow(visit, day));
      }
    });
    this.upsertCounts.run(siteId, day, counts.problems, counts.flags, Date.now());
  }

  /**
   * Deletes the day's rows that `ledger` does not hold: rows of an earlier version of the record,
   * or of a write a crash cut short. Reads the rows a page at a time.
   */
  async removeStale(
    siteId: string,
    day: LocalDay,
    ledger: DayLedger,
    slicer: TimeSlicer,
  ): Promise<void> {
    const events = new Set<EventRef>();
    for (const event of ledger.events()) if (event.docDay === day) events.add(refOf(event));
    const visits = new Set<EventRef>();
    for (const visit of ledger.visits()) {
      if (visit.startEvent.docDay === day) visits.add(refOf(visit.startEvent));
    }
    await this.sweep(this.eventKeysAfter, this.deleteEventRow, siteId, day, events, slicer);
    await this.sweep(this.visitKeysAfter, this.deleteVisitRow, siteId, day, visits, slicer);
  }

  private async sweep(
    page: BetterSqlite3.Statement,
    remove: BetterSqlite3.Statement,
    siteId: string,
    day: LocalDay,
    keep: ReadonlySet<string>,
    slicer: TimeSlicer,
  ): Promise<void> {
    let after = 0;
    // Bounded: each page moves `after` past the rows it read.
    for (;;) {
      const rows = page.all(siteId, day, after, PAGE_ROWS) as {
        rowid: number;
        writer: string;
        id: string;
      }[];
      if (rows.length === 0) return;
      this.db.transaction(() => {
        for (const row of rows) {
          if (!keep.has(`${row.writer}/${row.id}`)) remove.run(row.rowid);
        }
      })();
      after = (rows[rows.length - 1] as { rowid: number }).rowid;
      await slicer.pause();
    }
  }

  /** Runs `write` for every item, one transaction per slice. */
  private async inSlices<T>(
    items: readonly T[],
    slicer: TimeSlicer,
    write: (item: T) => void,
  ): Promise<void> {
    let next = 0;
    while (next < items.length) {
      this.db.transaction(() => {
        do write(items[next++] as T);
        while (next < items.length && (next % CHECK_EVERY !== 0 || !slicer.due));
      })();
      await slicer.pause();
    }
  }
}

/** Rows read per page when sweeping a day for stale rows. */
const PAGE_ROWS = 500;
/** Rows written between two looks at the clock (a look costs more than a row). */
const CHECK_EVERY = 64;

function eventRow(event: CheckinEvent): unknown[] {
  const { id, kind, at, method, clockTrusted, writer } = event;
  const memberId = 'memberId' in event ? event.memberId : '';
  const detail = JSON.stringify({
    ...('reason' in event ? { reason: event.reason } : {}),
    ...('targetId' in event ? { targetId: event.targetId } : {}),
    ...('targetWriter' in event && event.targetWriter
      ? { targetWriter: writerName(event.targetWriter) }
      : {}),
    ...(event.location ? { location: event.location } : {}),
    ...(at !== event.recordedAt ? { recordedAt: event.recordedAt } : {}),
  });
  return [
    writerName(writer),
    id,
    event.docDay,
    kind,
    memberId,
    at,
    method,
    clockTrusted ? 1 : 0,
    detail,
  ];
}

/**
 * A visit as it follows from the documents, whatever the time: one nobody closed keeps `end`
 * null and closes at `auto_close_at` when read ([V7], `visitRecord.ts`).
 */
function visitRow(visit: Visit, day: LocalDay): unknown[] {
  return [
    writerName(visit.startEvent.writer),
    visit.id,
    day,
    visit.memberId,
    visit.start,
    visit.end,
    visit.closedBy,
    visit.autoCloseAt,
  ];
}
