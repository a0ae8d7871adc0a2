import { isDeepStrictEqual } from 'node:util';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { describe, expect, it } from 'vitest';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import type { DayConfig } from '../shared/DayLedger';
import { deriveDay } from '../shared/deriveDay';
import { checkinsDocName } from '../shared/docName';
import { encodeEntry } from '../shared/entryCodec';
import { deviceTimeOf, eventIdFromBytes, newEventId } from '../shared/eventId';
import type { Method, NewEvent } from '../shared/events';
import { addDays, instantAt, localDayOf } from '../shared/localTime';
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

/**
 * The attacks of issue #9, as an attacker would make them: a real paired kiosk (a modified app
 * with a real token) and real providers against a real server, in a gym already in use. Each
 * forgery is refused with its reason, never stored, logged or relayed, and leaves every
 * dashboard's numbers, before and after a restart, as honest devices made them.
 */
const today = localDayOf(Date.now(), ZONE);
const name = checkinsDocName(SITE, today);
const config: DayConfig = {
  day: today,
  timeZone: ZONE,
  maxStayMs: 4 * 3_600_000,
  closingTime: null,
  debounceMs: 120_000,
};
/** What the honest gym below derives: six visits (a seventh scan voided by the desk), all in. */
const HONEST = { visits: 6, inside: ['M1', 'M2', 'M3', 'M5', 'M6', 'M7'] };
const open = closeAfterEach();

async function server(dir?: string): Promise<TestServer> {
  const t = await startTestServer({}, dir);
  open.push(t);
  return t;
}

async function client(t: TestServer, token: string, docName = name): Promise<Client> {
  const c = connect(t, docName, token);
  open.push(c);
  expect(await c.outcome).toMatchObject({ ok: true });
  return c;
}

const entriesOf = (doc: Y.Doc | null | undefined) => (doc ? readEntries(doc, today) : []);
const live = (t: TestServer) => t.server.hocuspocus.documents.get(name) as Y.Doc | undefined;

function numbers(doc: Y.Doc | null | undefined) {
  const stats = deriveDay(config, entriesOf(doc), Date.now()).stats;
  return { visits: stats.visitsToday, inside: stats.currentlyIn.map((p) => p.memberId).sort() };
}

/** An entry as a (possibly modified) app encodes it. */
function entry(event: NewEvent, at = Date.now(), id = newEventId(at), method: Method = 'qr') {
  return encodeEntry(event, { id, at, clockTrusted: true, method });
}
/** A staff void of kiosk `kioskId`'s event `targetId`. */
const voidOf = (targetId: string, kioskId: string, id?: string) =>
  entry(
    { kind: 'void', targetId, targetWriter: { role: 'kiosk', id: kioskId }, reason: 'double scan' },
    Date.now(),
    id,
    'staff',
  );

const same = (value: unknown, forged: readonly unknown[]) =>
  forged.some((f) => isDeepStrictEqual(value, f));
const holds = (doc: Y.Doc | null | undefined, forged: readonly unknown[]) =>
  entriesOf(doc).some((e) => same(e.value, forged));
/** True when a Yjs update carries any of `forged` (decoded, not applied: it may be pending). */
const carries = (update: Uint8Array, forged: readonly unknown[]) =>
  Y.decodeUpdate(update).structs.some(
    (s) => s instanceof Y.Item && s.content.getContent().some((v) => same(v, forged)),
  );
/** The update log's rows for today's document ([W5]), honest ones included. */
const LOG = 'select update_data as u from document_updates where name = ?';
const logged = async (t: TestServer) =>
  (await t.server.db.all<{ u: Buffer }>(LOG, [name])).map((row) => new Uint8Array(row.u));

async function metric(t: TestServer, series: string): Promise<number> {
  const text = await metricsText(t);
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ').at(-1) ?? 0);
}
const refusals = (t: TestServer, reason: string) =>
  metric(t, `headcount_auth_refusals_total{reason="${reason}"}`);

async function refusal(c: Client): Promise<string> {
  await until(() => c.closes.length > 0, 'the server to close the document');
  return (c.closes[0] as { reason: string }).reason;
}

/**
 * A gym in use: kiosks Front (M1–M4) and Back (M5–M7), and the desk's dashboard, which voided
 * M4's scan. Everything the dashboard receives from then on is kept.
 */
