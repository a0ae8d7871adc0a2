import type { Logger } from 'pino';
import { checkinsDocName, parseDocName, siteDocName } from '../shared/docName';
import { addDays, localDayOf } from '../shared/localTime';
import { readSettings } from '../shared/siteDoc';
import type { DocumentStore } from './DocumentStore';
import type { Sql } from './database';
import { TimeSlicer } from './TimeSlicer';

export interface RetentionJobConfiguration {
  db: Sql;
  documents: DocumentStore;
  log: Logger;
  /** Documents in memory are skipped this round (a client is still syncing them). */
  isLoaded: (documentName: string) => boolean;
  /** How often the job runs, ms. Default one day; it also runs at start. */
  intervalMs?: number;
  /**
   * Runs a pass where nothing else writes the record meanwhile (the record's queue,
   * `RecordKeeper.exclusive`): a store's follow or a catch-up rebuild between two of its slices
   * could otherwise write rows again for a day it is deleting. Default: runs it at once.
   */
  exclusive?: (run: () => Promise<void>) => Promise<void>;
  /** Whether this instance runs the job now: once per cluster (`RecordWriter`). Default: yes. */
  runsHere?: () => boolean;
}

/**
 * Deletes visit records older than each site's retention setting (default 400 days, GDPR
 * art. 5(1)(e): no longer than needed) and drops the check-ins documents of those days.
 */
export class RetentionJob {
  private readonly configuration: RetentionJobConfiguration;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(configuration: RetentionJobConfiguration) {
    this.configuration = configuration;
  }

  start(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), this.configuration.intervalMs ?? 86_400_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.stopped = true;
  }

  /**
   * One pass over every site; resolves with how many days' documents were dropped. Rows go in
   * batches, one transaction each, yielding between them ([R3]): a first pass over a year of
   * busy days never stalls the check-ins flowing meanwhile.
   */
  async run(now = Date.now()): Promise<number> {
    const { log } = this.configuration;
    const exclusive = this.configuration.exclusive ?? ((run) => run());
    if (this.configuration.runsHere?.() === false) return 0;
    let dropped = 0;
    try {
      await exclusive(async () => {
        dropped = await this.sweep(now);
      });
    } catch (error) {
      // Stopped: the server is closing, and the next start runs it again.
      if (!this.stopped) log.error({ err: error }, 'retention job failed');
    }
    if (dropped > 0) log.info({ dropped }, 'retention: dropped old days');
    return dropped;
  }

  private async sweep(now: number): Promise<number> {
    const { db, documents } = this.configuration;
    const slicer = new TimeSlicer();
    let dropped = 0;
    const sites = await db.all<{ id: string; time_zone: string }>(
      'select id, time_zone from sites',
    );
    for (const site of sites) {
      if (this.stopped) break;
      const siteDoc = await documents.load(siteDocName(site.id));
      const settings = siteDoc ? readSettings(siteDoc).settings : null;
      const timeZone = settings?.timeZone ?? site.time_zone;
      const cutoff = addDays(localDayOf(now, timeZone), -(settings?.retentionDays ?? 400));
      for (const [table, key] of [
        ['events', 'site_id, writer, id'],
        ['visits', 'site_id, writer, id'],
        ['day_problems', 'site_id, day'],
      ] as const) {
        // A batch by primary key (row values: the same text on both engines).
        const batch = `delete from ${table} where (${key}) in
          (select ${key} from ${table} where site_id = ? and day < ? limit ${DELETE_BATCH})`;
        // Bounded: every batch deletes rows, and nothing else writes the record meanwhile.
        while (!this.stopped && (await db.run(batch, [site.id, cutoff])) > 0) await slicer.pause();
      }
      const prefix = checkinsDocName(site.id, '2000-01-01').slice(0, -10);
      for (const name of await documents.names(prefix)) {
        const parsed = parseDocName(name);
        if (
          !this.stopped &&
          parsed?.kind === 'checkins' &&
          parsed.day < cutoff &&
          !this.configuration.isLoaded(name)
        ) {
          await documents.delete(name);
          dropped++;
          await slicer.pause();
        }
      }
    }
    return dropped;
  }
}

/** Rows deleted per statement: about a millisecond of work on this machine. */
const DELETE_BATCH = 500;
