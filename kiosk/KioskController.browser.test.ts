import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { describe, expect, inject, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { addDays, dayWindow, localDayOf } from '../shared/localTime';
import { DeviceAuth } from './device/DeviceAuth';
import { memoryStore, writeJson } from './device/KeyValueStore';
import { KioskController } from './KioskController';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');

/**
 * Entries the server holds for one document, read through a fresh provider; with `run`, only
 * those mentioning it (other test files write into the same real days at the same time).
 */
async function entriesOnServer(day: string, run?: string): Promise<number> {
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
  const count = readEntries(doc, day).filter(
    (entry) => run === undefined || JSON.stringify(entry.value).includes(run),
  ).length;
  provider.destroy();
  socket.destroy();
  return count;
}

/** A controller for the paired test tablet, on a clock the test moves. */
function pairedKiosk(now: () => number, store = memoryStore()): KioskController {
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
    // Last midnight in Amsterdam, the site's zone: the server lets a kiosk write only recent
    // days ([W3]), so the test's days are real ones.
    const today = localDayOf(Date.now(), 'Europe/Amsterdam');
    const yesterday = addDays(today, -1);
    const midnight = dayWindow(today, 'Europe/Amsterdam').start;
    let now = midnight - 10_000;
    const controller = pairedKiosk(() => now);
    await controller.start();
    await expect.poll(() => controller.timeZone).toBe('Europe/Amsterdam');
    // Unknown codes are recorded as denied attempts with the code: this run's are findable.
    const run = crypto.randomUUID().slice(0, 8);
    controller.scan(`first-${run}`, 'keypad');
    expect(controller.today).toBe(yesterday);

    now = midnight + 10_000;
    controller.scan(`second-${run}`, 'keypad');
    expect(controller.today).toBe(today);
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);
    expect(await entriesOnServer(yesterday, run)).toBe(1);
    expect(await entriesOnServer(today, run)).toBe(1);
    controller.stop();
  });

  it('recovers when the server refuses an update: starts the day again from the server and keeps every scan', async () => {
    const controller = pairedKiosk(() => Date.now());
    const day = localDayOf(Date.now(), 'Europe/Amsterdam');
    // Other tests write into today too: this test's scans carry its own tag.
    const run = crypto.randomUUID().slice(0, 8);
    await controller.start();
    controller.scan(`code-1-${run}`, 'qr');
    controller.scan(`code-2-${run}`, 'qr');
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);

    // A bug puts content where entries never go; the server refuses the update that carries it.
    const today = controller.documents[controller.documents.length - 1];
    today?.doc.getMap('kiosk:rogue').set('oops', 1);
    controller.scan(`code-3-${run}`, 'qr');
    await expect.poll(() => controller.recoveries, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => controller.status.pending, { timeout: 10_000 }).toBe(0);
    expect(await entriesOnServer(day, run)).toBe(3);
    controller.scan(`code-4-${run}`, 'qr');
    await expect.poll(() => entriesOnServer(day, run), { timeout: 10_000 }).toBe(4);
    controller.stop();
  });

  it('shows the last sync it really had after a reload', async () => {
    const store = memoryStore();
    const controller = pairedKiosk(() => Date.now(), store);
    await controller.start();
    await expect.poll(() => controller.status.online, { timeout: 10_000 }).toBe(true);
    const synced = controller.status.lastSyncedAt as number;
    expect(Math.abs(synced - Date.now())).toBeLessThan(60_000);
    controller.stop();
    // The page reloads (offline or not): the time is kept, within the 30 s it is saved at.
    const reloaded = pairedKiosk(() => Date.now(), store).status.lastSyncedAt as number;
    expect(reloaded).toBeLessThanOrEqual(synced);
    expect(synced - reloaded).toBeLessThan(30_000);
  });
});
