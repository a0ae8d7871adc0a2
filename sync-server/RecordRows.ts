import type { DayLedger } from '../shared/DayLedger';
import { type EventRef, parseEventRef, refOf } from '../shared/eventRef';
import type { CheckinEvent } from '../shared/events';
import type { LedgerChanges } from '../shared/LedgerJournal';
import type { LocalDay } from '../shared/localTime';
import type { Visit } from '../shared/pairVisits';
import { writerName } from '../shared/writer';
import type { Sql, SqlParam } from './database';
import type { TimeSlicer } from './TimeSlicer';

/**
 * Where the record tells of events it holds for the first time ([I3]): webhook deliveries,
 * written in the same transaction as the events' rows.
 */
export interface RecordOutbox {
  /** Whether anyone listens to `siteId`: when nobody does, no row is looked up. */
  listensTo(siteId: string): boolean;
  /** Writes what to tell of `events`, new to the record, in `tx`. */
  told(tx: Sql, siteId: string, events: readonly CheckinEvent[], ledger: DayLedger): Promise<void>;
}

/** The day's counts written beside its rows (`day_problems`). */
export interface DayCounts {
  readonly problems: number;
  readonly flags: number;
}

/**
 * Writes one day's rows of the SQL record (`events`, `visits`, `day_problems`) from the changes
 * of the ledger that owns the day ([R1]). Each transaction holds what one slice wrote, so a day's
 * first write (every row) never blocks the event loop for long, and a store that changed three
 * rows writes three rows.
 */
export class RecordRows {
  private readonly db: Sql;
  private readonly fence: (tx: Sql) => Promise<void>;
  private readonly outbox: RecordOutbox | null;

  /**
   * `fence` runs first in each transaction and throws when this instance may not write the
   * record any more (`RecordWriter.fence`).
   */
  constructor(
    db: Sql,
    fence: (tx: Sql) => Promise<void> = async () => {},
    outbox: RecordOutbox | null = null,
  ) {
    this.db = db;
    this.fence = fence;
    this.outbox = outbox;
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
    const rows = new Map<string, { row: SqlParam[]; event: CheckinEvent }>();
    const gone = new Map<string, SqlParam[]>();
    for (const event of upserted) {
      const key = [writerName(event.writer), event.id];
      // Held now as another day's variant ([E2]): not this day's row any more.
      // The last word on a key wins, as when each was written in turn.
      if (event.docDay === day) {
        rows.set(key.join('/'), { row: [siteId, ...eventRow(event)], event });
        gone.delete(key.join('/'));
      } else {
        gone.set(key.join('/'), key);
        rows.delete(key.join('/'));
      }
    }
    for (const ref of removed) {
      const parsed = parseEventRef(ref);
      if (parsed) gone.set(ref, [writerName(parsed.writer), parsed.id]);
    }
    // Keyed, so that one statement never names a row twice (PostgreSQL refuses an upsert that
    // would change a row twice).
    const outbox = this.outbox?.listensTo(siteId) ? this.outbox : null;
    await this.inBatches([...rows.values()], slicer, async (tx, batch) => {
      // Only events the record did not hold are told ([I3]): a rebuild tells nothing again.
      const held = outbox ? await heldKeys(tx, siteId, batch) : null;
      await tx.run(
        upsert('events', EVENT_COLUMNS, EVENT_UPDATES, batch.length),
        batch.flatMap((item) => item.row),
      );
      if (outbox && held) {
        const fresh = batch.filter((item) => !held.has(`${item.row[1]}/${item.row[2]}`));
        if (fresh.length > 0)
          await outbox.told(
            tx,
            siteId,
            fresh.map((item) => item.event),
            ledger,
          );
      }
    });
    await this.inBatches([...gone.values()], slicer, (tx, batch) =>
      tx.run(
        `delete from events where site_id = ? and day = ? and (writer, id) in (${tuples(batch.length, 2)})`,
        [siteId, day, ...batch.flat()],
      ),
    );
    await this.inBatches(members, slicer, async (tx, batch) => {
      await tx.run(
        `delete from visits where site_id = ? and day = ? and member_id in (${marks(batch.length)})`,
        [siteId, day, ...batch],
      );
      const visits = new Map<string, SqlParam[]>();
      for (const memberId of batch) {
        for (const visit of ledger.visitsOf(memberId)) {
          if (visit.startEvent.docDay !== day) continue;
          const row = [siteId, ...visitRow(visit, day)];
          visits.set(`${row[1]}/${row[2]}`, row);
        }
      }
      const all = [...visits.values()];
      for (let i = 0; i < all.length; i += BATCH_ROWS) {
        const chunk = all.slice(i, i + BATCH_ROWS);
        await tx.run(upsert('visits', VISIT_COLUMNS, VISIT_UPDATES, chunk.length), chunk.flat());
      }
    });
    await this.db.transaction(async (tx) => {
      await this.fence(tx);
      await tx.run(UPSERT_COUNTS, [siteId, day, counts.problems, counts.flags, Date.now()]);
    });
  }

