import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { SessionAnswer } from '../shared/apiProtocol';
import { checkinsDocName, rosterDocName, siteDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import type { Member } from '../shared/member';
import { readRosterDoc, rosterShard } from '../shared/rosterDoc';
import { parseSignal } from './ClusterSignals';
import { admin as cli } from './testing/adminCli';
import { closeAfterEach } from './testing/closeAfterEach';
import { schemaFor, TEST_ENGINE } from './testing/testDatabase';
import {
  activeMember,
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const open = closeAfterEach();
const PASSWORD = 'correct horse battery';
const today = () => checkinsDocName(SITE, localDayOf(Date.now(), ZONE));

async function adminOf(t: TestServer): Promise<SessionAnswer> {
  await t.server.staff.create({
    username: 'boss',
    password: PASSWORD,
    role: 'admin',
    siteId: null,
  });
  return (
    await t.api<SessionAnswer>('POST', '/api/session', { username: 'boss', password: PASSWORD })
  ).body;
}

describe('taking access away without a signal', () => {
  it('[C4] closes the sockets of an account disabled from elsewhere (the CLI) within one sweep', async () => {
    const t = await startTestServer({}, undefined, { limits: { sweepMs: 200 } });
    open.push(t);
    const admin = await adminOf(t);
    const desk = connect(t, siteDocName(SITE), admin.accessToken);
    open.push(desk);
    await desk.outcome;
    // Written straight into the database, as the CLI does: no signal reaches the server.
    await t.server.db.run('update staff set disabled_at = ? where id = ?', [
      Date.now(),
      admin.staff.id,
    ]);
    await until(() => desk.closes.length > 0, 'the sweep to close the socket');
    expect(desk.closes[0]).toEqual({ code: 4403, reason: 'revoked' });
  });
});

// Two instances on one PostgreSQL schema (the same DATA_DIR: the same signing key too).
describe.runIf(TEST_ENGINE === 'postgres')('two instances on one database', () => {
  async function pair(): Promise<{ a: TestServer; b: TestServer; admin: SessionAnswer }> {
    // No sweep within the test's time: only the signal can close sockets on the other instance.
    const limits = { sweepMs: 600_000 };
    const a = await startTestServer({}, undefined, { limits });
    open.push(a);
    const b = await startTestServer({}, a.dir, { limits });
    open.push(b);
    return { a, b, admin: await adminOf(a) };
  }

  it('[M6][D7] brings the rosters the other instance holds in line when members change', async () => {
    const { a, b, admin } = await pair();
    const kiosk = await pairKiosk(a);
    const member = activeMember('M1', 'Ana Lima', ['0451']);
    const name = rosterDocName(SITE, rosterShard(member.id));
    const tablet = connect(b, name, kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    const saved = await a.api('PUT', '/api/members/M1', member, admin.accessToken);
    expect(saved.status).toBe(200);
    const listed = () => {
      const members = new Map<string, Member>();
      readRosterDoc(tablet.doc, members);
      return members;
    };
    await until(() => listed().has('M1'), "the member in the other instance's roster");
  });

  it('[C4] closes a device revoked on one instance on the other at once', async () => {
    const { a, b, admin } = await pair();
    const kiosk = await pairKiosk(a);
    const tablet = connect(b, today(), kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    const revoked = await a.api(
      'DELETE',
      `/api/devices/${kiosk.deviceId}`,
      undefined,
      admin.accessToken,
    );
    expect(revoked.status).toBe(200);
    await until(() => tablet.closes.length > 0, 'the other instance to close the tablet');
    expect(tablet.closes[0]).toEqual({ code: 4403, reason: 'revoked' });
  });

  it('[C4] closes an account disabled on one instance on the other at once', async () => {
    const { a, b, admin } = await pair();
    const made = await a.api<{ account: { id: string }; setupCode: string }>(
      'POST',
      '/api/accounts',
      { username: 'kim', role: 'staff', siteId: SITE },
      admin.accessToken,
    );
    const kim = await b.api<SessionAnswer>('POST', '/api/accounts/setup', {
      code: made.body.setupCode,
      password: PASSWORD,
    });
    const desk = connect(b, siteDocName(SITE), kim.body.accessToken);
    open.push(desk);
    await desk.outcome;
    await a.api(
      'POST',
      `/api/accounts/${made.body.account.id}/disable`,
      undefined,
      admin.accessToken,
    );
    await until(() => desk.closes.length > 0, 'the other instance to close the desk');
    expect(desk.closes[0]).toEqual({ code: 4403, reason: 'revoked' });
  });

  it('[C2] closes the tablets of a site archived on the other instance at once, and listens again after losing its connection', async () => {
    const { a, b, admin } = await pair();
    // The listening connection of b is cut (PostgreSQL restarting, say): b listens again.
    const admin2 = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin2.connect();
    try {
      const cut = await admin2.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [`headcount signals ${schemaFor(a.dir)}`.slice(0, 63)],
      );
      expect(cut.rowCount).toBe(2);
    } finally {
      await admin2.end();
    }
    const kiosk = await pairKiosk(a);
    const tablet = connect(b, today(), kiosk.token);
    open.push(tablet);
    await tablet.outcome;
    const listening = async () => {
      const probe = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await probe.connect();
      try {
        const { rowCount } = await probe.query(
          'select 1 from pg_stat_activity where application_name = $1',
          [`headcount signals ${schemaFor(a.dir)}`.slice(0, 63)],
        );
        return rowCount === 2;
      } finally {
        await probe.end();
      }
    };
    await until(listening, 'both instances to listen again', 15_000);
    await a.api('POST', `/api/sites/${SITE}/archive`, undefined, admin.accessToken);
    await until(() => tablet.closes.length > 0, 'the other instance to close the tablet');
    expect(tablet.closes[0]).toEqual({ code: 1013, reason: 'site-archived' });
  });
});

// One writer of the SQL record per cluster ([R1]): a PostgreSQL advisory lock names it.
describe.runIf(TEST_ENGINE === 'postgres')('the record of two instances on one database', () => {
  /** Member ids with a row in `events` (the record), in order. */
  const recorded = async (t: TestServer) =>
    (
      await t.server.db.all<{ member_id: string }>(
        'select member_id from events order by member_id',
      )
    ).map((row) => row.member_id);

  it('[R1] never loses a row to an instance that holds an older copy of the day (no relay between them)', async () => {
    const limits = { sweepMs: 600_000 };
    const a = await startTestServer({}, undefined, { limits });
    open.push(a);
    const b = await startTestServer({}, a.dir, { limits });
    open.push(b);
    const k1 = await pairKiosk(a, 'Front door');
    const k2 = await pairKiosk(b, 'Side door');
    const door1 = connect(a, today(), k1.token);
    open.push(door1);
    await door1.outcome;
    kioskCheckIn(door1.doc, k1.deviceId, 'M1');
    await until(async () => (await recorded(a)).includes('M1'), 'M1 in the record');
    // B loads the day (with M1) for its own door; without Redis it hears nothing of A's later.
    const door2 = connect(b, today(), k2.token);
    open.push(door2);
    await door2.outcome;
    kioskCheckIn(door1.doc, k1.deviceId, 'M3');
    await until(async () => (await recorded(a)).includes('M3'), 'M3 in the record');
    kioskCheckIn(door2.doc, k2.deviceId, 'M2');
    await until(async () => (await recorded(a)).includes('M2'), 'M2 in the record');
    await Promise.all([a.server.records.settled(), b.server.records.settled()]);
    expect(await recorded(a)).toEqual(['M1', 'M2', 'M3']);
  });

  it('[R1] hands the record to the other instance when the writer stops, which records what reached it meanwhile', async () => {
    const limits = { sweepMs: 600_000, recordWriterRetryMs: 200 };
    const a = await startTestServer({}, undefined, { limits });
    open.push(a);
    const b = await startTestServer({}, a.dir, { limits });
    open.push(b);
    const door = connect(b, today(), (await pairKiosk(b)).token);
    open.push(door);
    await door.outcome;
    const deviceId = (await b.server.db.get<{ id: string }>('select id from devices'))?.id ?? '';
    // A writes the record; B tells it what it stored.
    kioskCheckIn(door.doc, deviceId, 'M1');
    await until(async () => (await recorded(b)).includes('M1'), 'M1 in the record');
    await a.close();
    kioskCheckIn(door.doc, deviceId, 'M2');
    kioskCheckIn(door.doc, deviceId, 'M3');
    await until(
      async () => (await recorded(b)).join() === 'M1,M2,M3',
      'B to take over and record M2 and M3',
    );
    await b.server.records.settled();
    expect(await recorded(b)).toEqual(['M1', 'M2', 'M3']);
  });
});

describe.runIf(TEST_ENGINE === 'postgres')('the admin CLI beside a running server', () => {
  it('[C4] disconnects an account disabled from the CLI at once, with PostgreSQL', async () => {
    const t = await startTestServer({}, undefined, { limits: { sweepMs: 600_000 } });
    open.push(t);
    await t.server.staff.create({
      username: 'kim',
      password: PASSWORD,
      role: 'staff',
      siteId: SITE,
    });
    const kim = await t.api<SessionAnswer>('POST', '/api/session', {
      username: 'kim',
      password: PASSWORD,
    });
    const desk = connect(t, siteDocName(SITE), kim.body.accessToken);
    open.push(desk);
    await desk.outcome;
    expect((await cli(t.dir, ['disable-staff', 'kim'])).code).toBe(0);
    await until(() => desk.closes.length > 0, 'the server to close the desk');
    expect(desk.closes[0]).toEqual({ code: 4403, reason: 'revoked' });
  }, 60_000);
});

describe('cluster signals on the wire', () => {
  it('reads only the signals it knows, whatever else arrives on the channel', () => {
    expect(parseSignal('{"kind":"sites"}')).toEqual({ kind: 'sites' });
    expect(parseSignal('{"kind":"subject","subject":"d1","reason":"revoked"}')).toEqual({
      kind: 'subject',
      subject: 'd1',
      reason: 'revoked',
    });
    for (const junk of [
      'not json',
      'null',
      '[]',
      '{"kind":"subject","subject":42,"reason":"x"}',
      `{"kind":"subject","subject":"${'x'.repeat(65)}","reason":"x"}`,
      '{"kind":"drop tables"}',
    ])
      expect(parseSignal(junk), junk).toBeNull();
  });
});