async function gym() {
  const t = await server();
  const a = await pairKiosk(t, 'Front');
  const b = await pairKiosk(t, 'Back');
  const desk = await staffToken(t);
  const front = await client(t, a.token);
  const back = await client(t, b.token);
  const dashboard = await client(t, desk.token);
  const now = Date.now();
  const at = (minutesAgo: number) => Math.max(now - minutesAgo * 60_000, instantAt(today, 0, ZONE));
  const ids: Record<string, string> = {};
  for (const [i, m] of ['M1', 'M2', 'M3', 'M4'].entries())
    ids[m] = kioskCheckIn(front.doc, a.deviceId, m, at(40 - i));
  for (const [i, m] of ['M5', 'M6', 'M7'].entries())
    ids[m] = kioskCheckIn(back.doc, b.deviceId, m, at(30 - i));
  const deskVoid = voidOf(ids.M4 as string, a.deviceId);
  dashboard.doc.getArray(`staff:${desk.id}`).push([deskVoid]);
  await until(
    () => [front, back, dashboard, { doc: live(t) }].every((c) => entriesOf(c.doc).length === 8),
    'the honest gym everywhere',
  );
  expect(numbers(dashboard.doc)).toEqual(HONEST);
  const received: Uint8Array[] = [];
  dashboard.doc.on('update', (update: Uint8Array) => received.push(update));
  const clients = [front, back, dashboard];
  return { t, a, b, desk, front, back, dashboard, ids, deskVoid, received, clients };
}
type Gym = Awaited<ReturnType<typeof gym>>;

/** A denial at the back door: syncs like any entry, changes no number. */
async function backDoorStillSyncs(g: Gym): Promise<void> {
  const denial = entry({ kind: 'denied', memberId: '', reason: 'unknown', code: `X${Date.now()}` });
  g.back.doc.getArray(`kiosk:${g.b.deviceId}`).push([denial]);
  await until(() => holds(g.dashboard.doc, [denial]), 'the back door to keep syncing');
  expect(g.back.closes).toEqual([]);
  expect(g.dashboard.closes).toEqual([]);
}

/**
 * After a refused attack: none of `forged` was relayed, applied, logged or stored, and the
 * numbers stay `expected` on the dashboard, in the stored document and after a restart.
 */
async function nothingOfIt(g: Gym, forged: readonly unknown[], expected = HONEST) {
  // The refusal has been seen, so the forged update was judged before this denial was sent.
  await backDoorStillSyncs(g);
  expect(g.received.some((update) => carries(update, forged))).toBe(false);
  expect(holds(g.dashboard.doc, forged)).toBe(false);
  expect(numbers(g.dashboard.doc)).toEqual(expected);
  expect(holds(live(g.t), forged)).toBe(false);
  expect((await logged(g.t)).some((update) => carries(update, forged))).toBe(false);
  await unloadAndRestart(g, (doc) => {
    expect(holds(doc, forged)).toBe(false);
    expect(numbers(doc)).toEqual(expected);
    expect(Y.encodeStateAsUpdate(doc ?? new Y.Doc()).byteLength).toBeLessThan(64 * 1024);
  });
}

/** Lets the document unload, checks what is stored, restarts on the same DATA_DIR, checks again. */
async function unloadAndRestart(g: Gym, check: (doc: Y.Doc | null) => void): Promise<void> {
  for (const c of g.clients) c.destroy();
  await until(() => !g.t.server.hocuspocus.documents.has(name), 'the document to unload');
  check(await g.t.server.documents.load(name));
  expect((await fetch(`http://127.0.0.1:${g.t.server.port}/healthz`)).status).toBe(200);
  await g.t.close();
  const again = await server(g.t.dir);
  const reader = await client(again, (await staffToken(again)).token);
  check(reader.doc);
}

