import { randomUUID } from 'node:crypto';
import type { Sql } from './database';
import {
  AccountError,
  MIN_PASSWORD,
  normalizeUsername,
  STAFF_ROLES,
  type StaffMember,
  type StaffRole,
} from './StaffAccounts';
import { hashPassword, hashSecret, newPairingCode, normalizePairingCode } from './secrets';
import { isUniqueViolation } from './storage/sqlErrors';

/** An account as the Staff screen lists it. */
export interface Account extends StaffMember {
  readonly createdAt: number;
  /** When it was disabled; null while it may sign in. */
  readonly disabledAt: number | null;
  /** True until its person has chosen a password with their set-up code. */
  readonly setupPending: boolean;
}

/** A set-up code lives this long, milliseconds: a day to pass it on and use it. */
export const SETUP_CODE_TTL_MS = 24 * 3_600_000;
/** The password hash of an account nobody can sign in to until its set-up code is used. */
const NO_PASSWORD = 'set-up-pending';
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;

interface Row {
  id: string;
  site_id: string | null;
  username: string;
  password_hash: string;
  role: StaffRole;
  created_at: number;
  disabled_at: number | null;
}

/**
 * What admins do with accounts ([C4]–[C5]): list them, make one with a one-time set-up code (so
 * nobody types another person's password), change its role or site, disable it (its sessions end
 * with it), delete it, and reset it (a new set-up code; the old password stops working). Signing
 * in and sessions are `StaffAccounts`'.
 */
export class AccountAdmin {
  private readonly db: Sql;

  constructor(db: Sql) {
    this.db = db;
  }

  /** Every account, by username. */
  async list(): Promise<Account[]> {
    const rows = await this.db.all<Row>(
      `select id, site_id, username, password_hash, role, created_at, disabled_at from staff
       order by username`,
    );
    return rows.map(accountOf);
  }

  async get(id: string): Promise<Account | null> {
    const row = await this.db.get<Row>(
      `select id, site_id, username, password_hash, role, created_at, disabled_at from staff
       where id = ?`,
      [id],
    );
    return row ? accountOf(row) : null;
  }

