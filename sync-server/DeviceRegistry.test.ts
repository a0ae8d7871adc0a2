import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from './DeviceRegistry';
import type { Sql, SqlParam } from './database';
import { testDatabases } from './testing/testDatabase';

const openDatabase = testDatabases();

async function registryWithDevice() {
  const db = await openDatabase();
  await db.run(
    "insert into sites (id, name, time_zone, created_at) values ('riverside', 'Riverside', 'Europe/Amsterdam', 0)",
  );
  const devices = new DeviceRegistry(db);
  const { code } = await devices.createPairingCode('riverside', 'Front door', 'staff-1');
  const paired = await devices.pair(code, '1.0.0');
  if (!paired) throw new Error('pairing failed');
  const stored = () =>
    db.get('select last_seen, last_sync, app_version from devices where id = ?', [
      paired.device.id,
    ]);
  return { db, devices, id: paired.device.id, code, secret: paired.secret, stored };
}

describe('DeviceRegistry', () => {
  it('keeps last seen, last sync and app version in memory, shows them at once, and writes them in one batch', async () => {
    const { devices, id, stored } = await registryWithDevice();
    devices.touch(id, { seen: 1_000 });
    devices.touch(id, { synced: 2_000 });
    devices.touch(id, { synced: 1_500, appVersion: '1.1.0' });
    // Nothing written per check-in ...
    expect(await stored()).toEqual({ last_seen: null, last_sync: null, app_version: '1.0.0' });
    // ... but staff see the latest at once.
    expect(await devices.get(id)).toMatchObject({
      lastSeen: 1_000,
      lastSync: 2_000,
      appVersion: '1.1.0',
    });
    expect((await devices.list('riverside'))[0]).toMatchObject({ lastSync: 2_000 });

    await devices.flush();
    expect(await stored()).toEqual({ last_seen: 1_000, last_sync: 2_000, app_version: '1.1.0' });
    await devices.stop();
  });

  it('writes what it holds when it stops, so a restart loses none of it', async () => {
    const { db, devices, id } = await registryWithDevice();
    devices.touch(id, { seen: 5_000, synced: 5_000 });
    await devices.stop();
    const restarted = new DeviceRegistry(db);
    expect(await restarted.get(id)).toMatchObject({ lastSeen: 5_000, lastSync: 5_000 });
    await restarted.stop();
  });

  it('writes the batch even when it holds times of a device that no longer exists', async () => {
    const { devices, id, stored } = await registryWithDevice();
    devices.touch(id, { synced: 7_000 });
    devices.touch('no-such-device', { synced: 7_000 });
    await devices.flush();
    expect(await stored()).toMatchObject({ last_sync: 7_000 });
    await devices.stop();
  });

  it('shows times being written until they are committed, and keeps them when the write fails', async () => {
    const { db, id, stored } = await registryWithDevice();
    let fail = true;
    let commits = 0;
    // The registry's database: its transactions first fail; then each holds its writes back
    // until the test has looked (as PostgreSQL shows other readers nothing before the commit).
    const sql: Sql = {
      engine: db.engine,
      all: (text, params) => db.all(text, params),
      get: (text, params) => db.get(text, params),
      run: (text, params) => db.run(text, params),
      lock: (what) => db.lock(what),
      transaction: async (work) => {
        if (fail) throw new Error('database unreachable');
        const pending: [string, readonly SqlParam[] | undefined][] = [];
        const done = await work({
          ...sql,
          run: async (text, params) => {
            pending.push([text, params]);
            return 1;
          },
        });
        expect(await stored()).toEqual({ last_seen: null, last_sync: null, app_version: '1.0.0' });
        expect(await devices.get(id)).toMatchObject({
          lastSeen: 3_000,
          lastSync: 4_000,
          appVersion: '1.2.0',
        });
        await db.transaction(async (tx) => {
          for (const [text, params] of pending) await tx.run(text, params);
        });
        commits++;
        return done;
      },
    };
    const devices = new DeviceRegistry(sql);
    devices.touch(id, { seen: 3_000, appVersion: '1.2.0' });
    await expect(devices.flush()).rejects.toThrow('database unreachable');
    expect(await stored()).toEqual({ last_seen: null, last_sync: null, app_version: '1.0.0' });
    // Kept, under what was noted since (times only grow; the version noted last wins).
    devices.touch(id, { seen: 2_000, synced: 4_000 });
    expect(await devices.get(id)).toMatchObject({
      lastSeen: 3_000,
      lastSync: 4_000,
      appVersion: '1.2.0',
    });
    fail = false;
    await devices.flush();
    expect(commits).toBe(1);
    expect(await stored()).toEqual({ last_seen: 3_000, last_sync: 4_000, app_version: '1.2.0' });
    await devices.stop();
    expect(commits).toBe(1);
  });

  it('pairs a code once, even when two tablets type it at the same moment', async () => {
    const { db, devices, code } = await registryWithDevice();
    // Used already by registryWithDevice.
    expect(await devices.pair(code, null)).toBeNull();
    const fresh = await devices.createPairingCode('riverside', 'Back door', 'staff-1');
    const results = await Promise.all([
      devices.pair(fresh.code, null),
      devices.pair(fresh.code.toLowerCase(), null),
      devices.pair(fresh.code, null),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await db.get('select count(*) as n from devices')).toEqual({ n: 2 });
    await devices.stop();
  });

  it('refuses an expired code, a wrong secret and a revoked device', async () => {
    const { devices, id, secret } = await registryWithDevice();
    const { code, expiresAt } = await devices.createPairingCode('riverside', 'Gate', 'staff-1', 0);
    expect(await devices.pair(code, null, expiresAt)).toBeNull();
    expect(await devices.authenticate(id, secret)).toMatchObject({ id, name: 'Front door' });
    expect(await devices.authenticate(id, `${secret}x`)).toBeNull();
    expect(await devices.isActive(id)).toBe(true);
    expect(await devices.revoke(id)).toBe(true);
    expect(await devices.revoke(id)).toBe(false);
    expect(await devices.authenticate(id, secret)).toBeNull();
    expect(await devices.isActive(id)).toBe(false);
    expect(await devices.get(id)).toMatchObject({ revokedAt: expect.any(Number) });
    await devices.stop();
  });
});
