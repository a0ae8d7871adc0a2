import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ENGINE, TEST_SCHEMA_PREFIX } from '../testing/testDatabase';
import { PostgresDatabase } from './PostgresDatabase';
import { POSTGRES_MIGRATIONS } from './postgresMigrations';

const url = process.env.DATABASE_URL ?? '';
const opened: PostgresDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function open(schema: string, onError?: (error: Error) => void): Promise<PostgresDatabase> {
  const db = await PostgresDatabase.open({ url, schema, ...(onError ? { onError } : {}) });
  opened.push(db);
  return db;
}

const freshSchema = () => `${TEST_SCHEMA_PREFIX}${randomBytes(8).toString('hex')}`;

// PostgreSQL only: the `postgres` project runs this file (vitest.config.ts).
describe.runIf(TEST_ENGINE === 'postgres')('PostgresDatabase', () => {
  it('migrates once when several instances start together on one schema', async () => {
    const schema = freshSchema();
    const all = await Promise.all([open(schema), open(schema), open(schema), open(schema)]);
    const applied = await all[0]?.all('select version from schema_migrations order by version');
    expect(applied).toEqual(POSTGRES_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
  });

  it('keeps each schema to itself: a second schema sees none of the first one’s rows', async () => {
    const a = await open(freshSchema());
    const b = await open(freshSchema());
    await a.run("insert into meta (key, value) values ('only', 'in a')");
    expect(await b.all('select * from meta')).toEqual([]);
    expect(a.lockKey('retention')).not.toEqual(b.lockKey('retention'));
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(PostgresDatabase.open({ url, schema: 'x; drop table y' })).rejects.toThrow(
      /not a schema name/,
    );
  });

  it('survives its connections being cut by the server: reported, not thrown, and the next query reconnects', async () => {
    const errors: Error[] = [];
    const schema = freshSchema();
    const db = await open(schema, (error) => errors.push(error));
    await db.run("insert into meta (key, value) values ('before', 'cut')");
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // This pool's connections, as PostgreSQL restarting would.
      const cut = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [`headcount ${schema}`],
      );
      expect(cut.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // The pool notices the cut (an idle client's error) and the next query opens a new one.
    let rows: unknown[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        rows = await db.all('select key from meta');
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(rows).toEqual([{ key: 'before' }]);
    expect(errors.length).toBeGreaterThan(0);
  });
});
