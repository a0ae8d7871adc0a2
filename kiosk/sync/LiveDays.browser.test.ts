import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { afterEach, describe, expect, inject, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries, recordEvent } from '../../shared/checkinsDoc';
import { checkinsDocName } from '../../shared/docName';
import { newEventId } from '../../shared/eventId';
import { addDays, dayWindow, localDayOf } from '../../shared/localTime';
import { readSettings } from '../../shared/siteDoc';
import { type KeyValueStore, memoryStore } from '../device/KeyValueStore';
import type { CheckinsReplica } from './CheckinsReplica';
import { LiveDays } from './LiveDays';
import { RefusalRecovery } from './RefusalRecovery';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');
const wsUrl = serverUrl.replace('http', 'ws');
const ZONE = 'Europe/Amsterdam';
const settings = { ...readSettings(new Y.Doc()).settings, timeZone: ZONE };
const today = localDayOf(Date.now(), ZONE);
const open: { days: LiveDays; socket: HocuspocusProviderWebsocket }[] = [];

afterEach(() => {
  for (const { days, socket } of open.splice(0)) {
    days.close();
    socket.destroy();
  }
});

/** The days of a kiosk page; `url` may point nowhere to start offline. */
function daysOf(
  store: KeyValueStore,
  prefix: string,
  url = wsUrl,
  onRefused?: (replica: CheckinsReplica) => void,
): LiveDays {
  const socket = new HocuspocusProviderWebsocket({ url, delay: 100, minDelay: 50, maxDelay: 500 });
  const days = new LiveDays({
    siteId: 'riverside',
    socket,
    token: async () => kiosk.token,
    writer: `kiosk:${kiosk.deviceId}`,
    storagePrefix: prefix,
    store,
    onChange: () => {},
    ...(onRefused ? { onRefused } : {}),
  });
  open.push({ days, socket });
  return days;
}

/** A check-in written the way the kiosk writes it, into the document of `day`. */
function checkInOn(days: LiveDays, day: string, memberId: string): void {
  const replica = days.documents.find((d) => d.day === day);
  if (!replica) throw new Error(`${day} is not open`);
  // 23:00 on past days; now on today, never later: other test files read today's feed, newest first.
  const at = Math.min(dayWindow(day, ZONE).start + 23 * 3_600_000, Date.now());
  recordEvent(
    replica.doc,
    { role: 'kiosk', id: kiosk.deviceId },
    { kind: 'checkIn', memberId },
    { id: newEventId(at), at, clockTrusted: true, method: 'keypad' },
  );
}

/** How many of this run's entries the server holds for `day`. */
async function onServer(day: string, run: string): Promise<number> {
  const days = daysOf(memoryStore(), `probe-${crypto.randomUUID()}`);
  days.open(addDays(day, 1), settings);
  const replica = days.documents.find((d) => d.day === day);
  await expect.poll(() => replica?.connected, { timeout: 10_000 }).toBe(true);
  return readEntries(replica?.doc as Y.Doc, day).filter((e) =>
    JSON.stringify(e.value).includes(run),
  ).length;
}

async function databases(prefix: string): Promise<string[]> {
  return (await indexedDB.databases())
    .map((db) => db.name ?? '')
    .filter((name) => name.startsWith(prefix))
    .sort();
}

