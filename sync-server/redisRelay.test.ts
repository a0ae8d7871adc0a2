import { Writable } from 'node:stream';
import IORedis from 'ioredis';
import * as encoding from 'lib0/encoding';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readEntries, recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { newEventId } from '../shared/eventId';
import { KIOSK_PRESENCE, readKioskPresence } from '../shared/kioskPresence';
import { addDays, localDayOf } from '../shared/localTime';
import { REDIS_DOWN } from './http/healthRoutes';
import { relayPrefix } from './RedisRelay';
import { closeAfterEach } from './testing/closeAfterEach';
import { startRedis, type TestRedis } from './testing/redisServer';
import { schemaFor, TEST_ENGINE } from './testing/testDatabase';
import {
  type Client,
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';
import type { WriteLimits } from './WriteGuard';

/**
 * Several instances on one PostgreSQL relay each other's live updates and awareness through
 * Redis (REDIS_URL, RedisRelay). Each test runs two real servers on one schema (so one channel
 * prefix of their own) and a redis-server of its own.
 */
const open = closeAfterEach();
const day = () => localDayOf(Date.now(), ZONE);
const today = () => checkinsDocName(SITE, day());

/** Two instances on one database and one Redis. */
async function pair(
  redisUrl: string,
  options: { writeLimits?: Partial<WriteLimits>; log?: pino.Logger } = {},
): Promise<{ a: TestServer; b: TestServer }> {
  const env = { REDIS_URL: redisUrl };
  // A start without Redis goes on after half a second.
  const serverOptions = { ...options, limits: { redisStartWaitMs: 500 } };
  const a = await startTestServer(env, undefined, serverOptions);
  open.push(a);
  const b = await startTestServer(env, a.dir, serverOptions);
  open.push(b);
  return { a, b };
}

async function client(t: TestServer, name: string, token: string, doc?: Y.Doc): Promise<Client> {
  const c = connect(t, name, token, doc);
  open.push(c);
  expect(await c.outcome).toMatchObject({ ok: true });
  return c;
}

/** The server's live copy of a document (it must be loaded there). */
function live(t: TestServer, name: string): Y.Doc {
  const doc = t.server.hocuspocus.documents.get(name);
  if (!doc) throw new Error(`${name} is not loaded`);
  return doc;
}

const entries = (doc: Y.Doc) => readEntries(doc, day()).length;

/** A logger whose JSON lines land in `lines`. */
function capturedLog(): { log: pino.Logger; lines: { msg: string; err?: string }[] } {
  const lines: { msg: string; err?: string }[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  return { log, lines };
}

async function readiness(t: TestServer): Promise<{ status: number; body: { status: string } }> {
  return t.api<{ status: string }>('GET', '/readyz');
}

/** A staff entry as the dashboard writes one. */
function staffCheckIn(doc: Y.Doc, staffId: string, memberId: string): void {
  const at = Date.now();
  recordEvent(
    doc,
    { role: 'staff', id: staffId },
    { kind: 'checkIn', memberId },
    { id: newEventId(at), at, clockTrusted: true, method: 'staff' },
  );
}

describe.runIf(TEST_ENGINE === 'postgres')('two instances relaying through Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it("relays a kiosk's check-in on one instance to a dashboard on the other live, both ways, with the kiosk's presence", async () => {
    const { a, b } = await pair(redis.url);
    const kiosk = await pairKiosk(a);
    const staff = await staffToken(b);
    const tablet = await client(a, today(), kiosk.token);
    const desk = await client(b, today(), staff.token);

    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => entries(desk.doc) === 1, "the kiosk's check-in on the dashboard");
    staffCheckIn(desk.doc, staff.id, 'M2');
    await until(() => entries(tablet.doc) === 2, "the dashboard's check-in on the kiosk");

    // [W6] as the kiosk's instance rebuilt it: its device id from its token.
    tablet.provider.setAwarenessField(KIOSK_PRESENCE, { deviceId: 'forged', pending: 3 });
    const presenceOnDesk = () =>
      readKioskPresence(
        desk.provider.awareness?.getStates().get(tablet.doc.clientID)?.[KIOSK_PRESENCE],
      );
    await until(() => presenceOnDesk()?.pending === 3, "the kiosk's presence on the dashboard");
    expect(presenceOnDesk()).toEqual({ deviceId: kiosk.deviceId, pending: 3 });
    // Nobody else: relayed awareness brings no stray client along.
    expect([...(desk.provider.awareness?.getStates().keys() ?? [])].sort()).toEqual(
      [desk.doc.clientID, tablet.doc.clientID].sort(),
    );
    // And it is gone as soon as the kiosk leaves (not when it times out, 30 s later).
    tablet.destroy();
    await until(
      () => !desk.provider.awareness?.getStates().has(tablet.doc.clientID),
      'the kiosk gone from the dashboard',
    );
  });

  it('[W4] holds a writer to its quota when it writes on one instance, then on the other', async () => {
    const { a, b } = await pair(redis.url, { writeLimits: { maxEntriesPerWriterDay: 3 } });
    const kiosk = await pairKiosk(a);
    // Keeps the day loaded on B: its count for the kiosk is made once, at the kiosk's first write.
    await client(b, today(), (await staffToken(b)).token);
    const tabletDoc = (await client(b, today(), kiosk.token)).doc;
    kioskCheckIn(tabletDoc, kiosk.deviceId, 'M1');
    await until(() => entries(live(b, today())) === 1, 'the first check-in on B');
    (open.pop() as Client).destroy();

    const onA = await client(a, today(), kiosk.token, tabletDoc);
    kioskCheckIn(tabletDoc, kiosk.deviceId, 'M2');
    kioskCheckIn(tabletDoc, kiosk.deviceId, 'M3');
    await until(() => entries(live(b, today())) === 3, 'the check-ins written on A, relayed to B');
    expect(onA.closes).toEqual([]);
    (open.pop() as Client).destroy();

    const backOnB = await client(b, today(), kiosk.token, tabletDoc);
    kioskCheckIn(tabletDoc, kiosk.deviceId, 'M4');
    await until(() => backOnB.closes.length > 0, 'B to refuse the fourth check-in');
    expect(backOnB.closes[0]?.reason).toBe('quota-exceeded');
    expect(entries(live(b, today()))).toBe(3);
  });

  it('logs a message on its channels it cannot handle, and goes on relaying', async () => {
    const { log, lines } = capturedLog();
    const { a, b } = await pair(redis.url, { log });
    const kiosk = await pairKiosk(a);
    const tablet = await client(a, today(), kiosk.token);
    const desk = await client(b, today(), (await staffToken(b)).token);
    // Another instance's identifier, then a sync message of a type nobody knows.
    const message = encoding.createEncoder();
    encoding.writeVarString(message, today());
    encoding.writeVarUint(message, 0);
    encoding.writeVarUint(message, 99);
    const stranger = Buffer.from('stranger');
    const publisher = new IORedis(redis.url);
    try {
      const prefix = await relayPrefix(a.server.db, schemaFor(a.dir));
      const received = await publisher.publish(
        `${prefix}:${today()}`,
        Buffer.concat([Buffer.from([stranger.length]), stranger, encoding.toUint8Array(message)]),
      );
      expect(received).toBe(2);
    } finally {
      publisher.disconnect();
    }
    await until(
      () => lines.filter((line) => line.err?.includes('message not handled')).length === 2,
      'both instances to log the message',
    );
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => entries(desk.doc) === 1, 'the check-in on the dashboard');
  });
});