  /** Makes an account without a password; returns it and its set-up code. */
  async invite(
    input: { username: string; role: StaffRole; siteId: string | null },
    now = Date.now(),
  ): Promise<{ account: Account; code: string; expiresAt: number }> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username))
      throw new AccountError('username: 2–40 of a-z, 0-9, ".", "_", "-"');
    checkRole(input.role, input.siteId);
    const id = randomUUID();
    const code = newSetupCode();
    try {
      await this.db.transaction(async (tx) => {
        await tx.run(
          `insert into staff (id, site_id, username, password_hash, role, created_at)
           values (?, ?, ?, ?, ?, ?)`,
          [
            id,
            input.role === 'admin' ? null : input.siteId,
            username,
            NO_PASSWORD,
            input.role,
            now,
          ],
        );
        await tx.run('insert into account_setup (hash, staff_id, expires_at) values (?, ?, ?)', [
          hashSecret(code),
          id,
          now + SETUP_CODE_TTL_MS,
        ]);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AccountError(`username: ${username} is taken`);
      throw error;
    }
    return { account: (await this.get(id)) as Account, code, expiresAt: now + SETUP_CODE_TTL_MS };
  }

  /**
   * Uses a set-up code once: sets its account's password and returns the account, or null for a
   * code that is unknown, used, expired or of a disabled account. One conditional update takes
   * the code, so two requests with it cannot both set a password.
   */
  async setUp(typedCode: string, password: string, now = Date.now()): Promise<StaffMember | null> {
    if (password.length < MIN_PASSWORD)
      throw new AccountError(`password: at least ${MIN_PASSWORD} characters`);
    const hash = hashSecret(normalizeSetupCode(typedCode));
    // Hashed before the transaction: on SQLite a transaction holds the one connection.
    const passwordHash = await hashPassword(password);
    return this.db.transaction(async (tx) => {
      const used = await tx.get<{ staff_id: string }>(
        `update account_setup set used_at = ?
         where hash = ? and used_at is null and expires_at > ?
           and staff_id in (select id from staff where disabled_at is null)
         returning staff_id`,
        [now, hash, now],
      );
      if (!used) return null;
      await tx.run('update staff set password_hash = ? where id = ?', [
        passwordHash,
        used.staff_id,
      ]);
      const row = await tx.get<Row>('select * from staff where id = ?', [used.staff_id]);
      return row ? memberOf(row) : null;
    });
  }

  /** Changes an account's role and site; returns it, or null when there is none. */
  async update(
    id: string,
    change: { role: StaffRole; siteId: string | null },
  ): Promise<Account | null> {
    checkRole(change.role, change.siteId);
    const changed = await this.db.run('update staff set role = ?, site_id = ? where id = ?', [
      change.role,
      change.role === 'admin' ? null : change.siteId,
      id,
    ]);
    return changed === 0 ? null : this.get(id);
  }

  /**
   * Disables (or enables) an account; disabling revokes its refresh credentials in the same
   * transaction (the caller closes its sockets).
   */
  async setDisabled(id: string, disabled: boolean, now = Date.now()): Promise<Account | null> {
    const changed = await this.db.transaction(async (tx) => {
      const n = await tx.run('update staff set disabled_at = ? where id = ?', [
        disabled ? now : null,
        id,
      ]);
      if (n > 0 && disabled) await revokeAll(tx, id, now);
      return n;
    });
    return changed === 0 ? null : this.get(id);
  }

  /**
   * A new set-up code for an account: its password stops working now, its sessions end, earlier
   * codes are void. Returns the code, or null when there is no such account.
   */
  async reset(id: string, now = Date.now()): Promise<{ code: string; expiresAt: number } | null> {
    const code = newSetupCode();
    const done = await this.db.transaction(async (tx) => {
      const n = await tx.run('update staff set password_hash = ? where id = ?', [NO_PASSWORD, id]);
      if (n === 0) return false;
      await revokeAll(tx, id, now);
      await tx.run('delete from account_setup where staff_id = ?', [id]);
      await tx.run('insert into account_setup (hash, staff_id, expires_at) values (?, ?, ?)', [
        hashSecret(code),
        id,
        now + SETUP_CODE_TTL_MS,
      ]);
      return true;
    });
    return done ? { code, expiresAt: now + SETUP_CODE_TTL_MS } : null;
  }

  /**
   * Deletes an account and its credentials. What it wrote stays in the documents under its
   * writer (`staff:<id>`, [D4]); lists name it "a deleted account".
   */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.run('delete from refresh_tokens where staff_id = ?', [id]);
      await tx.run('delete from account_setup where staff_id = ?', [id]);
      return (await tx.run('delete from staff where id = ?', [id])) > 0;
    });
  }

  /** How many admins may still sign in (an admin may not disable or delete the last one). */
  async activeAdmins(): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      "select count(*) as n from staff where role = 'admin' and disabled_at is null",
    );
    return row?.n ?? 0;
  }
}

/** A set-up code like `K7QM-3XRD-P2WF`: 12 characters, about 59 bits. */
export function newSetupCode(): string {
  return `${newPairingCode()}-${newPairingCode().slice(0, 4)}`;
}

/** The one form of a typed set-up code (any case, spaces or none). */
export function normalizeSetupCode(typed: string): string {
  const plain = normalizePairingCode(typed.normalize('NFKC')).replace(/-/g, '');
  return plain.length === 12
    ? `${plain.slice(0, 4)}-${plain.slice(4, 8)}-${plain.slice(8)}`
    : plain;
}

function checkRole(role: StaffRole, siteId: string | null): void {
  if (!STAFF_ROLES.includes(role)) throw new AccountError(`role: one of ${STAFF_ROLES.join(', ')}`);
  if (role !== 'admin' && siteId === null)
    throw new AccountError('siteId: required for staff and viewers');
}

async function revokeAll(tx: Sql, staffId: string, now: number): Promise<void> {
  await tx.run(
    'update refresh_tokens set revoked_at = ? where staff_id = ? and revoked_at is null',
    [now, staffId],
  );
}

function memberOf(row: Row): StaffMember {
  return { id: row.id, siteId: row.site_id, username: row.username, role: row.role };
}

function accountOf(row: Row): Account {
  return {
    ...memberOf(row),
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    setupPending: row.password_hash === NO_PASSWORD,
  };
}
