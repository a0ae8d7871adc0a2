import { randomUUID } from 'node:crypto';
import type { Sql } from './database';
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

export interface DeviceRegistryOptions {
  /**
   * A timed write of the held times failed (the database is unreachable, say). What it held is
   * kept and written with the next batch. Default: nothing more.
   */
  onFlushError?: (error: unknown) => void;
}

/**
 * Pairing and device credentials. A pairing code is single use and short-lived; exchanging it
 * yields a device id and secret (only its hash is stored), which the tablet trades for
 * short-lived access tokens. Revoking a device refuses its credential from then on.
 */
export class DeviceRegistry {
  private readonly db: Sql;
  /** Times and versions not written yet, by device: a check-in runs no SQL ([issue 14]). */
  private held = new Map<string, Touch>();
  /**
   * The batch being written, until it is committed: still shown, since on PostgreSQL a read
   * that runs meanwhile does not see it in the table yet.
   */
  private writing = new Map<string, Touch>();
  /** The last flush; the next one starts after it (one batch at a time, in order). */
  private flushed: Promise<void> = Promise.resolve();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(db: Sql, options: DeviceRegistryOptions = {}) {
    this.db = db;
    const onFlushError = options.onFlushError ?? (() => {});
    this.timer = setInterval(() => {
      this.flush().catch(onFlushError);
    }, TOUCH_FLUSH_MS);
    this.timer.unref?.();
  }

  async createPairingCode(
    siteId: string,
    name: string,
    createdBy: string,
    now = Date.now(),
  ): Promise<{ code: string; expiresAt: number }> {
    const code = newPairingCode();
    const expiresAt = now + PAIRING_CODE_TTL_MS;
    await this.db.run(
      'insert into pairing_codes (hash, site_id, name, created_by, expires_at) values (?, ?, ?, ?, ?)',
      [hashSecret(code), siteId, cleanName(name), createdBy, expiresAt],
    );
    return { code, expiresAt };
  }

  /**
   * Trades a valid, unused code for a device; null when the code is unknown, used or expired.
   * The code is used up by one conditional update (`used_at is null`) that also reads it: of two
   * pairings with one code at once (really at once on PostgreSQL, where the second waits for the
   * first's row lock and then finds the code used) exactly one gets a row and a device.
   */
  pair(
    typedCode: string,
    appVersion: string | null,
    now = Date.now(),
  ): Promise<{ device: Device; secret: string } | null> {
    // NFKC first: a code typed in fullwidth letters (an East Asian keyboard) is the same code.
    const hash = hashSecret(normalizePairingCode(typedCode.normalize('NFKC')));
    const secret = newSecret();
    const id = randomUUID();
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ site_id: string; name: string }>(
        // Not for an archived site ([C2]), even with a code made before it was archived.
        `update pairing_codes set used_at = ?
         where hash = ? and used_at is null and expires_at > ?
           and site_id in (select id from sites where archived_at is null)
         returning site_id, name`,
        [now, hash, now],
      );
      if (!row) return null;
      await tx.run(
        'insert into devices (id, site_id, name, secret_hash, created_at, app_version) values (?, ?, ?, ?, ?, ?)',
        [id, row.site_id, row.name, hashSecret(secret), now, appVersion],
      );
      const device = await deviceRow(tx, id);
      return { device: toDevice(device as DeviceRow), secret };
    });
  }

  /** The device for a credential, if it is valid and not revoked. */
  async authenticate(id: string, secret: string): Promise<Device | null> {
    const row = await this.db.get<DeviceRow>(
      'select * from devices where id = ? and revoked_at is null',
      [id],
    );
    if (!row || row.secret_hash !== hashSecret(secret)) return null;
    return this.withHeld(toDevice(row));
  }

  async get(id: string): Promise<Device | null> {
    const row = await deviceRow(this.db, id);
    return row ? this.withHeld(toDevice(row)) : null;
  }

  async isActive(id: string): Promise<boolean> {
    return (
      (await this.db.get('select 1 as active from devices where id = ? and revoked_at is null', [
        id,
      ])) !== undefined
    );
  }

  async list(siteId: string | null): Promise<Device[]> {
    const rows =
      siteId === null
        ? await this.db.all<DeviceRow>('select * from devices order by created_at, id')
        : await this.db.all<DeviceRow>(
            'select * from devices where site_id = ? order by created_at, id',
            [siteId],
          );
    return rows.map((row) => this.withHeld(toDevice(row)));
  }

  async rename(id: string, name: string): Promise<boolean> {
    return (
      (await this.db.run('update devices set name = ? where id = ?', [cleanName(name), id])) > 0
    );
  }

  async revoke(id: string, now = Date.now()): Promise<boolean> {
    return (
      (await this.db.run('update devices set revoked_at = ? where id = ? and revoked_at is null', [
        now,
        id,
      ])) > 0
    );
  }

  /**
   * Notes that a device was seen or synced (or reports a version). Kept in memory and written
   * every TOUCH_FLUSH_MS in one transaction: a check-in must not wait for the database.
   */
  touch(id: string, fields: Touch): void {
    this.held.set(id, combined(this.held.get(id), fields));
  }

  /**
   * Writes the held times in one transaction; resolves when they are committed. A failed write
   * keeps them held (under anything noted meanwhile) and rejects.
   */
  flush(): Promise<void> {
    const next = this.flushed.then(() => this.write());
    this.flushed = next.catch(() => {});
    return next;
  }

  /** Stops the timer and writes what is held (the server's close): await it before closing. */
  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.flush();
  }

  private async write(): Promise<void> {
    if (this.held.size === 0) return;
    const batch = this.held;
    this.held = new Map();
    this.writing = batch;
    try {
      await this.db.transaction(async (tx) => {
        for (const [id, t] of batch) {
          await tx.run(
            `update devices set last_seen = coalesce(?, last_seen),
             last_sync = coalesce(?, last_sync), app_version = coalesce(?, app_version)
             where id = ?`,
            [t.seen ?? null, t.synced ?? null, t.appVersion ?? null, id],
          );
        }
      });
    } catch (error) {
      for (const [id, t] of batch) this.held.set(id, combined(t, this.held.get(id)));
      throw error;
    } finally {
      this.writing = new Map();
    }
  }

  private withHeld(device: Device): Device {
    const writing = this.writing.get(device.id);
    const held = this.held.get(device.id);
    if (!writing && !held) return device;
    const t = combined(writing, held);
    return {
      ...device,
      lastSeen: Math.max(device.lastSeen ?? 0, t.seen ?? 0) || device.lastSeen,
      lastSync: Math.max(device.lastSync ?? 0, t.synced ?? 0) || device.lastSync,
      appVersion: t.appVersion ?? device.appVersion,
    };
  }
}

/** `newer` noted after `older`: the later times, and the newer version when it has one. */
function combined(older: Touch | undefined, newer: Touch | undefined): Touch {
  const t: Touch = { ...older };
  if (newer?.seen !== undefined) t.seen = Math.max(t.seen ?? 0, newer.seen);
  if (newer?.synced !== undefined) t.synced = Math.max(t.synced ?? 0, newer.synced);
  if (newer?.appVersion !== undefined) t.appVersion = newer.appVersion;
  return t;
}

function deviceRow(db: Sql, id: string): Promise<DeviceRow | undefined> {
  return db.get<DeviceRow>('select * from devices where id = ?', [id]);
}

interface DeviceRow {
  id: string;
  site_id: string;
  name: string;
  secret_hash: string;
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