describe('attacks on ownership [W1]', () => {
  it("[W1] refuses a kiosk's void in the desk's staff array, so a real visit stays counted", async () => {
    const g = await gym();
    const forged = voidOf(g.ids.M1 as string, g.a.deviceId);
    g.front.doc.getArray(`staff:${g.desk.id}`).push([forged]);
    expect(await refusal(g.front)).toBe('foreign-writer');
    expect(await refusals(g.t, 'foreign-writer')).toBe(1);
    await nothingOfIt(g, [forged]);
  });

  it("[W1] refuses a kiosk's check-out-all in a made-up staff array, so nobody is checked out", async () => {
    const g = await gym();
    const forged = entry({ kind: 'checkOutAll' }, Date.now(), undefined, 'staff');
    g.front.doc.getArray('staff:nightshift-manager').push([forged]);
    expect(await refusal(g.front)).toBe('foreign-writer');
    await nothingOfIt(g, [forged]);
  });

  it("[W1] refuses a kiosk's fake staff check-ins, so visits do not rise", async () => {
    const g = await gym();
    const forged = ['M90', 'M91', 'M92'].map((m) =>
      entry({ kind: 'checkIn', memberId: m }, Date.now(), undefined, 'staff'),
    );
    g.front.doc.getArray(`staff:${g.desk.id}`).push(forged);
    expect(await refusal(g.front)).toBe('foreign-writer');
    await nothingOfIt(g, forged);
  });

  it("[W1] refuses a check-in in the other door's array, closing only that document of the socket", async () => {
    const g = await gym();
    // The same socket also holds yesterday's document, as a kiosk just past midnight does.
    const yesterday = checkinsDocName(SITE, addDays(today, -1));
    const older = new HocuspocusProvider({
      websocketProvider: g.front.provider.configuration.websocketProvider,
      name: yesterday,
      document: new Y.Doc(),
      token: g.a.token,
    });
    older.attach();
    await until(() => older.isSynced, "yesterday's document on the same socket");
    const forged = entry({ kind: 'checkIn', memberId: 'M40' });
    g.front.doc.getArray(`kiosk:${g.b.deviceId}`).push([forged]);
    expect(await refusal(g.front)).toBe('foreign-writer');
    kioskCheckIn(older.document, g.a.deviceId, 'M41', instantAt(addDays(today, -1), 12 * 60, ZONE));
    await until(
      () =>
        entriesOf(g.t.server.hocuspocus.documents.get(yesterday) as Y.Doc | undefined).length > 0,
      "the kiosk's next scan in yesterday's document",
    );
    older.destroy();
    await nothingOfIt(g, [forged]);
  });

  it("[W1] refuses a kiosk re-using the id of the desk's void with other content, so the correction holds", async () => {
    const g = await gym();
    // The desk voided M4's scan; the forgery, under that void's id, voids M5's instead.
    const forged = voidOf(g.ids.M5 as string, g.b.deviceId, eventIdFromBytes(g.deskVoid[1]) ?? '');
    g.front.doc.getArray(`staff:${g.desk.id}`).push([forged]);
    expect(await refusal(g.front)).toBe('foreign-writer');
    await nothingOfIt(g, [forged]);
  });

  it("[W1][E2] takes a kiosk's own entry under the other door's event id, never as the other door's", async () => {
    const g = await gym();
    const stolen = g.ids.M5 as string;
    const theirs = (doc: Y.Doc | null | undefined) =>
      deriveDay(config, entriesOf(doc), Date.now())
        .stats.feed.filter((f) => f.id === stolen)
        .map((f) => ({ writer: f.writer.id, memberId: f.memberId, at: f.at, voided: f.voided }));
    const before = theirs(g.dashboard.doc);
    expect(before).toHaveLength(1);
    // Another member, an hour before the other door's scan, under its id, in the kiosk's own array.
    const own = entry(
      { kind: 'checkIn', memberId: 'M66' },
      deviceTimeOf(stolen) - 3_600_000,
      stolen,
    );
    g.front.doc.getArray(`kiosk:${g.a.deviceId}`).push([own]);
    await until(() => holds(g.dashboard.doc, [own]), "the kiosk's own entry on the dashboard");
    const expected = { visits: 7, inside: [...HONEST.inside, 'M66'].sort() };
    const check = (doc: Y.Doc | null | undefined) => {
      expect(numbers(doc)).toEqual(expected);
      const both = theirs(doc);
      expect(both.filter((f) => f.writer === g.b.deviceId)).toEqual(before);
      expect(both.filter((f) => f.writer === g.a.deviceId).map((f) => f.memberId)).toEqual(['M66']);
    };
    check(g.dashboard.doc);
    expect(g.front.closes).toEqual([]);
    await unloadAndRestart(g, check);
  });
});

describe('attacks on what an entry is [W2] and how much a writer holds [W4]', () => {
  it('[W2] refuses 20 updates of about 1 MB of entries of any shape; the document stays small', async () => {
    const g = await gym();
    const shapes: ((i: number) => unknown)[] = [
      (i) => [...entry({ kind: 'checkIn', memberId: `M${i}` }), { pad: 'x'.repeat(1_000_000) }],
      () => 'x'.repeat(1_000_000),
      (i) => [1, new Uint8Array(1_000_000).fill(7), 0, `M${i}`, 0, true, 1],
      (i) => Array.from({ length: 100_000 }, (_, j) => `${i}:${j}`),
    ];
    const forged: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      const junk = new Y.Doc();
      const value = (shapes[i % shapes.length] as (i: number) => unknown)(i);
      junk.getArray(`kiosk:${g.a.deviceId}`).push([value]);
      forged.push(value);
      const attacker = await client(g.t, g.a.token);
      sendRawUpdate(attacker, name, Y.encodeStateAsUpdate(junk));
      expect(await refusal(attacker)).toBe('invalid-entry');
      attacker.destroy();
    }
    expect(await refusals(g.t, 'invalid-entry')).toBe(20);
    expect(Y.encodeStateAsUpdate(live(g.t) as Y.Doc).byteLength).toBeLessThan(64 * 1024);
    expect((await logged(g.t)).reduce((sum, u) => sum + u.byteLength, 0)).toBeLessThan(64 * 1024);
    await nothingOfIt(g, forged);
  });
});

