import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries, recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { encodeEntry } from '../shared/entryCodec';
import { newEventId } from '../shared/eventId';
import { localDayOf } from '../shared/localTime';
import { closeAfterEach } from './testing/closeAfterEach';
import {
  type Client,
  connect,
  kioskCheckIn,
  metricsText,
  pairKiosk,
  SITE,
  sendRawUpdate,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';
import type { WriteLimits } from './WriteGuard';

/**
 * One test per way the write guard says no ([W1]–[W4]), each against a real server with real
 * providers: the update is refused with its reason, counted, and nothing of it is stored.
 */
const today = localDayOf(Date.now(), ZONE);
const name = checkinsDocName(SITE, today);
const open = closeAfterEach();

async function server(writeLimits?: Partial<WriteLimits>): Promise<TestServer> {
  const t = await startTestServer({}, undefined, writeLimits ? { writeLimits } : {});
  open.push(t);
  return t;
}

async function client(t: TestServer, token: string, doc?: Y.Doc, docName = name) {
  const c = connect(t, docName, token, doc);
  open.push(c);
  expect(await c.outcome).toMatchObject({ ok: true });
  return c;
}

/** A server, a kiosk connected to today's document, and the server's copy of that document. */
async function kioskOn(writeLimits?: Partial<WriteLimits>) {
  const t = await server(writeLimits);
  const kiosk = await pairKiosk(t);
  const c = await client(t, kiosk.token);
  // The live copy, or what is stored once the refused connection let it unload.
  const stored = async (): Promise<Y.Doc> =>
    (t.server.hocuspocus.documents.get(name) as unknown as Y.Doc | undefined) ??
    (await t.server.documents.load(name)) ??
    new Y.Doc();
  return { t, kiosk, c, stored };
}

async function refusal(c: Client): Promise<string> {
  await until(() => c.closes.length > 0, 'the server to close the document');
  return (c.closes[0] as { reason: string }).reason;
}

async function refusalsCounted(t: TestServer, reason: string): Promise<number> {
  const text = await metricsText(t);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`headcount_auth_refusals_total{reason="${reason}"}`));
  return Number(line?.split(' ').at(-1) ?? 0);
}

const loggedUpdates = async (t: TestServer) =>
  (await t.server.db.get<{ n: number }>('select count(*) as n from document_updates'))?.n;

/** A v1 check-in entry as a kiosk writes it. */
function checkIn(memberId: string): unknown[] {
  const id = newEventId(Date.now());
  return encodeEntry(
    { kind: 'checkIn', memberId },
    { id, at: Date.now(), clockTrusted: true, method: 'qr' },
  );
}

