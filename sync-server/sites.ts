import type { Db } from './database';

/** Creates the configured site on first use; returns true when it was created now. */
export function ensureSite(db: Db, id: string, timeZone: string): boolean {
  const result = db
    .prepare('insert or ignore into sites (id, name, time_zone, created_at) values (?, ?, ?, ?)')
    .run(id, id, timeZone, Date.now());
  return result.changes > 0;
}

export function siteExists(db: Db, id: string): boolean {
  return db.prepare('select 1 from sites where id = ?').get(id) !== undefined;
}