describe('LiveDays', () => {
  it('[D6] keeps a day with undelivered check-ins across two midnights and a reload, and delivers it', async () => {
    const run = crypto.randomUUID().slice(0, 8);
    const prefix = `test-${run}`;
    const store = memoryStore();
    const first = addDays(today, -2);
    // Offline from the first evening on.
    const tablet = daysOf(store, prefix, 'ws://127.0.0.1:9');
    tablet.open(first, settings);
    await tablet.loaded();
    checkInOn(tablet, first, `${run}-A`);
    // (Hours pass between these: each day's copy is open on the device before the page goes.)
    tablet.open(addDays(first, 1), settings);
    checkInOn(tablet, addDays(first, 1), `${run}-B`);
    await tablet.loaded();
    tablet.open(today, settings);
    checkInOn(tablet, today, `${run}-C`);
    await tablet.loaded();
    // The first day is no longer one of the two the numbers need, but it is kept delivering.
    expect(tablet.documents.map((d) => d.day)).toEqual([addDays(today, -1), today]);
    // (A day that leaves with nothing to deliver is closed once its copy is read: soon, not at once.)
    await expect.poll(() => tablet.delivering.map((d) => d.day)).toEqual([first]);
    expect(tablet.pending).toBe(3);
    expect(tablet.backlogState().oldestAt).toBe(dayWindow(first, ZONE).start + 23 * 3_600_000);
    tablet.close();

    // The page reloads, still offline: the list of days comes back from the device's storage.
    const reloaded = daysOf(store, prefix, 'ws://127.0.0.1:9');
    reloaded.open(today, settings);
    await reloaded.loaded();
    await expect.poll(() => reloaded.delivering.map((d) => d.day)).toEqual([first]);
    expect(reloaded.pending).toBe(3);
    reloaded.close();

    // Online again: every day is delivered, the old day is closed and its copy deleted.
    const online = daysOf(store, prefix);
    online.open(today, settings);
    await expect.poll(() => online.pending, { timeout: 10_000 }).toBe(0);
    // Delivered once in sync for 10 s with nothing pending (LiveDays.watchDelivery).
    await expect.poll(() => online.delivering.length, { timeout: 25_000 }).toBe(0);
    for (const day of [first, addDays(first, 1), today]) expect(await onServer(day, run)).toBe(1);
    await expect
      .poll(() => databases(`${prefix}:${checkinsDocName('riverside', first)}`))
      .toEqual([]);
    expect(JSON.parse(store.getItem(`${prefix}:undelivered:riverside`) ?? '[]')).toEqual([]);
    // Longer than the browser tests' 15 s: 10 s of it is the settle time the test is about.
  }, 45_000);

  it('[D6] drops a day from the list only once the server acknowledged it', async () => {
    const run = crypto.randomUUID().slice(0, 8);
    const store = memoryStore();
    const key = `test-${run}:undelivered:riverside`;
    const tablet = daysOf(store, `test-${run}`, 'ws://127.0.0.1:9');
    tablet.open(today, settings);
    await tablet.loaded();
    checkInOn(tablet, today, `${run}-A`);
    // Written down at the moment of writing, before any network.
    expect(JSON.parse(store.getItem(key) ?? '[]')).toEqual([today]);
    tablet.close();
    const online = daysOf(store, `test-${run}`);
    online.open(today, settings);
    await expect.poll(() => online.pending, { timeout: 10_000 }).toBe(0);
    await expect
      .poll(() => JSON.parse(store.getItem(key) ?? '[]'), { timeout: 25_000 })
      .toEqual([]);
    // Longer than the browser tests' 15 s: 10 s of it is the settle time the test is about.
  }, 45_000);

  it('[D6][W5] starts a refused older day again without losing its check-ins', async () => {
    const run = crypto.randomUUID().slice(0, 8);
    const prefix = `test-${run}`;
    const store = memoryStore();
    const first = addDays(today, -2);
    const offline = daysOf(store, prefix, 'ws://127.0.0.1:9');
    offline.open(first, settings);
    await offline.loaded();
    checkInOn(offline, first, `${run}-A`);
    checkInOn(offline, first, `${run}-B`);
    // A bug leaves something in this tablet's array that the server refuses ([W2]).
    offline.documents
      .at(-1)
      ?.doc.getArray(`kiosk:${kiosk.deviceId}`)
      .push([['not an entry']]);
    await offline.loaded();
    offline.close();

    // Back online on the third day: the old day is delivering when the server refuses it.
    let current: LiveDays | null = null;
    const recovery: RefusalRecovery = new RefusalRecovery(async () => {
      current?.close();
      current = daysOf(store, prefix, wsUrl, (replica) => void recovery.recover(replica));
      current.open(today, settings);
      // As the kiosk and the dashboard do: their restart resolves once the copies are read.
      await current.loaded();
      return current;
    });
    current = daysOf(store, prefix, wsUrl, (replica) => void recovery.recover(replica));
    (current as LiveDays).open(today, settings);
    await expect.poll(() => recovery.recoveries, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => onServer(first, run), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => (current as LiveDays | null)?.pending, { timeout: 10_000 }).toBe(0);
  });
});
