import { isLocalDay, type LocalDay } from '../shared/localTime';
import type { Sql } from './database';

/** One row of the server's visit record (table `visits`, written by RecordKeeper). */
export interface RecordedVisit {
  /** The id of the check-in that started the visit (its writer is in the row, not here). */
  readonly id: string;
  /** Local day of the first check-in ([V8]). */
  readonly day: LocalDay;
  readonly memberId: string;
  readonly start: number;
  /** Null while the visit is open. */
  readonly end: number | null;
  /** `checkOut`, `reentry`, `checkOutAll` or `auto`; null while open. */
  readonly closedBy: string | null;
}

export interface VisitQuery {
  readonly siteId: string;
  /** First and last day (`visits.day`), both included. */
  readonly from: LocalDay;
  readonly to: LocalDay;
  /** Only this member's visits, when given. */
  readonly memberId?: string;
  /**
   * By start, then id (then writer: two writers' check-ins may share an id, [E2]): `asc` for a
   * report, `desc` for a member's history (newest first).
   */
  readonly order: 'asc' | 'desc';
  /** Open visits whose auto-close time has passed by then read as closed by it ([V7]). */
  readonly now: number;
}

/** Instants a Date can hold: a larger number in a row could not be shown as a time. */
const MAX_INSTANT = 8.64e15;

/**
 * The recorded visits of a site whose day is in a range. The table is ours, but a row that does
 * not read as a visit (a hand edit, a bug) is left out rather than breaking a report.
 */
export async function readVisits(db: Sql, query: VisitQuery): Promise<RecordedVisit[]> {
  const direction = query.order === 'desc' ? 'desc' : 'asc';
  const rows = await db.all<Record<string, unknown>>(
    `select id, day, member_id, start, "end", closed_by, auto_close_at from visits
     where site_id = ? and day between ? and ? ${query.memberId === undefined ? '' : 'and member_id = ?'}
     order by start ${direction}, id ${direction}, writer ${direction}`,
    [query.siteId, query.from, query.to, ...(query.memberId === undefined ? [] : [query.memberId])],
  );
  const visits: RecordedVisit[] = [];
  for (const row of rows) {
    const visit = visitOf(row, query.now);
    if (visit) visits.push(visit);
  }
  return visits;
}

/** A row as a visit, or null when it is not one. */
export function visitOf(row: Record<string, unknown>, now: number): RecordedVisit | null {
  const { id, day, member_id: memberId, start, end, closed_by: closedBy } = row;
  const autoCloseAt = row.auto_close_at;
  const instant = (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_INSTANT;
  if (typeof id !== 'string' || typeof memberId !== 'string' || !isLocalDay(day)) return null;
  if (!instant(start)) return null;
  if (end !== null && (!instant(end) || end < start)) return null;
  if (closedBy !== null && typeof closedBy !== 'string') return null;
  // The record is rewritten only when the day's document is stored: a visit nobody closed may
  // still be open in its row long after it closed by itself.
  if (end === null && instant(autoCloseAt) && autoCloseAt >= start && autoCloseAt <= now)
    return { id, day, memberId, start, end: autoCloseAt, closedBy: 'auto' };
  return { id, day, memberId, start, end, closedBy };
}
