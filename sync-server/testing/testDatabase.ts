import { createHash, randomBytes } from 'node:crypto';
import { afterEach, inject } from 'vitest';
import { type Database, PostgresDatabase, SqliteDatabase } from '../database';

/**
 * Which engine this run's server tests use. The `node` project runs them on SQLite; the
 * `postgres` project (vitest.config.ts, only when DATABASE_URL is set) runs the same files again
 * with HEADCOUNT_TEST_ENGINE=postgres against DATABASE_URL, each server in a schema of its own.
 */
export const TEST_ENGINE: 'sqlite' | 'postgres' =
  process.env.HEADCOUNT_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** Prefix of every schema this run creates (the project's teardown drops them). */
export const TEST_SCHEMA_PREFIX =
  TEST_ENGINE === 'postgres' ? inject('headcountSchemaPrefix') : 'hct_unused_';

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('HEADCOUNT_TEST_ENGINE=postgres needs DATABASE_URL');
  return url;
}

/**
 * The schema of a server started on `dataDir`: the same directory gives the same schema, so a
 * test that restarts a server on its data finds its PostgreSQL data too.
 */
export function schemaFor(dataDir: string): string {
  return `${TEST_SCHEMA_PREFIX}${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
}

/**
 * Environment for a test server on `dataDir`: its own schema on PostgreSQL; on SQLite an empty
 * DATABASE_URL, so that a server process started with this run's environment (which may hold
 * DATABASE_URL for the `postgres` project) uses SQLite in DATA_DIR as its test expects.
 */
export function databaseEnv(dataDir: string): Record<string, string> {
  return TEST_ENGINE === 'postgres'
    ? { DATABASE_URL: databaseUrl(), DATABASE_SCHEMA: schemaFor(dataDir) }
    : { DATABASE_URL: '' };
}

/**
 * A fresh, empty database of this run's engine for tests below the server (SQLite in memory, or a
 * new PostgreSQL schema); closed after each test.
 */
export function testDatabases(): () => Promise<Database> {
  const open: Database[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
  });
  return async () => {
    const db =
      TEST_ENGINE === 'postgres'
        ? await PostgresDatabase.open({
            url: databaseUrl(),
            schema: `${TEST_SCHEMA_PREFIX}${randomBytes(8).toString('hex')}`,
          })
        : SqliteDatabase.open(':memory:');
    open.push(db);
    return db;
  };
}