describe('WriteGuard: whose array', () => {
  it("[W1] refuses a kiosk's entries in another kiosk's array", async () => {
    const { t, c, stored } = await kioskOn();
    const other = await pairKiosk(t, 'Back door');
    kioskCheckIn(c.doc, other.deviceId, 'M1');
    expect(await refusal(c)).toBe('foreign-writer');
    expect((await stored()).share.has(`kiosk:${other.deviceId}`)).toBe(false);
    expect(await refusalsCounted(t, 'foreign-writer')).toBe(1);
    expect(await loggedUpdates(t)).toBe(0);
  });

  it("[W1] refuses a kiosk's void in a staff member's array", async () => {
    const { t, c, stored } = await kioskOn();
    const desk = await staffToken(t);
    recordEvent(
      c.doc,
      { role: 'staff', id: desk.id },
      { kind: 'checkOutAll' },
      { id: newEventId(Date.now()), at: Date.now(), clockTrusted: true, method: 'staff' },
    );
    expect(await refusal(c)).toBe('foreign-writer');
    expect(readEntries(await stored(), today)).toEqual([]);
  });

  it('[W1] refuses structs written under a Yjs client id that writes for someone else', async () => {
    const { t, kiosk, c, stored } = await kioskOn();
    const desk = await staffToken(t);
    const dashboard = await client(t, desk.token);
    dashboard.doc.getArray(`staff:${desk.id}`).push([checkIn('M1')]);
    await until(
      async () => readEntries(await stored(), today).length === 1,
      'the staff entry on the server',
    );
    // The kiosk takes the dashboard's client id: its next struct is the dashboard's next clock.
    await until(() => readEntries(c.doc, today).length === 1, 'the kiosk to hold it');
    c.doc.clientID = dashboard.doc.clientID;
    kioskCheckIn(c.doc, kiosk.deviceId, 'M2');
    expect(await refusal(c)).toBe('foreign-writer');
    // The dashboard's own next write is not blocked by the kiosk's attempt.
    dashboard.doc.getArray(`staff:${desk.id}`).push([checkIn('M3')]);
    await until(
      async () => readEntries(await stored(), today).length === 2,
      'the dashboard to go on',
    );
    expect(dashboard.closes).toEqual([]);
  });

  it("[W1] refuses an item waiting for another writer's next struct, which would land in that writer's array", async () => {
    const { t, c, stored } = await kioskOn();
    const desk = await staffToken(t);
    const dashboard = await client(t, desk.token);
    dashboard.doc.getArray(`staff:${desk.id}`).push([checkIn('M1')]);
    await until(() => readEntries(c.doc, today).length === 1, 'the kiosk to hold the staff entry');
    // Forge the dashboard's next struct locally (never sent), then append after it: the item's
    // origin is a struct the server has not seen, in the staff array.
    const forger = new Y.Doc();
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(c.doc));
    // Taken after loading: Yjs gives up a client id it sees arrive from elsewhere.
    forger.clientID = dashboard.doc.clientID;
    forger.getArray(`staff:${desk.id}`).push([checkIn('M2')]);
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(forger), c.provider);
    c.doc.getArray(`staff:${desk.id}`).push([checkIn('M3')]);
    expect(await refusal(c)).toBe('foreign-writer');
    expect(readEntries(await stored(), today)).toHaveLength(1);
  });
});

describe('WriteGuard: what an entry is', () => {
  const cases: [string, (deviceId: string) => unknown][] = [
    ['a value that is not an entry', () => ['not', 'an', 'entry']],
    [
      'an unknown kind',
      () => [1, new Uint8Array(checkIn('M1')[1] as Uint8Array), 9, 'M1', 0, true, 1],
    ],
    [
      'a correction from a kiosk',
      () =>
        encodeEntry(
          { kind: 'checkOutAll' },
          { id: newEventId(Date.now()), at: Date.now(), clockTrusted: true, method: 'qr' },
        ),
    ],
    ['a newer entry version', () => [2, ...checkIn('M1').slice(1)]],
    ['an entry over 2 KiB', () => [...checkIn('M1'), { note: 'x'.repeat(3000) }].slice(0, 8)],
    ['a field no reader knows (padding)', () => [...checkIn('M1'), { note: 'x' }].slice(0, 8)],
  ];
  for (const [what, entry] of cases) {
    it(`[W2] refuses ${what}`, async () => {
      const { t, kiosk, c, stored } = await kioskOn();
      c.doc.getArray(`kiosk:${kiosk.deviceId}`).push([entry(kiosk.deviceId)]);
      expect(await refusal(c)).toBe('invalid-entry');
      expect(readEntries(await stored(), today)).toEqual([]);
      expect(await refusalsCounted(t, 'invalid-entry')).toBe(1);
    });
  }
});

