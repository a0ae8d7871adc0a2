import type * as Y from 'yjs';
import { siteDocName } from '../shared/docName';
import { readSettings } from '../shared/siteDoc';
import type { DocumentStore } from './DocumentStore';
import type { Sql } from './storage/Sql';

/**
 * Each site's time zone, known without waiting for the database: access checks ask for a site's
 * local day on every connection. Read from the site's document while it is open (so a change in
 * Settings applies at once), otherwise as last read; `refresh` reads it from storage (the stored
 * document, else the zone the site was created with).
 */
export class SiteZones {
  private readonly known = new Map<string, string>();
  private readonly db: Sql;
  private readonly documents: DocumentStore;
  private readonly open: (name: string) => Y.Doc | undefined;

  constructor(options: {
    db: Sql;
    documents: DocumentStore;
    /** The site document when a client has it open. */
    open: (name: string) => Y.Doc | undefined;
  }) {
    this.db = options.db;
    this.documents = options.documents;
    this.open = options.open;
  }

  /** The site's zone now; UTC for a site never read (there is none: `refreshAll` reads every one). */
  get(siteId: string): string {
    const live = this.open(siteDocName(siteId));
    if (live) this.known.set(siteId, readSettings(live).settings.timeZone);
    return this.known.get(siteId) ?? 'UTC';
  }

  /** Reads the site's zone from storage. */
  async refresh(siteId: string): Promise<string> {
    const doc = this.open(siteDocName(siteId)) ?? (await this.documents.load(siteDocName(siteId)));
    let zone = doc ? readSettings(doc).settings.timeZone : null;
    if (zone === null) {
      const row = await this.db.get<{ time_zone: string }>(
        'select time_zone from sites where id = ?',
        [siteId],
      );
      zone = row?.time_zone ?? 'UTC';
    }
    this.known.set(siteId, zone);
    return zone;
  }

  /** Reads every site's zone (at start). */
  async refreshAll(): Promise<void> {
    const rows = await this.db.all<{ id: string }>('select id from sites');
    for (const { id } of rows) await this.refresh(id);
  }
}
