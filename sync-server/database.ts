import type { Config } from './config';
import { PostgresDatabase } from './storage/PostgresDatabase';
import type { Database } from './storage/Sql';
import { SqliteDatabase } from './storage/SqliteDatabase';

export type { Database, Sql, SqlParam } from './storage/Sql';
export { PostgresDatabase, SqliteDatabase };

/**
 * The server's database: PostgreSQL at DATABASE_URL (in DATABASE_SCHEMA) when set, otherwise
 * SQLite in DATA_DIR. Either way migrated to the current schema before it is returned.
 */
export async function openDatabase(
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'databaseSchema'>,
  options: { onError?: (error: Error) => void } = {},
): Promise<Database> {
  if (config.databaseUrl === null) return SqliteDatabase.open(config.dataDir);
  return PostgresDatabase.open({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    ...(options.onError ? { onError: options.onError } : {}),
  });
}
