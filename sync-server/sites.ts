import type { Sql } from './database';

/** Creates the configured site on first use; resolves to true when it was created now. */
export async function ensureSite(db: Sql, id: string, timeZone: string): Promise<boolean> {
  const created = await db.run(
    'insert into sites (id, name, time_zone, created_at) values (?, ?, ?, ?) on conflict (id) do nothing',
    [id, id, timeZone, Date.now()],
  );
  return created > 0;
}

export async function siteExists(db: Sql, id: string): Promise<boolean> {
  return (await db.get('select 1 as found from sites where id = ?', [id])) !== undefined;
}

/** Every site's id, in order (the CLI names them when asked for one that does not exist). */
export async function siteIds(db: Sql): Promise<string[]> {
  return (await db.all<{ id: string }>('select id from sites order by id')).map((s) => s.id);
}