describe.runIf(TEST_ENGINE === 'postgres')('Redis going away and coming back', () => {
  let redis: TestRedis | null = null;
  afterEach(async () => {
    await redis?.close();
  });

  it('keeps serving, storing and loading on each instance without Redis, says so on /readyz, and brings the instances together when it is back', async () => {
    redis = await startRedis();
    const { log, lines } = capturedLog();
    const { a, b } = await pair(redis.url, { log });
    const kiosk = await pairKiosk(a);
    const staff = await staffToken(b);
    const tablet = await client(a, today(), kiosk.token);
    const desk = await client(b, today(), staff.token);
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => entries(desk.doc) === 1, 'the check-in relayed while Redis is up');
    expect((await readiness(a)).status).toBe(200);

    await redis.stop();
    for (const t of [a, b])
      await until(
        async () => (await readiness(t)).body.status === REDIS_DOWN,
        '/readyz to say Redis is down',
      );
    expect((await readiness(b)).status).toBe(200);
    expect(lines.map((line) => line.msg)).toContain(
      "redis: down; serving and storing this instance's clients, relaying nothing until it is back",
    );

    // Each instance takes and stores its own clients' writes.
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M2');
    staffCheckIn(desk.doc, staff.id, 'M3');
    await until(() => entries(live(a, today())) === 2, 'A to take the kiosk check-in');
    await until(() => entries(live(b, today())) === 2, 'B to take the staff check-in');
    expect(tablet.closes).toEqual([]);
    expect(desk.closes).toEqual([]);
    // Documents load at once (with ioredis's defaults a load waited ~10 s, then failed).
    for (const [t, name] of [
      [a, siteDocName(SITE)],
      [b, checkinsDocName(SITE, addDays(day(), -1))],
    ] as const) {
      const late = connect(t, name, staff.token);
      open.push(late);
      let synced = false;
      void late.outcome.then((outcome) => {
        synced = outcome.ok;
      });
      await until(() => synced, `${name} to load without Redis`, 3_000);
    }

    await redis.start();
    for (const t of [a, b])
      await until(async () => (await readiness(t)).status === 200, '/readyz to say ready again');
    expect(lines.map((line) => line.msg)).toContain('redis: relaying between instances');
    // Nothing more is written: what each missed comes with the announcement when Redis is back.
    await until(
      () => entries(desk.doc) === 3,
      "the kiosk's check-in made meanwhile on the dashboard",
    );
    await until(() => entries(tablet.doc) === 3, "the desk's check-in made meanwhile on the kiosk");
  });

  it('starts without Redis, and relays the documents it loaded meanwhile once Redis is there', async () => {
    redis = await startRedis();
    await redis.stop();
    const { log, lines } = capturedLog();
    const { a, b } = await pair(redis.url, { log });
    expect(lines.map((line) => line.msg)).toContain(
      "redis: not reachable at start; serving this instance's clients, relaying nothing until it is",
    );
    expect(await readiness(a)).toEqual({ status: 200, body: { status: REDIS_DOWN } });
    const kiosk = await pairKiosk(a);
    const tablet = await client(a, today(), kiosk.token);
    const desk = await client(b, today(), (await staffToken(b)).token);
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M1');
    await until(() => entries(live(a, today())) === 1, 'A to take the check-in');

    await redis.start();
    await until(() => entries(desk.doc) === 1, 'the check-in made before Redis was there');
    kioskCheckIn(tablet.doc, kiosk.deviceId, 'M2');
    await until(() => entries(desk.doc) === 2, 'the next check-in, live');
    for (const t of [a, b]) expect((await readiness(t)).status).toBe(200);
  });
});
