import { addDays, type LocalDay, localDayOf } from '../shared/localTime';
import type { Sql } from './database';
import { type RecordedVisit, readVisits } from './visitRecord';

/** A site's headline numbers from the server's record, for the chain overview. */
export interface SiteNumbers {
  /** Members in now: an open visit of today or yesterday ([S1], [V7] applied at `now`). */
  readonly currentlyIn: number;
  /** Visits that started today, local to the site ([S2]). */
  readonly visitsToday: number;
}

/** The numbers `visits` (of the site's yesterday and today) give at `now`. */
export function numbersOf(visits: readonly RecordedVisit[], today: LocalDay): SiteNumbers {
  const inNow = new Set<string>();
  let visitsToday = 0;
  for (const visit of visits) {
    if (visit.day === today) visitsToday++;
    if (visit.end === null) inNow.add(visit.memberId);
  }
  return { currentlyIn: inNow.size, visitsToday };
}

/**
 * A site's numbers from the record. The record follows each store of the day's document ([R2]),
 * so it lags a check-in by the store's debounce (a few seconds); the dashboard's own numbers,
 * derived from the documents, are the live ones for the site it shows.
 */
export async function siteNumbers(
  db: Sql,
  siteId: string,
  timeZone: string,
  now: number,
): Promise<SiteNumbers> {
  const today = localDayOf(now, timeZone);
  const visits = await readVisits(db, {
    siteId,
    from: addDays(today, -1),
    to: today,
    order: 'asc',
    now,
  });
  return numbersOf(
    visits.filter((visit) => visit.start <= now),
    today,
  );
}
