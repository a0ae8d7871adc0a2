import * as Y from 'yjs';
import { isSiteId, siteDocName } from '../shared/docName';
import { isValidTimeZone } from '../shared/localTime';
import { readSettings, writeSettings } from '../shared/siteDoc';
import type { Sql } from './storage/Sql';

/** A site as the server lists it ([C1]). Name and time zone follow its document's settings. */
export interface Site {
  readonly id: string;
  readonly name: string;
  readonly timeZone: string;
  readonly createdAt: number;
  /** When an admin archived it ([C2]); null while it takes check-ins. */
  readonly archivedAt: number | null;
}

/** Words a member's access is written with ([M5]): a site of that id could not be listed. */
const RESERVED_SITE_IDS: readonly string[] = ['home', 'all'];

export class SiteError extends Error {
  readonly code: 'invalid' | 'site-exists' | 'no-such-site';
  constructor(code: SiteError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

interface Row {
  id: string;
  name: string;
  time_zone: string;
  created_at: number;
  archived_at: number | null;
}

/**
 * The chain's sites: the `sites` table, held in memory too, because every access check asks
 * whether a document's site exists and takes check-ins, and for its local day. A site's name and
 * time zone live in its document ([D2]); the table follows the document whenever it is stored
 * (`noteSettings`), and while the document is open its settings are read from it directly.
 */
export class SiteRegistry {
  private readonly db: Sql;
  private readonly open: (name: string) => Y.Doc | undefined;
  private readonly known = new Map<string, Site>();
  private readonly onArchived: (siteId: string) => void;
  /** Counts this registry's own changes: a reload that saw the table before one is not used. */
  private generation = 0;

  constructor(options: {
    db: Sql;
    /** The site document when a client has it open. */
    open: (name: string) => Y.Doc | undefined;
    /** A reload found a site archived elsewhere (the CLI, another instance): close its sockets. */
    onArchived?: (siteId: string) => void;
  }) {
    this.db = options.db;
    this.open = options.open;
    this.onArchived = options.onArchived ?? (() => {});
  }

  /**
   * Reads every site again (at start, then every so often). A read that a change of this
   * registry overtook is dropped (the next one sees the change); a site found archived since the
   * last read has its sockets closed.
   */
  async load(): Promise<void> {
    const generation = this.generation;
    const rows = await this.db.all<Row>(
      'select id, name, time_zone, created_at, archived_at from sites',
    );
    if (generation !== this.generation) return;
    const before = new Map(this.known);
    this.known.clear();
    for (const row of rows) this.known.set(row.id, siteOf(row));
    for (const site of this.known.values()) {
      const was = before.get(site.id);
      if (site.archivedAt !== null && was !== undefined && was.archivedAt === null)
        this.onArchived(site.id);
    }
  }

  /** Every site, by name. */
  list(): Site[] {
    return [...this.known.values()]
      .map((site) => this.withLiveSettings(site))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  get(id: string): Site | null {
    const site = this.known.get(id);
    return site ? this.withLiveSettings(site) : null;
  }

  /** For access checks: whether the site exists and takes check-ins. */
  state(id: string): 'open' | 'archived' | null {
    const site = this.known.get(id);
    return site ? (site.archivedAt === null ? 'open' : 'archived') : null;
  }

  /** The site's time zone now (UTC for a site that does not exist). */
  zone(id: string): string {
    return this.get(id)?.timeZone ?? 'UTC';
  }

  /**
   * Creates a site with its document (name and time zone in its settings); returns it, and
   * whether it was created now (false: it existed, and is returned unchanged).
   */
  async create(input: {
    id: string;
    name: string;
    timeZone: string;
    now?: number;
  }): Promise<{ site: Site; created: boolean }> {
    const { id, name, timeZone, now = Date.now() } = input;
    if (!isSiteId(id))
      throw new SiteError('invalid', 'id: a lower-case slug like "hilltop" (letters, digits, -)');
    if (RESERVED_SITE_IDS.includes(id))
      throw new SiteError(
        'invalid',
        `id: "${id}" is a word of member access ([M5]); choose another`,
      );
    if (!isValidTimeZone(timeZone))
      throw new SiteError('invalid', `timeZone: unknown time zone ${JSON.stringify(timeZone)}`);
    const cleanName = name.trim().slice(0, 60) || id;
    // The document starts with the name and zone, so every device derives the same local days
    // from the first scan on (an empty document would mean UTC). Row and document together:
    // a site never exists without its settings.
    const doc = new Y.Doc();
    writeSettings(doc, { name: cleanName, timeZone });
    this.generation++;
    const inserted = await this.db.transaction(async (tx) => {
      const row = await tx.get<Row>(
        `insert into sites (id, name, time_zone, created_at) values (?, ?, ?, ?)
         on conflict (id) do nothing returning id, name, time_zone, created_at, archived_at`,
        [id, cleanName, timeZone, now],
      );
      if (row) {
        await tx.run(
          `insert into documents (name, state, updated_at, version) values (?, ?, ?, 1)
           on conflict (name) do nothing`,
          [siteDocName(id), Y.encodeStateAsUpdate(doc), now],
        );
      }
      return row;
    });
    if (!inserted) {
      await this.refresh(id);
      return { site: this.get(id) as Site, created: false };
    }
    const site = siteOf(inserted);
    this.known.set(id, site);
    return { site, created: true };
  }

  /** Archives or restores a site ([C2]); returns it. */
  async setArchived(id: string, archived: boolean, now = Date.now()): Promise<Site> {
    this.generation++;
    const row = await this.db.get<Row>(
      `update sites set archived_at = ? where id = ?
       returning id, name, time_zone, created_at, archived_at`,
      [archived ? now : null, id],
    );
    if (!row) throw new SiteError('no-such-site', `no site ${id.slice(0, 64)}`);
    this.known.set(id, siteOf(row));
    return this.get(id) as Site;
  }

  /** Follows a stored site document: its name and time zone into the table. */
  async noteSettings(id: string, doc: Y.Doc): Promise<void> {
    const site = this.known.get(id);
    if (!site) return;
    const { name, timeZone } = readSettings(doc).settings;
    const shown = name || id;
    if (shown === site.name && timeZone === site.timeZone) return;
    this.generation++;
    this.known.set(id, { ...site, name: shown, timeZone });
    await this.db.run('update sites set name = ?, time_zone = ? where id = ?', [
      shown,
      timeZone,
      id,
    ]);
  }

  /** Reads one site again from the table. */
  async refresh(id: string): Promise<void> {
    const row = await this.db.get<Row>(
      'select id, name, time_zone, created_at, archived_at from sites where id = ?',
      [id],
    );
    if (row) this.known.set(id, siteOf(row));
    else this.known.delete(id);
  }

  private withLiveSettings(site: Site): Site {
    const live = this.open(siteDocName(site.id));
    if (!live) return site;
    const { name, timeZone } = readSettings(live).settings;
    return { ...site, name: name || site.id, timeZone };
  }
}

function siteOf(row: Row): Site {
  return {
    id: row.id,
    name: row.name,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    archivedAt: row.archived_at,
  };
}
