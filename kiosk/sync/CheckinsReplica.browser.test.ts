import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { readEntries, recordEvent } from '../../shared/checkinsDoc';
import { checkinsDocName } from '../../shared/docName';
import { newEventId } from '../../shared/eventId';
import { localDayOf } from '../../shared/localTime';
import { CheckinsReplica } from './CheckinsReplica';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');
const wsUrl = serverUrl.replace('http', 'ws');
const day = localDayOf(Date.now(), 'Europe/Amsterdam');
const name = checkinsDocName('riverside', day);
const writer = `kiosk:${kiosk.deviceId}`;
const open: { replica: CheckinsReplica; socket: HocuspocusProviderWebsocket }[] = [];

afterEach(() => {
  for (const { replica, socket } of open.splice(0)) {
    replica.destroy();
    socket.destroy();
  }
});

/** A replica as a kiosk page opens it; `url` may point nowhere to start offline. */
async function replicaOf(storageName: string, url = wsUrl): Promise<CheckinsReplica> {
  const socket = new HocuspocusProviderWebsocket({ url, delay: 100, minDelay: 50, maxDelay: 500 });
  const replica = new CheckinsReplica({
    name,
    socket,
    token: async () => kiosk.token,
    writer,
    storageName,
  });
  open.push({ replica, socket });
  await replica.loaded;
  return replica;
}

function checkIn(replica: CheckinsReplica, memberId: string): void {
  const at = Date.now();
  recordEvent(
    replica.doc,
    { role: 'kiosk', id: kiosk.deviceId },
    { kind: 'checkIn', memberId },
    { id: newEventId(at), at, clockTrusted: true, method: 'keypad' },
  );
}

describe('CheckinsReplica', () => {
  it('counts check-ins as pending until the server acknowledges them, also across a reload offline', async () => {
    const storage = `test-${crypto.randomUUID()}`;
    // Other test files write into the same day at the same time: count only this test's members.
    const run = crypto.randomUUID().slice(0, 8);
    const ours = (doc: CheckinsReplica['doc']) =>
      readEntries(doc, day).filter((e) => JSON.stringify(e.value).includes(run)).length;
    const tablet = await replicaOf(storage);
    await expect.poll(() => tablet.connected).toBe(true);
    for (const m of ['M1', 'M2', 'M3']) checkIn(tablet, `${run}-${m}`);
    await expect.poll(() => tablet.pending).toBe(0);

    tablet.disconnect();
    checkIn(tablet, `${run}-M4`);
    checkIn(tablet, `${run}-M5`);
    expect(tablet.pending).toBe(2);
    tablet.destroy();

    // The page reloads while the network is still down: IndexedDB has everything.
    const offline = await replicaOf(storage, 'ws://127.0.0.1:9');
    expect(ours(offline.doc)).toBe(5);
    expect(offline.pending).toBe(2);
    offline.destroy();

    const online = await replicaOf(storage);
    await expect.poll(() => online.pending, { timeout: 10_000 }).toBe(0);
    const elsewhere = await replicaOf(`test-${crypto.randomUUID()}`);
    await expect.poll(() => ours(elsewhere.doc)).toBe(5);
  });
});