describe('WriteGuard: quotas', () => {
  it('[W4] takes a busy door: 12 500 entries (5 000 visits and more) in one day', async () => {
    const { kiosk, c, stored } = await kioskOn();
    for (let batch = 0; batch < 5; batch++) {
      c.doc.transact(() => {
        for (let i = 0; i < 2500; i++) kioskCheckIn(c.doc, kiosk.deviceId, `M${batch}-${i}`);
      });
    }
    await until(
      async () => readEntries(await stored(), today).length === 12_500,
      'every entry',
      20_000,
    );
    expect(c.closes).toEqual([]);
  });

  it('[W4] refuses entries past the per-writer entry quota', async () => {
    const { kiosk, c, stored } = await kioskOn({ maxEntriesPerWriterDay: 10 });
    for (let i = 0; i < 10; i++) kioskCheckIn(c.doc, kiosk.deviceId, `M${i}`);
    await until(async () => readEntries(await stored(), today).length === 10, 'ten entries');
    kioskCheckIn(c.doc, kiosk.deviceId, 'M10');
    expect(await refusal(c)).toBe('quota-exceeded');
    expect(readEntries(await stored(), today)).toHaveLength(10);
  });

  it('[W4] refuses entries past the per-writer byte quota', async () => {
    const { kiosk, c, stored } = await kioskOn({ maxBytesPerWriterDay: 400 });
    c.doc.transact(() => {
      for (let i = 0; i < 40; i++) kioskCheckIn(c.doc, kiosk.deviceId, `M${i}`);
    });
    expect(await refusal(c)).toBe('quota-exceeded');
    expect(readEntries(await stored(), today)).toEqual([]);
  });
});

/** A kiosk's clock correction for `segment` ([T5]). */
function clockEntry(segment: string): unknown[] {
  return encodeEntry(
    { kind: 'clock', segment },
    { id: newEventId(Date.now()), at: Date.now(), clockTrusted: true, method: 'device' },
  );
}

describe('WriteGuard: clock corrections', () => {
  it('[T5][W4] takes one clock correction per segment, and refuses a second one for that segment', async () => {
    const { kiosk, c, stored } = await kioskOn();
    const array = c.doc.getArray(`kiosk:${kiosk.deviceId}`);
    array.push([clockEntry('segment-1')]);
    array.push([clockEntry('segment-2')]);
    await until(async () => readEntries(await stored(), today).length === 2, 'two corrections');
    // Every further correction would make every replica re-time that segment's events again.
    array.push([clockEntry('segment-1')]);
    expect(await refusal(c)).toBe('invalid-entry');
    expect(readEntries(await stored(), today)).toHaveLength(2);
  });

  it('[T5][W1] takes the same clock correction again: first held pending, then in the sync that brings its origin', async () => {
    const { t, kiosk, c, stored } = await kioskOn();
    // Another door keeps the day's document loaded on the server, as in a gym.
    const other = await client(t, (await pairKiosk(t, 'side')).token);
    expect(other.closes).toEqual([]);
    const tablet = new Y.Doc();
    const array = tablet.getArray(`kiosk:${kiosk.deviceId}`);
    array.push([checkIn('M1')]); // only in IndexedDB: its socket died
    let correction: Uint8Array | null = null;
    tablet.on('update', (update: Uint8Array) => {
      correction = update;
    });
    array.push([clockEntry('segment-1')]);
    const serverState = Y.encodeStateVector(await stored());
    // The queued correction arrives first and waits for its origin ...
    sendRawUpdate(c, name, correction as unknown as Uint8Array);
    // ... which the next sync brings, with the correction again.
    sendRawUpdate(c, name, Y.encodeStateAsUpdate(tablet, serverState));
    await until(async () => readEntries(await stored(), today).length === 2, 'both entries');
    expect(c.closes).toEqual([]);
  });

  it('[T5][W1] takes a correction re-appended by refusal recovery, with its id, and refuses another id for that segment', async () => {
    const { t, kiosk, c, stored } = await kioskOn();
    const entry = clockEntry('segment-1');
    c.doc.getArray(`kiosk:${kiosk.deviceId}`).push([entry]);
    await until(async () => readEntries(await stored(), today).length === 1, 'the correction');
    // Recovery starts from the server's copy and appends the entries it does not know were kept.
    const again = await client(t, kiosk.token);
    again.doc.getArray(`kiosk:${kiosk.deviceId}`).push([entry]);
    await until(
      async () => readEntries(await stored(), today).length === 2,
      'the same correction again',
    );
    expect(again.closes).toEqual([]);
    again.doc.getArray(`kiosk:${kiosk.deviceId}`).push([clockEntry('segment-1')]);
    expect(await refusal(again)).toBe('invalid-entry');
  });

  it('[T5][W4] refuses clock corrections past the per-writer day quota', async () => {
    const { kiosk, c, stored } = await kioskOn({ maxClockEntriesPerWriterDay: 3 });
    const array = c.doc.getArray(`kiosk:${kiosk.deviceId}`);
    c.doc.transact(() => {
      for (let i = 0; i < 4; i++) array.push([clockEntry(`segment-${i}`)]);
    });
    expect(await refusal(c)).toBe('quota-exceeded');
    expect(readEntries(await stored(), today)).toEqual([]);
  });
});

