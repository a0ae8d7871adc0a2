import { randomUUID } from 'node:crypto';
import type { Db } from './database';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './secrets';

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
  private readonly db: Db;
  private checks = 0;

  constructor(db: Db) {
    this.db = db;
  }

  /** Password hashes checked since start: what a sign-in limit has to keep down. */
  get passwordChecks(): number {
    return this.checks;
  }

  async create(input: {
    username: string;
    password: string;
    role: StaffRole;
    siteId: string | null;
  }): Promise<StaffMember> {
    const username = normalizeUsername(input.username);
    if (!USERNAME.test(username))
      throw new AccountError('username: 2–40 of a-z, 0-9, ".", "_", "-"');
    if (input.password.length < MIN_PASSWORD)
      throw new AccountError(`password: at least ${MIN_PASSWORD} characters`);
    if (!STAFF_ROLES.includes(input.role))
      throw new AccountError(`role: one of ${STAFF_ROLES.join(', ')}`);
    if (input.role !== 'admin' && input.siteId === null)
      throw new AccountError('site: required for staff and viewers');
    if (this.db.prepare('select 1 from staff where username = ?').get(username)) {
      throw new AccountError(`username: ${username} is taken`);
    }
    const id = randomUUID();
    this.db
      .prepare(
        'insert into staff (id, site_id, username, password_hash, role, created_at) values (?, ?, ?, ?, ?, ?)',
      )
      .run(id, input.siteId, username, await hashPassword(input.password), input.role, Date.now());
    return { id, siteId: input.siteId, username, role: input.role };
  }

  count(): number {
    return (this.db.prepare('select count(*) as n from staff').get() as { n: number }).n;
  }

  /** The account for a username and password, or null (same answer for unknown and wrong). */
  async signIn(username: string, password: string): Promise<StaffMember | null> {
    const row = this.db
      .prepare('select * from staff where username = ? and disabled_at is null')
      .get(normalizeUsername(username)) as StaffRow | undefined;
    // Hash anyway when the user is unknown, so timing does not reveal which usernames exist.
    this.checks++;
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    return row && ok ? toMember(row) : null;
  }

  /**
   * Accounts that can work at a site: its staff and viewers, and the admins of every site.
   * Disabled accounts too — the audit list still has to name who made an old correction.
   */
  listFor(siteId: string): StaffMember[] {
    const rows = this.db
      .prepare('select * from staff where site_id = ? or site_id is null order by username')
      .all(siteId) as StaffRow[];
    return rows.map(toMember);
  }

  get(id: string): StaffMember | null {
    const row = this.db
      .prepare('select * from staff where id = ? and disabled_at is null')
      .get(id) as StaffRow | undefined;
    return row ? toMember(row) : null;
  }

  issueRefresh(staffId: string, now = Date.now()): string {
    const secret = newSecret();
    this.db
      .prepare('insert into refresh_tokens (hash, staff_id, expires_at) values (?, ?, ?)')
      .run(hashSecret(secret), staffId, now + REFRESH_TTL_MS);
    return secret;
  }

  /** Uses a refresh credential once: returns its account and a new credential, or null. */
  rotateRefresh(secret: string, now = Date.now()): { member: StaffMember; refresh: string } | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          'select staff_id from refresh_tokens where hash = ? and revoked_at is null and expires_at > ?',
        )
        .get(hashSecret(secret), now) as { staff_id: string } | undefined;
      if (!row) return null;
      this.db
        .prepare('update refresh_tokens set revoked_at = ? where hash = ?')
        .run(now, hashSecret(secret));
      const member = this.get(row.staff_id);
      return member ? { member, refresh: this.issueRefresh(member.id, now) } : null;
    })();
  }

  revokeRefresh(secret: string, now = Date.now()): void {
    this.db
      .prepare('update refresh_tokens set revoked_at = ? where hash = ?')
      .run(now, hashSecret(secret));
  }
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
