import type { PublicOccupancyAnswer } from '../shared/apiProtocol';
import { checkinsDocName } from '../shared/docName';
import { addDays, type LocalDay, localDayOf } from '../shared/localTime';
import { occupancyBand } from '../shared/occupancyBand';
import type { SiteSettings } from '../shared/siteDoc';
import type { Device } from './DeviceRegistry';
import type { Sql } from './database';
import {
  DEFAULT_PEAK_WEEKS,
  hourSlots,
  peakHours,
  peakHoursPeriod,
  type WeekGrid,
} from './peakHours';
import type { Site } from './SiteRegistry';
import { siteNumbers } from './siteNumbers';
import type { SiteView } from './siteView';
import { readVisits } from './visitRecord';

/** What the public answer is made from: the record, the site's settings and its kiosks. */
export interface PublicOccupancySources {
  readonly db: Sql;
  readonly site: (siteId: string) => Site | null;
  readonly siteView: (siteId: string) => Promise<SiteView>;
  /** The site's kiosks, with the times the server last heard from each. */
  readonly devices: (siteId: string) => Promise<readonly Device[]>;
  /** Open connections on this instance, by device or account id. */
  readonly openBySubject: () => ReadonlyMap<string, number>;
}

/**
 * A site's public "how busy" answer at `now` ([P1]–[P2]), or null when there is none to give: no
 * such site, an archived one, or its page is off (the caller answers all three alike). Only the
 * band and, when the site shows it, the count: nothing about a member or a device is read into
 * it but how many are in and when the server last heard from the site.
 */
export async function readPublicOccupancy(
  sources: PublicOccupancySources,
  typical: TypicalHours,
  siteId: string,
  now: number,
): Promise<PublicOccupancyAnswer | null> {
  const site = sources.site(siteId);
  if (!site || site.archivedAt !== null) return null;
  const { settings } = await sources.siteView(siteId);
  if (settings.publicOccupancy === 'off') return null;
  const showCount = settings.publicOccupancy === 'count';
  const { timeZone, capacity } = settings;
  const today = localDayOf(now, timeZone);
  const { currentlyIn } = await siteNumbers(sources.db, siteId, timeZone, now);
  const { live, asOf } = await lastHeard(sources, siteId, today, now);
  const usual = await typical.at(siteId, settings, now);
  return {
    siteId,
    name: settings.name,
    timeZone,
    band: occupancyBand(currentlyIn, capacity),
    count: showCount ? currentlyIn : null,
    capacity: showCount ? capacity : null,
    typical: usual && {
      weekday: usual.weekday,
      hour: usual.hour,
      band: occupancyBand(usual.average, capacity),
      count: showCount ? Math.round(usual.average) : null,
    },
    live,
    asOf,
    ageSeconds: asOf === null ? null : Math.max(0, Math.round((now - asOf) / 1000)),
  };
}

/**
 * As of when the record describes the site ([P2]). Now while one of its kiosks is connected to
 * this instance: what it records reaches the record within the store's debounce. Otherwise the
 * server knows the site only up to the last time it heard from it: a kiosk's connect or
 * accepted update (`lastSeen`, `lastSync`, which every instance writes), or the last store of
 * today's or yesterday's document (a desk's corrections too). Null when nothing ever came.
 */
async function lastHeard(
  sources: PublicOccupancySources,
  siteId: string,
  today: LocalDay,
  now: number,
): Promise<{ live: boolean; asOf: number | null }> {
  const kiosks = (await sources.devices(siteId)).filter((device) => device.revokedAt === null);
  const open = sources.openBySubject();
  if (kiosks.some((kiosk) => (open.get(kiosk.id) ?? 0) > 0)) return { live: true, asOf: now };
  const stored = await sources.db.get<{ at: number | string | null }>(
    'select max(updated_at) as at from documents where name in (?, ?)',
    [checkinsDocName(siteId, addDays(today, -1)), checkinsDocName(siteId, today)],
  );
  let asOf = stored?.at === null || stored?.at === undefined ? null : Number(stored.at);
  for (const kiosk of kiosks)
    for (const at of [kiosk.lastSeen, kiosk.lastSync])
      if (at !== null && (asOf === null || at > asOf)) asOf = at;
  // A clock that was set back must not make an answer from the future.
  return { live: false, asOf: asOf === null ? null : Math.min(asOf, now) };
}

/** The typical occupancy of one local hour of one weekday. */
export interface TypicalHour {
  /** Monday 0 … Sunday 6, local. */
  readonly weekday: number;
  /** 0–23, local wall clock. */
  readonly hour: number;
  /** Average members present over the period's occurrences of that hour ([T4]). */
  readonly average: number;
}

/**
 * Peak hours for the public page: the same grid the Reports screen shows for the last
 * DEFAULT_PEAK_WEEKS weeks up to yesterday. It changes once a local day, so it is computed once
 * per site per day (and again when the zone or maximum stay changes), not with every answer: a
 * month of visits is read far less often than the answers are asked for ([P3]). One grid per
 * site is held; the caller asks only for existing sites.
 */
export class TypicalHours {
  private readonly db: Sql;
  private readonly grids = new Map<string, { key: string; grid: Promise<WeekGrid | null> }>();

  constructor(db: Sql) {
    this.db = db;
  }

  /** This local hour of this weekday at `now`; null while the record holds no visit in the period. */
  async at(siteId: string, settings: SiteSettings, now: number): Promise<TypicalHour | null> {
    const { timeZone, maxStayMinutes } = settings;
    const today = localDayOf(now, timeZone);
    const key = `${today}|${timeZone}|${maxStayMinutes}`;
    let held = this.grids.get(siteId);
    if (held?.key !== key) {
      held = { key, grid: this.grid(siteId, today, timeZone, maxStayMinutes, now) };
      this.grids.set(siteId, held);
      // A failed read is not kept: the next answer asks again.
      held.grid.catch(() => {
        if (this.grids.get(siteId) === held) this.grids.delete(siteId);
      });
    }
    const grid = await held.grid;
    if (grid === null) return null;
    const slot = hourSlots(today, today, timeZone).find((s) => s.start <= now && now < s.end);
    if (!slot) return null;
    return {
      weekday: slot.weekday,
      hour: slot.hour,
      average: grid[slot.weekday]?.[slot.hour] ?? 0,
    };
  }

  private async grid(
    siteId: string,
    today: LocalDay,
    timeZone: string,
    maxStayMinutes: number,
    now: number,
  ): Promise<WeekGrid | null> {
    const { from, to } = peakHoursPeriod(today, DEFAULT_PEAK_WEEKS);
    // Visits of the day before the period may last into its first hours, as in the report.
    const visits = await readVisits(this.db, {
      siteId,
      from: addDays(from, -1),
      to,
      order: 'asc',
      now,
    });
    if (!visits.some((visit) => visit.day >= from)) return null;
    return peakHours(visits, { timeZone, from, to, now, maxStayMs: maxStayMinutes * 60_000 });
  }
}
