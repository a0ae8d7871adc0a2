import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { hashSecret, newPairingCode, newSecret, normalizePairingCode } from './secrets';

/** A paired kiosk, as staff see it. */
export interface Device {
  readonly id: string;
  readonly siteId: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastSeen: number | null;
  readonly lastSync: number | null;
  readonly appVersion: string | null;
  readonly revokedAt: number | null;
}

/** How long a pairing code stays valid, milliseconds: long enough to walk to the tablet. */
export const PAIRING_CODE_TTL_MS = 10 * 60_000;

const MAX_NAME = 60;
/**
 * How often held "last seen / last sync" times are written, ms. Default 5 s: the Kiosks screen
 * reads them from memory, so this is only what a crash can lose (a process killed loses at most
 * the last 5 s of these times, never a check-in).
 */
export const TOUCH_FLUSH_MS = 5_000;

interface Touch {
  seen?: number;
  synced?: number;
  appVersion?: string;
}

/**
 * Pairing and device credentials. A pairing code is single use and short-lived; exchanging it
 * yields a device id and secret (only its hash is stored), which the tablet trades for
 * short-lived access tokens. Revoking a device refuses its credential from then on.
 */
export class DeviceRegistry {
  private readonly db: Db;
  /** Times and versions not written yet, by device: a check-in runs no SQL ([issue 14]). */
  private readonly held = new Map<string, Touch>();
  private readonly writeTouch: Statement<[number | null, number | null, string | null, string]>;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(db: Db) {
    this.db = db;
    this.writeTouch = db.prepare<[number | null, number | null, string | null, string]>(
      `update devices set last_seen = coalesce(?, last_seen), last_sync = coalesce(?, last_sync),
       app_version = coalesce(?, app_version) where id = ?`,
    );
    this.timer = setInterval(() => this.flush(), TOUCH_FLUSH_MS);
    this.timer.unref?.();
  }

  createPairingCode(
    siteId: string,
    name: string,
    createdBy: string,
    now = Date.now(),
  ): { code: string; expiresAt: number } {
    const code = newPairingCode();
    const expiresAt = now + PAIRING_CODE_TTL_MS;
    this.db
      .prepare(
        'insert into pairing_codes (hash, site_id, name, created_by, expires_at) values (?, ?, ?, ?, ?)',
      )
      .run(hashSecret(code), siteId, cleanName(name), createdBy, expiresAt);
    return { code, expiresAt };
  }

  /** Trades a valid, unused code for a device; null when the code is unknown, used or expired. */
  pair(
    typedCode: string,
    appVersion: string | null,
    now = Date.now(),
  ): { device: Device; secret: string } | null {
    // NFKC first: a code typed in fullwidth letters (an East Asian keyboard) is the same code.
    const hash = hashSecret(normalizePairingCode(typedCode.normalize('NFKC')));
    return this.db.transaction(() => {
      const row = this.db
        .prepare(
          'select site_id, name from pairing_codes where hash = ? and used_at is null and expires_at > ?',
        )
        .get(hash, now) as { site_id: string; name: string } | undefined;
      if (!row) return null;
      this.db.prepare('update pairing_codes set used_at = ? where hash = ?').run(now, hash);
      const secret = newSecret();
      const id = randomUUID();
      this.db
        .prepare(
          'insert into devices (id, site_id, name, secret_hash, created_at, app_version) values (?, ?, ?, ?, ?, ?)',
        )
        .run(id, row.site_id, row.name, hashSecret(secret), now, appVersion);
      return { device: this.get(id) as Device, secret };
    })();
  }

  /** The device for a credential, if it is valid and not revoked. */
  authenticate(id: string, secret: string): Device | null {
    const row = this.db
      .prepare('select secret_hash from devices where id = ? and revoked_at is null')
      .get(id) as { secret_hash: string } | undefined;
    if (!row || row.secret_hash !== hashSecret(secret)) return null;
    return this.get(id);
  }

  get(id: string): Device | null {
    const row = this.db.prepare('select * from devices where id = ?').get(id) as
      | DeviceRow
      | undefined;
    return row ? this.withHeld(toDevice(row)) : null;
  }

  isActive(id: string): boolean {
    return (
      this.db.prepare('select 1 from devices where id = ? and revoked_at is null').get(id) !==
      undefined
    );
  }

  list(siteId: string | null): Device[] {
    const rows = (
      siteId === null
        ? this.db.prepare('select * from devices order by created_at').all()
        : this.db.prepare('select * from devices where site_id = ? order by created_at').all(siteId)
    ) as DeviceRow[];
    return rows.map((row) => this.withHeld(toDevice(row)));
  }

  rename(id: string, name: string): boolean {
    return (
      this.db.prepare('update devices set name = ? where id = ?').run(cleanName(name), id).changes >
      0
    );
  }

  revoke(id: string, now = Date.now()): boolean {
    return (
      this.db
        .prepare('update devices set revoked_at = ? where id = ? and revoked_at is null')
        .run(now, id).changes > 0
    );
  }

  /**
   * Notes that a device was seen or synced (or reports a version). Kept in memory and written
   * every TOUCH_FLUSH_MS in one transaction: a check-in must not wait for SQLite.
   */
  touch(id: string, fields: Touch): void {
    const held = this.held.get(id) ?? {};
    if (fields.seen !== undefined) held.seen = Math.max(held.seen ?? 0, fields.seen);
    if (fields.synced !== undefined) held.synced = Math.max(held.synced ?? 0, fields.synced);
    if (fields.appVersion !== undefined) held.appVersion = fields.appVersion;
    this.held.set(id, held);
  }

  /** Writes the held times in one transaction. */
  flush(): void {
    if (this.held.size === 0) return;
    const batch = [...this.held];
    this.held.clear();
    this.db.transaction(() => {
      for (const [id, t] of batch) {
        this.writeTouch.run(t.seen ?? null, t.synced ?? null, t.appVersion ?? null, id);
      }
    })();
  }

  /** Stops the timer and writes what is held (the server's close). */
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private withHeld(device: Device): Device {
    const held = this.held.get(device.id);
    if (!held) return device;
    return {
      ...device,
      lastSeen: Math.max(device.lastSeen ?? 0, held.seen ?? 0) || device.lastSeen,
      lastSync: Math.max(device.lastSync ?? 0, held.synced ?? 0) || device.lastSync,
      appVersion: held.appVersion ?? device.appVersion,
    };
  }
}

interface DeviceRow {
  id: string;
  site_id: string;
  name: string;
  created_at: number;
  last_seen: number | null;
  last_sync: number | null;
  app_version: string | null;
  revoked_at: number | null;
}

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
    lastSync: row.last_sync,
    appVersion: row.app_version,
    revokedAt: row.revoked_at,
  };
}

function cleanName(name: string): string {
  const clean = name.trim().replace(/\s+/g, ' ').slice(0, MAX_NAME);
  return clean === '' ? 'Kiosk' : clean;
}