  /**
   * Deletes the day's rows that `ledger` does not hold: rows of an earlier version of the record,
   * or of a write a crash cut short. Reads the rows a page at a time, in key order.
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
    await this.sweep('events', siteId, day, events, slicer);
    await this.sweep('visits', siteId, day, visits, slicer);
  }

  private async sweep(
    table: 'events' | 'visits',
    siteId: string,
    day: LocalDay,
    keep: ReadonlySet<string>,
    slicer: TimeSlicer,
  ): Promise<void> {
    let after: { writer: string; id: string } | null = null;
    // Bounded: each page moves `after` past the rows it read.
    for (;;) {
      const rows: { writer: string; id: string }[] =
        after === null
          ? await this.db.all(
              `select writer, id from ${table} where site_id = ? and day = ?
               order by writer, id limit ?`,
              [siteId, day, PAGE_ROWS],
            )
          : await this.db.all(
              `select writer, id from ${table} where site_id = ? and day = ? and (writer, id) > (?, ?)
               order by writer, id limit ?`,
              [siteId, day, after.writer, after.id, PAGE_ROWS],
            );
      if (rows.length === 0) return;
      const stale = rows
        .filter((row) => !keep.has(`${row.writer}/${row.id}`))
        .map((row) => [row.writer, row.id]);
      await this.inBatches(stale, slicer, (tx, batch) =>
        tx.run(
          `delete from ${table} where site_id = ? and day = ? and (writer, id) in (${tuples(batch.length, 2)})`,
          [siteId, day, ...batch.flat()],
        ),
      );
      after = rows[rows.length - 1] as { writer: string; id: string };
      await slicer.pause();
    }
  }

  /**
   * Runs `write` for the items in batches of at most BATCH_ROWS (one statement each, not one per
   * row: on PostgreSQL every statement is a round trip), one transaction per slice; yields
   * between transactions.
   */
  private async inBatches<T>(
    items: readonly T[],
    slicer: TimeSlicer,
    write: (tx: Sql, batch: T[]) => Promise<unknown>,
  ): Promise<void> {
    let next = 0;
    while (next < items.length) {
      await this.db.transaction(async (tx) => {
        await this.fence(tx);
        do {
          const batch = items.slice(next, next + batchSize(items.length - next));
          next += batch.length;
          await write(tx, batch);
        } while (next < items.length && !slicer.due);
      });
      await slicer.pause();
    }
  }
}

/**
 * Rows per statement at most. Batches are powers of two (64, 32, … 1), so each statement has one
 * of seven shapes, prepared once on SQLite.
 */
const BATCH_ROWS = 64;

function batchSize(left: number): number {
  let size = BATCH_ROWS;
  while (size > left) size /= 2;
  return size;
}

/** `?, ?, ?` */
function marks(n: number): string {
  return Array(n).fill('?').join(', ');
}

/** `(?, ?), (?, ?)`: n tuples of `width` placeholders. */
function tuples(n: number, width: number): string {
  return Array(n)
    .fill(`(${marks(width)})`)
    .join(', ');
}

function upsert(table: string, columns: readonly string[], updates: string, rows: number): string {
  return `insert into ${table} (${columns.join(', ')}) values ${tuples(rows, columns.length)}
    on conflict (site_id, writer, id) do update set ${updates}`;
}

const EVENT_COLUMNS = [
  'site_id',
  'writer',
  'id',
  'day',
  'kind',
  'member_id',
  'at',
  'method',
  'clock_trusted',
  'detail',
] as const;
const EVENT_UPDATES = `day = excluded.day, kind = excluded.kind, member_id = excluded.member_id,
  at = excluded.at, method = excluded.method, clock_trusted = excluded.clock_trusted,
  detail = excluded.detail`;
// An upsert: a writer that put one id in the documents of two days must not make storing a
// document fail.
const VISIT_COLUMNS = [
  'site_id',
  'writer',
  'id',
  'day',
  'member_id',
  'start',
  '"end"',
  'closed_by',
  'auto_close_at',
] as const;
const VISIT_UPDATES = `day = excluded.day, member_id = excluded.member_id, start = excluded.start,
  "end" = excluded."end", closed_by = excluded.closed_by, auto_close_at = excluded.auto_close_at`;
const UPSERT_COUNTS = `insert into day_problems (site_id, day, problems, flags, updated_at)
  values (?, ?, ?, ?, ?)
  on conflict (site_id, day) do update set problems = excluded.problems, flags = excluded.flags,
    updated_at = excluded.updated_at`;

/** The `writer/id` keys of the batch's events that the record already holds, in any day. */
async function heldKeys(
  tx: Sql,
  siteId: string,
  batch: readonly { row: SqlParam[] }[],
): Promise<Set<string>> {
  const found = await tx.all<{ writer: string; id: string }>(
    `select writer, id from events where site_id = ? and (writer, id) in (${tuples(batch.length, 2)})`,
    [siteId, ...batch.flatMap((item) => [item.row[1] as SqlParam, item.row[2] as SqlParam])],
  );
  return new Set(found.map((row) => `${row.writer}/${row.id}`));
}

/** Rows read per page when sweeping a day for stale rows. */
const PAGE_ROWS = 500;

function eventRow(event: CheckinEvent): SqlParam[] {
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
function visitRow(visit: Visit, day: LocalDay): SqlParam[] {
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
