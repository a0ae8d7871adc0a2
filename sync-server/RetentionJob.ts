import type { Logger } from 'pino';
import { checkinsDocName, parseDocName, siteDocName } from '../shared/docName';
import { addDays, localDayOf } from '../shared/localTime';
import { readSettings } from '../shared/siteDoc';
import type { DocumentStore } from './DocumentStore';
import type { Db } from './database';

export interface RetentionJobConfiguration {
  db: Db;
  documents: DocumentStore;
  log: Logger;
  /** Documents in memory are skipped this round (a client is still syncing them). */
  isLoaded: (documentName: string) => boolean;
  /** How often the job runs, ms. Default one day; it also runs at start. */
  intervalMs?: number;
}

/**
 * Deletes visit records older than each site's retention setting (default 400 days, GDPR
 * art. 5(1)(e): no longer than needed) and drops the check-ins documents of those days.
 */
export class RetentionJob {
  private readonly configuration: RetentionJobConfiguration;
  private timer: NodeJS.Timeout | null = null;

  constructor(configuration: RetentionJobConfiguration) {
    this.configuration = configuration;
  }

  start(): void {
    this.run();
    this.timer = setInterval(() => this.run(), this.configuration.intervalMs ?? 86_400_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over every site; returns how many days' documents were dropped. */
  run(now = Date.now()): number {
    const { db, documents, log } = this.configuration;
    let dropped = 0;
    try {
      const sites = db.prepare('select id, time_zone from sites').all() as {
        id: string;
        time_zone: string;
      }[];
      for (const site of sites) {
        const siteDoc = documents.load(siteDocName(site.id));
        const settings = siteDoc ? readSettings(siteDoc).settings : null;
        const timeZone = settings?.timeZone ?? site.time_zone;
        const cutoff = addDays(localDayOf(now, timeZone), -(settings?.retentionDays ?? 400));
        db.prepare('delete from events where site_id = ? and day < ?').run(site.id, cutoff);
        db.prepare('delete from visits where site_id = ? and day < ?').run(site.id, cutoff);
        db.prepare('delete from day_problems where site_id = ? and day < ?').run(site.id, cutoff);
        for (const name of documents.names(checkinsDocName(site.id, '2000-01-01').slice(0, -10))) {
          const parsed = parseDocName(name);
          if (
            parsed?.kind === 'checkins' &&
            parsed.day < cutoff &&
            !this.configuration.isLoaded(name)
          ) {
            documents.delete(name);
            dropped++;
          }
        }
      }
    } catch (error) {
      log.error({ err: error }, 'retention job failed');
    }
    if (dropped > 0) log.info({ dropped }, 'retention: dropped old days');
    return dropped;
  }
}