describe('attacks on the calendar [W3]', () => {
  it('[W3] refuses a kiosk on a day 30 days back or 3 days ahead, and takes a long weekend offline', async () => {
    const g = await gym();
    const day = (n: number) => checkinsDocName(SITE, addDays(today, n));
    const attempt = (n: number) => {
      const c = connect(g.t, day(n), g.a.token);
      open.push(c);
      // Recorded offline, sent as soon as the socket opens.
      kioskCheckIn(c.doc, g.a.deviceId, `M-day${n}`, instantAt(addDays(today, n), 12 * 60, ZONE));
      return c.outcome;
    };
    expect(await attempt(-30)).toEqual({ ok: false, reason: 'past-day' });
    // Three, not two: `today` was read when the file loaded, and the site's midnight (23:00
    // UTC in winter) may pass before the server reads its own; two days ahead would then be
    // tomorrow, which a kiosk may write. (The boundary itself is access.test.ts's.)
    expect(await attempt(3)).toEqual({ ok: false, reason: 'future-day' });
    expect(await attempt(-3)).toMatchObject({ ok: true });
    await until(
      () =>
        entriesOf(g.t.server.hocuspocus.documents.get(day(-3)) as Y.Doc | undefined).length === 1,
      'the long weekend delivered',
    );
    expect(await refusals(g.t, 'past-day')).toBe(1);
    expect(await refusals(g.t, 'future-day')).toBe(1);
    await backDoorStillSyncs(g);
    const stored = () =>
      Promise.all(
        [-30, 3, -3].map(async (n) => (await g.t.server.documents.load(day(n))) !== null),
      );
    await until(async () => (await stored())[2] === true, 'the long weekend stored');
    expect(await stored()).toEqual([false, false, true]);
    await unloadAndRestart(g, (doc) => expect(numbers(doc)).toEqual(HONEST));
  });
});

describe('attacks on awareness [W6]', () => {
  it("[W6] never shows a viewer's state as a kiosk, and shows a kiosk only as itself", async () => {
    const g = await gym();
    const viewer = await client(g.t, (await staffToken(g.t, 'viewer')).token);
    const awareness = g.dashboard.provider.awareness as Awareness;
    const states = () => awareness.getStates();
    const seen: string[] = [];
    const heard = new Map<number, number>();
    awareness.on('update', ({ added, updated }: { added: number[]; updated: number[] }) => {
      for (const id of [...added, ...updated]) {
        heard.set(id, (heard.get(id) ?? 0) + 1);
        seen.push(JSON.stringify(states().get(id) ?? null));
      }
    });
    g.front.provider.awareness?.setLocalState({ kiosk: { deviceId: g.a.deviceId, pending: 0 } });
    g.back.provider.awareness?.setLocalState({ kiosk: { deviceId: 'someone-else', pending: 5 } });
    await until(
      () =>
        states().get(g.back.doc.clientID)?.kiosk?.pending === 5 &&
        states().get(g.front.doc.clientID)?.kiosk !== undefined,
      "both kiosks' presence on the dashboard",
    );
    expect(states().get(g.front.doc.clientID)).toEqual({
      kiosk: { deviceId: g.a.deviceId, pending: 0 },
    });
    expect(states().get(g.back.doc.clientID)).toEqual({
      kiosk: { deviceId: g.b.deviceId, pending: 5 },
    });
    // A viewer pretends to be the front door with a huge backlog, padded, then without padding.
    const pretend = { kiosk: { deviceId: g.a.deviceId, pending: 9999 } };
    const before = heard.get(viewer.doc.clientID) ?? 0;
    viewer.provider.awareness?.setLocalState({ ...pretend, junk: 'x'.repeat(900_000) });
    const oversized = 'headcount_awareness_dropped_total{reason="oversized"}';
    await until(async () => (await metric(g.t, oversized)) === 1, 'the oversized state dropped');
    viewer.provider.awareness?.setLocalState(pretend);
    await until(() => (heard.get(viewer.doc.clientID) ?? 0) > before, "the viewer's next state");
    expect(states().get(viewer.doc.clientID)).toEqual({});
    expect(seen.filter((s) => /9999|junk|someone-else/.test(s))).toEqual([]);
    expect(await metric(g.t, oversized)).toBe(1);
    expect(numbers(g.dashboard.doc)).toEqual(HONEST);
  });
});
