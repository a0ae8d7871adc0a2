import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Prefix of the PostgreSQL schemas this run creates (`testDatabase.ts`). */
    headcountSchemaPrefix: string;
  }
}

/**
 * Global setup of the `postgres` test project: names this run's schema prefix (so that two runs
 * on one database never touch each other's schemas) and drops every schema of the run at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prefix = `hct_${randomBytes(4).toString('hex')}_`;
  project.provide('headcountSchemaPrefix', prefix);
  return async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `select nspname as name from pg_namespace where starts_with(nspname, $1)`,
        [prefix],
      );
      for (const { name } of rows) await client.query(`drop schema ${name} cascade`);
    } finally {
      await client.end();
    }
  };
}
