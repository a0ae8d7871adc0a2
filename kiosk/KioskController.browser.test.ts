import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { describe, expect, inject, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { DeviceAuth } from './device/DeviceAuth';
import { memoryStore, writeJson } from './device/KeyValueStore';
import { KioskController } from './KioskController';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');

/** Entries the server holds for one document, read through a fresh provider. */
async function entriesOnServer(day: string): Promise<number> {
  const socket = new HocuspocusProviderWebsocket({ url: serverUrl.replace('http', 'ws') });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: checkinsDocName('riverside', day),
    document: doc,
    token: async () => kiosk.token,
  });
  provider.attach();
  await new Promise<void>((resolve) => provider.on('synced', () => resolve()));
  const count = readEntries(doc, day).length;
  provider.destroy();
  socket.destroy();
  return count;
}

/** A controller for the paired test tablet, on a clock the test moves. */
function pairedKiosk(now: () => number): KioskController {
  const store = memoryStore();
  writeJson(store, 'headcount.device', {
    deviceId: kiosk.deviceId,
    deviceSecret: kiosk.deviceSecret,
    siteId: 'riverside',
    name: 'Front door',
  });
  const clock = {
    now: () => ({ at: now(), trusted: true }),
    sync: async () => ({ offsetMs: 0, roundTripMs: 0, measuredAt: now() }),
  };
  const auth = new DeviceAuth({ baseUrl: serverUrl, store, appVersion: 'test' });
  return new KioskController({ baseUrl: serverUrl, auth, store, clock });
}

describe('KioskController', () => {
  it('opens the new day at midnight and writes a scan just after it into the new day', async () => {
    // 23:59:50 in Amsterdam, the site's zone (UTC+1 in January).
    let now = Date.UTC(2026, 0, 15, 22, 59, 50);
    const controller = pairedKiosk(() => now);
    await controller.start();
    await expect.poll(() => controller.timeZone).toBe('Europe/Amsterdam');
    controller.scan('first-scan', 'keypad');
    expect(controller.today).toBe('2026-01-15');

    now = Date.UTC(2026, 0, 15, 23, 0, 10);
    controller.scan('not-a-member-either', 'keypad');
    expect(controller.today).toBe('2026-01-16');
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);
    expect(await entriesOnServer('2026-01-15')).toBe(1);
    expect(await entriesOnServer('2026-01-16')).toBe(1);
    controller.stop();
  });

  it('recovers when the server refuses an update: starts the day again from the server and keeps every scan', async () => {
    const now = Date.UTC(2026, 1, 10, 12, 0, 0);
    const controller = pairedKiosk(() => now);
    await controller.start();
    controller.scan('code-1', 'qr');
    controller.scan('code-2', 'qr');
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);

    // A bug puts content where entries never go; the server refuses the update that carries it.
    const today = controller.documents[controller.documents.length - 1];
    today?.doc.getMap('kiosk:rogue').set('oops', 1);
    controller.scan('code-3', 'qr');
    await expect.poll(() => controller.recoveries, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);
    expect(await entriesOnServer('2026-02-10')).toBe(3);
    controller.scan('code-4', 'qr');
    await expect.poll(() => entriesOnServer('2026-02-10'), { timeout: 10_000 }).toBe(4);
    controller.stop();
  });
});
