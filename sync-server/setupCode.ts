import type { Db } from './database';
import { hashSecret, newPairingCode } from './secrets';

/**
 * The one-time setup code that lets the first admin be created through the API (`POST
 * /api/setup`). Printed at start while no account exists; only its hash is stored.
 */
export function createSetupCode(db: Db): string {
  const code = `${newPairingCode()}-${newPairingCode()}`;
  db.prepare("insert or replace into meta (key, value) values ('setup_code', ?)").run(
    hashSecret(code),
  );
  return code;
}

/** True when `code` is the stored setup code (typed in any case). */
export function isSetupCode(db: Db, code: string): boolean {
  const stored = db.prepare("select value from meta where key = 'setup_code'").get() as
    | { value: string }
    | undefined;
  return stored !== undefined && stored.value === hashSecret(code.toUpperCase());
}

/** Forgets the setup code: there is an account, so it may never be used. */
export function clearSetupCode(db: Db): void {
  db.prepare("delete from meta where key = 'setup_code'").run();
}
