import { randomUUID } from 'node:crypto';
import type { Sql } from './database';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './secrets';
import { isUniqueViolation } from './storage/sqlErrors';

export type StaffRole = 'staff' | 'viewer' | 'admin';
export const STAFF_ROLES: readonly StaffRole[] = ['staff', 'viewer', 'admin'];

export interface StaffMember {
  readonly id: string;
  /** Null for an admin of every site. */
  readonly siteId: string | null;
  readonly username: string;
  readonly role: StaffRole;
}

/** Refresh credentials live this long, milliseconds (a phone used weekly stays signed in). */
export const REFRESH_TTL_MS = 30 * 24 * 3_600_000;
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;
export const MIN_PASSWORD = 10;

/** Characters trimmed from both ends of a typed username: spaces of any script, invisibles. */
const USERNAME_EDGES =
  /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]+|[\p{White_Space}\p{Default_Ignorable_Code_Point}]+$/gu;

/**
 * The one form of a username: Unicode NFKC (fullwidth `ＢＯＳＳ` and ligatures become plain
 * letters), lower case, trimmed of spaces of any kind (`boss\u2003`, `\u00a0boss`) and
 * invisible characters. Accounts are created, looked up and rate-limited under this form, so
 * variants of one name are one account and one limit.
 */
export function normalizeUsername(typed: string): string {
  return typed.normalize('NFKC').toLowerCase().normalize('NFKC').replace(USERNAME_EDGES, '');
}

export class AccountError extends Error {
  override name = 'AccountError';
}

/** Staff accounts: scrypt password hashes, rotating refresh credentials (hashes only). */
export class StaffAccounts {
  private readonly db: Sql;
  private checks = 0;

  constructor(db: Sql) {
    this.db = db;
  }

  /** Password hashes checked since start: what a sign-in limit has to keep down. */
  get passwordChecks(): number {
    return this.checks;
  }

  /**
   * Creates an account. `guard`, when given, runs in the transaction that inserts it, just
   * before the insert: whatever it throws abandons both (the first admin's setup code is used
   * up this way, so that only one request can make that admin).
   */
  async create(
    input: {
      username: string;
      password: string;
      role: StaffRole;
      siteId: string | null;
    },
    guard?: (tx: Sql) => Promise<void>,
  ): Promise<StaffMember> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username))
      throw new AccountError('username: 2–40 of a-z, 0-9, ".", "_", "-"');
    if (input.password.length < MIN_PASSWORD)
      throw new AccountError(`password: at least ${MIN_PASSWORD} characters`);
    if (!STAFF_ROLES.includes(input.role))
      throw new AccountError(`role: one of ${STAFF_ROLES.join(', ')}`);
    if (input.role !== 'admin' && input.siteId === null)
      throw new AccountError('site: required for staff and viewers');
    const taken = () => new AccountError(`username: ${username} is taken`);
    // Asked first so that a taken name costs no password hash; the unique constraint decides.
    if (await this.db.get('select 1 as taken from staff where username = ?', [username])) {
      throw taken();
    }
    const id = randomUUID();
    // Hashed outside the transaction: on SQLite a transaction holds the one connection.
    const passwordHash = await hashPassword(input.password);
    try {
      await this.db.transaction(async (tx) => {
        await guard?.(tx);
        await tx.run(
          'insert into staff (id, site_id, username, password_hash, role, created_at) values (?, ?, ?, ?, ?, ?)',
          [id, input.siteId, username, passwordHash, input.role, Date.now()],
        );
      });
    } catch (error) {
      // Made meanwhile by another request (PostgreSQL runs them at once).
      if (isUniqueViolation(error)) throw taken();
      throw error;
    }
    return { id, siteId: input.siteId, username, role: input.role };
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('select count(*) as n from staff'))?.n ?? 0;
  }

  /** The account for a username and password, or null (same answer for unknown and wrong). */
  async signIn(username: string, password: string): Promise<StaffMember | null> {
    const row = await this.db.get<StaffRow>(
      'select * from staff where username = ? and disabled_at is null',
      [normalizeUsername(username)],
    );
    // Hash anyway when the user is unknown or has no password yet (set-up pending), so timing
    // does not reveal which usernames exist.
    this.checks++;
    const stored = row?.password_hash.startsWith('scrypt$') ? row.password_hash : null;
    const ok = await verifyPassword(password, stored ?? DUMMY_HASH);
    return row && stored && ok ? toMember(row) : null;
  }

  /**
   * Accounts that can work at a site: its staff and viewers, and the admins of every site.
   * Disabled accounts too — the audit list still has to name who made an old correction.
   */
  async listFor(siteId: string): Promise<StaffMember[]> {
    const rows = await this.db.all<StaffRow>(
      'select * from staff where site_id = ? or site_id is null order by username',
      [siteId],
    );
    return rows.map(toMember);
  }

  get(id: string): Promise<StaffMember | null> {
    return activeMember(this.db, id);
  }

  issueRefresh(staffId: string, now = Date.now()): Promise<string> {
    return insertRefresh(this.db, staffId, now);
  }

  /**
   * Uses a refresh credential once: returns its account and a new credential, or null. The
   * credential is revoked by one conditional update (`revoked_at is null`) that also reads its
   * account: of two rotations at once (really at once on PostgreSQL, where the second waits for
   * the first's row lock and then finds it revoked) exactly one gets a row. The new credential is
   * issued in the same transaction.
   */
  rotateRefresh(
    secret: string,
    now = Date.now(),
  ): Promise<{ member: StaffMember; refresh: string } | null> {
    const hash = hashSecret(secret);
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ staff_id: string }>(
        `update refresh_tokens set revoked_at = ?
         where hash = ? and revoked_at is null and expires_at > ? returning staff_id`,
        [now, hash, now],
      );
      if (!row) return null;
      // A disabled account's credential stays revoked (the transaction still commits).
      const member = await activeMember(tx, row.staff_id);
      return member ? { member, refresh: await insertRefresh(tx, member.id, now) } : null;
    });
  }

  async revokeRefresh(secret: string, now = Date.now()): Promise<void> {
    await this.db.run('update refresh_tokens set revoked_at = ? where hash = ?', [
      now,
      hashSecret(secret),
    ]);
  }
}

async function activeMember(db: Sql, id: string): Promise<StaffMember | null> {
  const row = await db.get<StaffRow>('select * from staff where id = ? and disabled_at is null', [
    id,
  ]);
  return row ? toMember(row) : null;
}

async function insertRefresh(db: Sql, staffId: string, now: number): Promise<string> {
  const secret = newSecret();
  await db.run('insert into refresh_tokens (hash, staff_id, expires_at) values (?, ?, ?)', [
    hashSecret(secret),
    staffId,
    now + REFRESH_TTL_MS,
  ]);
  return secret;
}

// A valid scrypt hash of a random password, for constant-time refusals of unknown users.
const DUMMY_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';

interface StaffRow {
  id: string;
  site_id: string | null;
  username: string;
  password_hash: string;
  role: StaffRole;
}

function toMember(row: StaffRow): StaffMember {
  return { id: row.id, siteId: row.site_id, username: row.username, role: row.role };
}

/**
 * Whether a staff token still describes its account: same role, and (but for an admin, who may
 * open every site) the same site. Changed since: its connections are refused ([C4]).
 */
export function sameAccount(
  member: { role: string; siteId: string | null } | null,
  principal: { role: string; siteId: string | null },
): boolean {
  return (
    member !== null &&
    member.role === principal.role &&
    (member.role === 'admin' || member.siteId === principal.siteId)
  );
}
