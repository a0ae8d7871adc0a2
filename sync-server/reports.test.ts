import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { newEventId } from '../shared/eventId';
import { addDays, dayWindow, instantAt, localDayOf } from '../shared/localTime';
import { weekdayOf } from './peakHours';
import { ensureSite } from './sites';
import {
  activeMember,
  type Client,
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  seedSite,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const HEADER = 'visit_id,day,member_id,member_name,check_in,check_out,stay_minutes,closed_by';
/** A document is stored 1 s after its last change (`STORE_CADENCE`); the record follows. */
const RECORDED = 15_000;

const open: (TestServer | Client)[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) {
    if ('destroy' in thing) thing.destroy();
    else await thing.close();
  }
});

async function server(): Promise<TestServer> {
  const t = await startTestServer();
  open.push(t);
  return t;
}

/** A GET whose answer may be CSV (the test server's `api` reads only JSON). */
async function get(t: TestServer, path: string, token?: string) {
  const response = await fetch(`${t.wsUrl.replace('ws', 'http')}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function checkOut(doc: Y.Doc, deviceId: string, memberId: string, at: number): void {
  recordEvent(
    doc,
    { role: 'kiosk', id: deviceId },
    { kind: 'checkOut', memberId },
    { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
  );
}

/** The wall clock in the site's zone, written independently of the code under test. */
const clock = (instant: number) =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(instant);

/**
 * A site with a roster where, today, a kiosk checked Ada in, out 20 minutes later and in again,
 * and checked in a member whose name is a spreadsheet formula; resolves once the record holds
 * the three visits.
 */
async function dayWithVisits() {
  const t = await server();
  await seedSite(t, { timeZone: ZONE }, [
    activeMember('M1', 'Ada Lovelace'),
    activeMember('M2', '=HYPERLINK("http://evil.example","Bob")'),
  ]);
  const staff = await staffToken(t);
  const kiosk = await pairKiosk(t);
  const now = Date.now();
  const today = localDayOf(now, ZONE);
  // Well before now, unless the day has just begun (then a little ahead of it, still today).
  const checkedIn = Math.max(dayWindow(today, ZONE).start, now - 50 * 60_000);
  const checkedOut = checkedIn + 20 * 60_000;
  const back = checkedIn + 30 * 60_000;
  const door = connect(t, checkinsDocName(SITE, today), kiosk.token);
  open.push(door);
  await door.outcome;
  kioskCheckIn(door.doc, kiosk.deviceId, 'M1', checkedIn);
  kioskCheckIn(door.doc, kiosk.deviceId, 'M2', checkedIn + 60_000);
  checkOut(door.doc, kiosk.deviceId, 'M1', checkedOut);
  kioskCheckIn(door.doc, kiosk.deviceId, 'M1', back);
  const path = `/api/reports/visits?from=${today}&to=${today}`;
  await until(
    async () => (await get(t, path, staff.token)).text.split('\r\n').length === 5,
    'three visits in the record',
    RECORDED,
  );
  return { t, staff, today, checkedIn, checkedOut, back, path };
}

describe('visits report', () => {
  it('writes a CSV row per visit with names, local times and stay, and neutralises formulas', async () => {
    const { t, staff, today, checkedIn, checkedOut, back, path } = await dayWithVisits();
    const answer = await get(t, path, staff.token);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(answer.headers.get('content-disposition')).toBe(
      `attachment; filename="visits-${SITE}-${today}-to-${today}.csv"`,
    );
    const [header, ada, bob, adaAgain, ...rest] = answer.text.split('\r\n');
    expect(header).toBe(HEADER);
    expect(ada).toMatch(/^[0-9a-f-]{36},/);
    expect(ada?.split(',').slice(1)).toEqual([
      today,
      'M1',
      'Ada Lovelace',
      clock(checkedIn),
      clock(checkedOut),
      '20',
      'checkOut',
    ]);
    expect(bob).toContain(
      `,${today},M2,"'=HYPERLINK(""http://evil.example"",""Bob"")",${clock(checkedIn + 60_000)},,,`,
    );
    expect(adaAgain).toContain(`,${today},M1,Ada Lovelace,${clock(back)},,,`);
    expect(rest).toEqual(['']);
  }, 30_000);

  it('refuses a missing, malformed, reversed or too long range, naming the parameter', async () => {
    const t = await server();
    const { token } = await staffToken(t);
    const cases: [string, string][] = [
      ['to=2026-03-31', 'from:'],
      ['from=2026-03-01', 'to:'],
      ['from=2026-02-30&to=2026-03-31', 'from:'],
      ['from=2026-03-31&to=2026-03-01', 'from:'],
      ['from=2024-01-01&to=2025-01-01', 'to:'],
    ];
    for (const [query, parameter] of cases) {
      const answer = await t.api<{ error: { code: string; message: string } }>(
        'GET',
        `/api/reports/visits?${query}`,
        undefined,
        token,
      );
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('invalid');
      expect(answer.body.error.message.startsWith(parameter), answer.body.error.message).toBe(true);
    }
    const leapYear = await get(t, '/api/reports/visits?from=2024-01-01&to=2024-12-31', token);
    expect(leapYear).toMatchObject({ status: 200, text: `${HEADER}\r\n` });
  });

  it('may be read by a viewer and an admin, not by a kiosk or without a token', async () => {
    const t = await server();
    const path = '/api/reports/visits?from=2026-03-01&to=2026-03-31';
    const viewer = await staffToken(t, 'viewer');
    const admin = await staffToken(t, 'admin');
    const kiosk = await pairKiosk(t);
    expect((await get(t, path, viewer.token)).status).toBe(200);
    expect((await get(t, `${path}&siteId=${SITE}`, admin.token)).status).toBe(200);
    expect((await get(t, `${path}&siteId=nowhere`, admin.token)).status).toBe(404);
    const refused = await t.api('GET', path, undefined, kiosk.token);
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'revoked' } } });
    expect((await get(t, path)).status).toBe(401);
  });

  it("does not show a site's visits to staff of another site", async () => {
    const { t } = await dayWithVisits();
    await ensureSite(t.server.db, 'hilltop', 'UTC');
    const other = await staffToken(t, 'staff', 'hilltop');
    const today = localDayOf(Date.now(), ZONE);
    const range = `from=${addDays(today, -1)}&to=${today}`;
    const named = await t.api(
      'GET',
      `/api/reports/visits?${range}&siteId=${SITE}`,
      undefined,
      other.token,
    );
    expect(named).toMatchObject({ status: 403, body: { error: { code: 'wrong-site' } } });
    const own = await get(t, `/api/reports/visits?${range}`, other.token);
    expect(own.text).toBe(`${HEADER}\r\n`);
    expect(own.headers.get('content-disposition')).toContain('visits-hilltop-');
    const history = await t.api('GET', '/api/members/M1/visits', undefined, other.token);
    expect(history.body).toMatchObject({ memberId: 'M1', name: null, visits: [] });
  }, 30_000);
});

describe("a member's visits", () => {
  it('lists their visits newest first with name and stay, over the last 90 days by default', async () => {
    const { t, staff, today, checkedIn, checkedOut, back } = await dayWithVisits();
    const history = await t.api('GET', '/api/members/M1/visits', undefined, staff.token);
    expect(history.status).toBe(200);
    expect(history.body).toEqual({
      memberId: 'M1',
      name: 'Ada Lovelace',
      from: addDays(today, -89),
      to: today,
      visits: [
        {
          id: expect.any(String),
          day: today,
          start: back,
          end: null,
          closedBy: null,
          stayMs: null,
        },
        {
          id: expect.any(String),
          day: today,
          start: checkedIn,
          end: checkedOut,
          closedBy: 'checkOut',
          stayMs: 20 * 60_000,
        },
      ],
    });
    const viewer = await staffToken(t, 'viewer');
    const bob = await t.api('GET', '/api/members/M2/visits', undefined, viewer.token);
    expect(bob.body).toMatchObject({
      name: '=HYPERLINK("http://evil.example","Bob")',
      visits: [{ start: checkedIn + 60_000, end: null }],
    });
    const before = `/api/members/M1/visits?from=${addDays(today, -30)}&to=${addDays(today, -1)}`;
    expect((await t.api('GET', before, undefined, staff.token)).body).toMatchObject({ visits: [] });
    const stranger = await t.api('GET', '/api/members/nobody/visits', undefined, staff.token);
    expect(stranger.body).toMatchObject({ memberId: 'nobody', name: null, visits: [] });
    const tooLong = await t.api(
      'GET',
      '/api/members/M1/visits?from=2020-01-01',
      undefined,
      staff.token,
    );
    expect(tooLong).toMatchObject({ status: 400, body: { error: { code: 'invalid' } } });
    expect((await t.api('GET', '/api/members/M%201/visits', undefined, staff.token)).status).toBe(
      404,
    );
  }, 30_000);
});

describe('peak hours', () => {
  it('averages yesterday’s visit over its weekday-hours for a one-week period', async () => {
    const t = await server();
    const viewer = await staffToken(t, 'viewer');
    const kiosk = await pairKiosk(t);
    const yesterday = addDays(localDayOf(Date.now(), ZONE), -1);
    const door = connect(t, checkinsDocName(SITE, yesterday), kiosk.token);
    open.push(door);
    await door.outcome;
    // 10:15–11:45: 45 minutes in each of two local hours, which occur once in a week.
    kioskCheckIn(door.doc, kiosk.deviceId, 'M1', instantAt(yesterday, 10 * 60 + 15, ZONE));
    checkOut(door.doc, kiosk.deviceId, 'M1', instantAt(yesterday, 11 * 60 + 45, ZONE));
    type PeakHours = {
      timeZone: string;
      from: string;
      to: string;
      weeks: number;
      hours: number[][];
    };
    const weekday = weekdayOf(yesterday);
    let answer: PeakHours | null = null;
    await until(
      async () => {
        answer = (
          await t.api<PeakHours>('GET', '/api/reports/peak-hours?weeks=1', undefined, viewer.token)
        ).body;
        return (answer.hours[weekday]?.[10] ?? 0) > 0;
      },
      'the visit in the record',
      RECORDED,
    );
    const expected = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
    (expected[weekday] as number[])[10] = 0.75;
    (expected[weekday] as number[])[11] = 0.75;
    expect(answer).toEqual({
      timeZone: ZONE,
      from: addDays(yesterday, -6),
      to: yesterday,
      weeks: 1,
      hours: expected,
    });
    const defaults = await t.api<PeakHours>(
      'GET',
      '/api/reports/peak-hours',
      undefined,
      viewer.token,
    );
    expect(defaults.body).toMatchObject({ weeks: 4, from: addDays(yesterday, -27) });
    for (const weeks of ['0', '13', 'two', '1.5']) {
      const bad = await t.api(
        'GET',
        `/api/reports/peak-hours?weeks=${weeks}`,
        undefined,
        viewer.token,
      );
      expect(bad, weeks).toMatchObject({ status: 400, body: { error: { code: 'invalid' } } });
    }
  }, 30_000);
});