describe('WriteGuard: the shape of an update', () => {
  it('[D5] refuses deletions in a check-ins document', async () => {
    const { kiosk, c, stored } = await kioskOn();
    kioskCheckIn(c.doc, kiosk.deviceId, 'M1');
    await until(
      async () => readEntries(await stored(), today).length === 1,
      'the entry on the server',
    );
    c.doc.getArray(`kiosk:${kiosk.deviceId}`).delete(0, 1);
    expect(await refusal(c)).toBe('invalid-update');
    expect(readEntries(await stored(), today)).toHaveLength(1);
  });

  it('[D4] refuses map entries, nested types and other top-level types', async () => {
    const attempts: ((doc: Y.Doc, own: string) => void)[] = [
      (doc, own) => doc.getMap(own).set('sneaky', 'map entry'),
      (doc, own) => doc.getArray(own).push([new Y.Array()]),
      (doc) => doc.getArray('notes').push([checkIn('M1')]),
    ];
    for (const attempt of attempts) {
      const { kiosk, c, stored } = await kioskOn();
      attempt(c.doc, `kiosk:${kiosk.deviceId}`);
      expect(await refusal(c)).toBe('invalid-update');
      expect(readEntries(await stored(), today)).toEqual([]);
    }
  });

  it('refuses bytes that are not a Yjs update', async () => {
    const { t, c } = await kioskOn();
    sendRawUpdate(c, name, new Uint8Array([200, 1, 2, 3]));
    expect(await refusal(c)).toBe('invalid-update');
    expect(await loggedUpdates(t)).toBe(0);
  });

  it('[D2] refuses site document content outside settings and members maps', async () => {
    const t = await server({ maxSiteValueBytes: 1000 });
    const desk = await staffToken(t);
    const attempts: ((doc: Y.Doc) => void)[] = [
      (doc) => doc.getMap('secrets').set('a', 1),
      (doc) => doc.getArray('members').push([1]),
      (doc) => doc.getMap('members').set('M1', { name: 'x'.repeat(2000) }),
    ];
    for (const attempt of attempts) {
      const site = await client(t, desk.token, new Y.Doc(), siteDocName(SITE));
      attempt(site.doc);
      expect(await refusal(site)).toBe('invalid-update');
    }
  });
});

describe('WriteGuard: what honest devices do', () => {
  it('[W1] accepts a reloaded kiosk whose queued scans follow entries the server never saw', async () => {
    const { t, kiosk, c, stored } = await kioskOn();
    c.destroy();
    // Offline: a first page load records two scans, never sent.
    const firstLoad = new Y.Doc();
    kioskCheckIn(firstLoad, kiosk.deviceId, 'M1');
    kioskCheckIn(firstLoad, kiosk.deviceId, 'M2');
    // The page reloads (a new Yjs client id) with those scans from storage, and records another
    // before the socket is open: the provider queues it and sends it before its sync, so the
    // server sees an item whose origin is a struct of another client it does not have yet.
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(firstLoad));
    const again = connect(t, name, kiosk.token, reloaded);
    open.push(again);
    kioskCheckIn(reloaded, kiosk.deviceId, 'M3');
    await again.outcome;
    await until(
      async () => readEntries(await stored(), today).length === 3,
      'all three scans on the server',
    );
    expect(again.closes).toEqual([]);
  });
});
