import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from './DeviceRegistry';
import { openDatabase } from './database';

function registryWithDevice() {
  const db = openDatabase(':memory:');
  db.prepare("insert into sites values ('riverside', 'Riverside', 'Europe/Amsterdam', 0)").run();
  const devices = new DeviceRegistry(db);
  const { code } = devices.createPairingCode('riverside', 'Front door', 'staff-1');
  const paired = devices.pair(code, '1.0.0');
  if (!paired) throw new Error('pairing failed');
  const stored = () =>
    db
      .prepare('select last_seen, last_sync, app_version from devices where id = ?')
      .get(paired.device.id);
  return { db, devices, id: paired.device.id, stored };
}

describe('DeviceRegistry', () => {
  it('keeps last seen, last sync and app version in memory, shows them at once, and writes them in one batch', () => {
    const { devices, id, stored } = registryWithDevice();
    devices.touch(id, { seen: 1_000 });
    devices.touch(id, { synced: 2_000 });
    devices.touch(id, { synced: 1_500, appVersion: '1.1.0' });
    // Nothing written per check-in ...
    expect(stored()).toEqual({ last_seen: null, last_sync: null, app_version: '1.0.0' });
    // ... but staff see the latest at once.
    expect(devices.get(id)).toMatchObject({
      lastSeen: 1_000,
      lastSync: 2_000,
      appVersion: '1.1.0',
    });
    expect(devices.list('riverside')[0]).toMatchObject({ lastSync: 2_000 });

    devices.flush();
    expect(stored()).toEqual({ last_seen: 1_000, last_sync: 2_000, app_version: '1.1.0' });
  });

  it('writes what it holds when it stops, so a restart loses none of it', () => {
    const { db, devices, id } = registryWithDevice();
    devices.touch(id, { seen: 5_000, synced: 5_000 });
    devices.stop();
    expect(new DeviceRegistry(db).get(id)).toMatchObject({ lastSeen: 5_000, lastSync: 5_000 });
  });

  it('writes the batch even when it holds times of a device that no longer exists', () => {
    const { devices, id, stored } = registryWithDevice();
    devices.touch(id, { synced: 7_000 });
    devices.touch('no-such-device', { synced: 7_000 });
    devices.flush();
    expect(stored()).toMatchObject({ last_sync: 7_000 });
  });
});
