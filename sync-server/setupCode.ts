import type { Sql } from './database';
import { hashSecret, newPairingCode } from './secrets';

/**
 * The one-time setup code that lets the first admin be created through the API (`POST
 * /api/setup`). Printed at start while no account exists; only its hash is stored.
 */
export async function createSetupCode(db: Sql): Promise<string> {
  const code = `${newPairingCode()}-${newPairingCode()}`;
  await db.run(
    `insert into meta (key, value) values ('setup_code', ?)
     on conflict (key) do update set value = excluded.value`,
    [hashSecret(code)],
  );
  return code;
}

/** True when `code` is the stored setup code (typed in any case). */
export async function isSetupCode(db: Sql, code: string): Promise<boolean> {
  const stored = await db.get<{ value: string }>("select value from meta where key = 'setup_code'");
  return stored !== undefined && stored.value === hashSecret(code.toUpperCase());
}

/**
 * Uses the setup code up: true when `code` was the stored one and is now gone. One conditional
 * delete, so of two requests with the code at once (really at once on PostgreSQL) only one gets
 * true; run it in the transaction that creates the admin, so a refused account keeps the code.
 */
export async function claimSetupCode(db: Sql, code: string): Promise<boolean> {
  const deleted = await db.run("delete from meta where key = 'setup_code' and value = ?", [
    hashSecret(code.toUpperCase()),
  ]);
  return deleted > 0;
}

/** Forgets the setup code: there is an account, so it may never be used. */
export async function clearSetupCode(db: Sql): Promise<void> {
  await db.run("delete from meta where key = 'setup_code'");
}
