import { afterEach, describe, expect, it } from 'vitest';
import { type CuttableProxy, startCuttableProxy } from '../../e2e/cuttableProxy';
import type { PublicOccupancyAnswer } from '../../shared/apiProtocol';
import { checkinsDocName, siteDocName } from '../../shared/docName';
import { addDays, instantAt, localDayOf } from '../../shared/localTime';
import type { Member } from '../../shared/member';
import { type SiteSettings, writeSettings } from '../../shared/siteDoc';
import { weekdayOf } from '../peakHours';
import { closeAfterEach } from '../testing/closeAfterEach';
import { TEST_ENGINE } from '../testing/testDatabase';
import {
  activeMember,
  connect,
  kioskCheckIn,
  metricsText,
  pairKiosk,
  SITE,
  seedSite,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from '../testing/testServer';

const open = closeAfterEach();
const proxies: CuttableProxy[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.close();
});
/** A document is stored 1 s after its last change (`STORE_CADENCE`); the record follows. */
const RECORDED = 20_000;
const JSON_PATH = `/api/public/sites/${SITE}/occupancy`;
const PAGE_PATH = `/busy/${SITE}`;
const FOREIGN = 'https://gym-website.example';

async function server(): Promise<TestServer> {
  const t = await startTestServer();
  open.push(t);
  return t;
}

async function get(t: TestServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${t.server.port}${path}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function occupancy(t: TestServer): Promise<PublicOccupancyAnswer | null> {
  const answer = await get(t, JSON_PATH);
  return answer.status === 200 ? (JSON.parse(answer.text) as PublicOccupancyAnswer) : null;
}

/** Writes settings through a staff connection, as the dashboard does. */
async function settings(t: TestServer, changes: Partial<SiteSettings>): Promise<void> {
  const staff = await staffToken(t);
  const site = connect(t, siteDocName(SITE), staff.token);
  open.push(site);
  await site.outcome;
  writeSettings(site.doc, changes);
}

/** The public answers' computations so far, from `/metrics`. */
async function computations(t: TestServer): Promise<number> {
  const line = (await metricsText(t))
    .split('\n')
    .find((l) => l.startsWith('headcount_public_occupancy_computations_total '));
  return Number(line?.split(' ')[1]);
}

/** A kiosk connected to today's document; `checkIn` records as a tablet does. */
async function doorOf(t: TestServer) {
  const kiosk = await pairKiosk(t);
  const today = localDayOf(Date.now(), ZONE);
  const door = connect(t, checkinsDocName(SITE, today), kiosk.token);
  open.push(door);
  await door.outcome;
  return {
    kiosk,
    door,
    checkIn: (memberId: string, at = Date.now()) =>
      kioskCheckIn(door.doc, kiosk.deviceId, memberId, at),
  };
}

describe('the public "how busy" answer', () => {
  it('[P1] is not there until staff switch it on: the same 404 as a site that does not exist, or an archived one', async () => {
    const t = await server();
    const off = await get(t, JSON_PATH);
    const unknown = await get(t, '/api/public/sites/nowhere/occupancy');
    expect(off.status).toBe(404);
    expect(off.text).toBe(unknown.text);
    expect(JSON.parse(off.text)).toEqual({
      error: { code: 'not-found', message: 'no public page here' },
    });
    const offPage = await get(t, PAGE_PATH);
    const unknownPage = await get(t, '/busy/nowhere');
    expect(offPage.status).toBe(404);
    expect(unknownPage.status).toBe(404);
    expect(offPage.text).toBe(unknownPage.text);
    expect(offPage.headers.get('content-type')).toBe('text/html; charset=utf-8');

    await settings(t, { publicOccupancy: 'band', capacity: 10 });
    await until(async () => (await get(t, JSON_PATH)).status === 200, 'the page switched on');
    const admin = await staffToken(t, 'admin');
    await t.api('POST', `/api/sites/${SITE}/archive`, {}, admin.token);
    await until(async () => (await get(t, JSON_PATH)).status === 404, 'the archived site gone');
    expect((await get(t, JSON_PATH)).text).toBe(unknown.text);
    expect((await get(t, PAGE_PATH)).text).toBe(unknownPage.text);
  }, 30_000);

  it('[P1] [S9] shows only the band, or the band and the count, as the site chooses; a kiosk check-in counts once the record follows', async () => {
    const t = await server();
    const name = 'Riverside Gym';
    await seedSite(t, { name, timeZone: ZONE, capacity: 10, publicOccupancy: 'band' }, []);
    await until(async () => (await occupancy(t)) !== null, 'the page switched on');
    expect(await occupancy(t)).toMatchObject({
      siteId: SITE,
      name,
      timeZone: ZONE,
      band: 'quiet',
      count: null,
      capacity: null,
      typical: null,
    });
    const { checkIn } = await doorOf(t);
    for (let i = 1; i <= 8; i++) checkIn(`M${i}`);
    await until(async () => (await occupancy(t))?.band === 'busy', '8 of 10 in: busy', RECORDED);
    expect(await occupancy(t)).toMatchObject({ band: 'busy', count: null, capacity: null });

    await settings(t, { publicOccupancy: 'count' });
    await until(async () => (await occupancy(t))?.count === 8, 'the count shown');
    expect(await occupancy(t)).toMatchObject({ band: 'busy', count: 8, capacity: 10 });
    checkIn('M9');
    await until(async () => (await occupancy(t))?.count === 9, 'the 9th counted', RECORDED);
    expect(await occupancy(t)).toMatchObject({ band: 'very-busy', count: 9, capacity: 10 });
    const page = await get(t, PAGE_PATH);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Very busy');
    expect(page.text).toContain('9 people in now (room for 10).');
  }, 60_000);

  it('[P1] has no band without a capacity, and says so on the page', async () => {
    const t = await server();
    await seedSite(t, { timeZone: ZONE, capacity: null, publicOccupancy: 'band' }, []);
    await until(async () => (await occupancy(t)) !== null, 'the page switched on');
    expect(await occupancy(t)).toMatchObject({ band: null, count: null, capacity: null });
    const page = await get(t, PAGE_PATH);
    expect(page.text).toContain('has not set a capacity, so this page cannot say how busy it is');
    expect(page.text).not.toContain('people in now');

    await settings(t, { publicOccupancy: 'count' });
    await until(async () => (await occupancy(t))?.count === 0, 'the count shown');
    expect(await occupancy(t)).toMatchObject({ band: null, count: 0, capacity: null });
    expect((await get(t, PAGE_PATH)).text).toContain('0 people in now.');
  }, 30_000);

  it('[P1] gives the typical occupancy of this hour of this weekday from the last 4 weeks of the record', async () => {
    const t = await server();
    await seedSite(t, { timeZone: ZONE, capacity: 5, publicOccupancy: 'count' }, []);
    const now = Date.now();
    const today = localDayOf(now, ZONE);
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: ZONE,
        hour: '2-digit',
        hourCycle: 'h23',
      }).format(now),
    );
    // Four members in (80 % of 5: busy), on this weekday of each of the 4 weeks before, from an hour before this
    // hour until an hour after it (the test may cross into the next hour), and eight 5 weeks
    // ago: outside the period.
    const rows: (string | number | null)[][] = [];
    for (let week = 1; week <= 5; week++) {
      const day = addDays(today, -7 * week);
      const start = instantAt(day, hour * 60, ZONE) - 3_600_000;
      for (let m = 1; m <= (week === 5 ? 8 : 4); m++)
        rows.push([SITE, 'kiosk:k', `v${week}-${m}`, day, `M${m}`, start, start + 3 * 3_600_000]);
    }
    for (const row of rows)
      await t.server.db.run(
        `insert into visits (site_id, writer, id, day, member_id, start, "end", closed_by)
         values (?, ?, ?, ?, ?, ?, ?, 'checkOut')`,
        row,
      );
    const answer = await occupancy(t);
    expect(answer?.typical).toMatchObject({
      weekday: weekdayOf(today),
      band: 'busy',
      count: 4,
    });
    expect([hour, (hour + 1) % 24]).toContain(answer?.typical?.hour);
    expect(await get(t, PAGE_PATH).then((p) => p.text)).toMatch(
      /Usually at \d\d:00 on \w+days: busy, about 4 people\./,
    );

    // [P3] The grid is read once a local day: visits recorded into the past since change it tomorrow.
    const lastWeek = addDays(today, -7);
    const start = instantAt(lastWeek, hour * 60, ZONE) - 3_600_000;
    for (let m = 5; m <= 12; m++)
      await t.server.db.run(
        `insert into visits (site_id, writer, id, day, member_id, start, "end", closed_by)
         values (?, 'kiosk:k', ?, ?, ?, ?, ?, 'checkOut')`,
        [SITE, `late-${m}`, lastWeek, `M${m}`, start, start + 3 * 3_600_000],
      );
    await settings(t, { publicOccupancy: 'band' });
    await until(async () => (await occupancy(t))?.count === null, 'counts hidden');
    expect((await occupancy(t))?.typical).toMatchObject({ band: 'busy', count: null });
  }, 30_000);

  it('[P2] says it is live while a kiosk is connected, and answers from the last known state with its age when none is', async () => {
    const t = await server();
    await seedSite(t, { timeZone: ZONE, capacity: 10, publicOccupancy: 'count' }, []);
    await until(async () => (await occupancy(t)) !== null, 'the page switched on');
    expect(await occupancy(t)).toMatchObject({ live: false, asOf: null, ageSeconds: null });
    expect((await get(t, PAGE_PATH)).text).toContain('No check-ins have reached the server yet.');

    const { door, checkIn } = await doorOf(t);
    const before = Date.now();
    checkIn('M1');
    await until(async () => (await occupancy(t))?.count === 1, 'the check-in counted', RECORDED);
    const live = await occupancy(t);
    expect(live).toMatchObject({ live: true, ageSeconds: 0 });
    expect(live?.asOf).toBeGreaterThanOrEqual(before);
    expect((await get(t, PAGE_PATH)).text).toContain('Live: up to date at');

    door.destroy();
    await until(async () => (await occupancy(t))?.live === false, 'the kiosk gone', 15_000);
    const offline = (await occupancy(t)) as PublicOccupancyAnswer;
    // What reached the server stays counted, dated when the server last heard from the site.
    expect(offline.count).toBe(1);
    expect(offline.asOf).toBeGreaterThanOrEqual(before);
    expect(offline.asOf).toBeLessThanOrEqual(Date.now());
    expect(offline.ageSeconds).toBeLessThan(30);
    expect((await get(t, PAGE_PATH)).text).toMatch(
      /As of \d\d:\d\d \(just now\): the club's check-in tablets have not reached the server since\./,
    );
  }, 60_000);

  it('[P3] computes once per 5 s however many ask, and unknown sites cost nothing', async () => {
    const t = await server();
    await seedSite(t, { timeZone: ZONE, capacity: 10, publicOccupancy: 'count' }, []);
    await until(async () => (await occupancy(t)) !== null, 'the page switched on');
    // A fresh window: the last computation is over 5 s old.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const before = await computations(t);
    const first = await get(t, JSON_PATH);
    const flood = await Promise.all(Array.from({ length: 200 }, () => get(t, JSON_PATH)));
    const pages = await Promise.all(Array.from({ length: 20 }, () => get(t, PAGE_PATH)));
    const unknown = await Promise.all(
      Array.from({ length: 200 }, (_, i) => get(t, `/api/public/sites/nowhere-${i}/occupancy`)),
    );
    expect(await computations(t)).toBe(before + 1);
    expect(new Set(flood.map((answer) => answer.text))).toEqual(new Set([first.text]));
    expect(pages.every((page) => page.status === 200)).toBe(true);
    expect(unknown.every((answer) => answer.status === 404)).toBe(true);
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
  }, 30_000);

  it('[P1] shows nothing of the roster: no name, id or code of any member, nor any device', async () => {
    const t = await server();
    const roster: Member[] = [
      activeMember('mbr-7f3a91', 'Ada Lovelace', ['card-55501234']),
      activeMember('mbr-0c44e2', 'Grace Hopper', ['card-55505678', 'qr-zq8812']),
      activeMember('mbr-b9d017', '<b>Bold</b> & "Quoted"', ['card-55509999']),
      activeMember('mbr-e61c5d', 'Wednesday Addams', ['card-55500001']),
    ];
    await seedSite(t, { timeZone: ZONE, capacity: 10, publicOccupancy: 'count' }, roster);
    const { kiosk, checkIn } = await doorOf(t);
    const ids = roster.slice(0, 3).map((member) => checkIn(member.id));
    await until(async () => (await occupancy(t))?.count === 3, 'three in', RECORDED);
    const outputs = [
      (await get(t, JSON_PATH)).text,
      (await get(t, PAGE_PATH)).text,
      (await get(t, `${JSON_PATH}?details=all`)).text,
    ];
    const secrets = [
      ...roster.flatMap((member) => [member.id, member.name, ...member.codes]),
      ...roster.map((member) => member.name.split(' ')[0] as string),
      ...ids,
      kiosk.deviceId,
      'Front door',
    ];
    for (const output of outputs)
      for (const secret of secrets) expect(output, secret).not.toContain(secret);
    // What is there: the site, the band and the count.
    expect(JSON.parse(outputs[0] as string)).toMatchObject({ band: 'quiet', count: 3 });
  }, 60_000);
});

// The database going away is PostgreSQL's case (SQLite is a file of the process itself).
describe.runIf(TEST_ENGINE === 'postgres')('the public answer without its database', () => {
  it.each([
    ['refused (queries fail at once)', 'cut'],
    ['silent (queries wait for ever)', 'stall'],
  ] as const)(
    '[P2] keeps answering the last known state, with its age, while PostgreSQL is %s',
    async (_how, pull) => {
      const upstream = new URL(process.env.DATABASE_URL ?? '');
      const proxy = await startCuttableProxy(Number(upstream.port || 5432));
      proxies.push(proxy);
      upstream.host = `127.0.0.1:${proxy.port}`;
      const t = await startTestServer({ DATABASE_URL: upstream.toString() });
      open.push(t);
      await seedSite(t, { timeZone: ZONE, capacity: 10, publicOccupancy: 'count' }, []);
      const { door, checkIn } = await doorOf(t);
      checkIn('M1');
      checkIn('M2');
      await until(async () => (await occupancy(t))?.count === 2, 'two in', RECORDED);
      door.destroy();
      await until(async () => (await occupancy(t))?.live === false, 'the kiosk gone', 15_000);
      const before = (await occupancy(t)) as PublicOccupancyAnswer;

      proxy[pull]();
      const computed = await computations(t);
      // The next window's computation finds no database: it gives up after 2 s, with the last answer.
      await until(
        async () => {
          await get(t, JSON_PATH);
          return (await computations(t)) > computed;
        },
        'a computation without the database',
        15_000,
      );
      const started = Date.now();
      const during = await get(t, JSON_PATH);
      expect(during.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3_000);
      const answer = JSON.parse(during.text) as PublicOccupancyAnswer;
      expect(answer).toMatchObject({ count: 2, band: 'quiet', live: false, asOf: before.asOf });
      expect(answer.ageSeconds).toBeGreaterThanOrEqual(before.ageSeconds ?? 0);
      expect((await get(t, PAGE_PATH)).text).toContain('2 people in now');
      proxy.restore();
    },
    90_000,
  );
});

describe('the public answers in browsers', () => {
  it('[P1] may be read from any origin, while staff routes still refuse a foreign one', async () => {
    const t = await server();
    await seedSite(t, { publicOccupancy: 'band', capacity: 10 }, []);
    await until(async () => (await occupancy(t)) !== null, 'the page switched on');
    const read = await get(t, JSON_PATH, { origin: FOREIGN });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe('*');
    expect(read.headers.get('access-control-allow-credentials')).toBeNull();
    const missing = await get(t, '/api/public/sites/nowhere/occupancy', { origin: FOREIGN });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');

    const staff = await staffToken(t);
    const devices = await fetch(`http://127.0.0.1:${t.server.port}/api/devices`, {
      headers: { origin: FOREIGN, authorization: `Bearer ${staff.token}` },
    });
    expect(devices.headers.get('access-control-allow-origin')).toBeNull();
    const time = await get(t, '/api/time', { origin: FOREIGN });
    expect(time.headers.get('access-control-allow-origin')).toBeNull();
    const write = await fetch(`http://127.0.0.1:${t.server.port}/api/pairing-codes`, {
      method: 'POST',
      headers: {
        origin: FOREIGN,
        authorization: `Bearer ${staff.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Sneaky' }),
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ error: { code: 'bad-origin' } });
    expect(write.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('[P1] lets any site frame the page, and no other page', async () => {
    const t = await server();
    await seedSite(t, { publicOccupancy: 'band', capacity: 10 }, []);
    await until(async () => (await occupancy(t)) !== null, 'the page switched on');
    const page = await get(t, PAGE_PATH);
    expect(page.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBeNull();
    expect(page.text).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page.text).toContain('<button type="button" id="pause" aria-pressed="false" hidden>');
    expect(page.text).toContain('<script>');
    for (const path of ['/dashboard', '/kiosk', '/healthz', JSON_PATH, '/busy']) {
      const other = await get(t, path);
      expect(other.headers.get('content-security-policy'), path).toContain(
        "frame-ancestors 'none'",
      );
      expect(other.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('[P1] is described in the OpenAPI document, with an example', async () => {
    const t = await server();
    const document = (await t.api('GET', '/api/openapi.json')).body as {
      paths: Record<string, { get?: { summary?: string; responses?: Record<string, unknown> } }>;
    };
    const route = document.paths['/api/public/sites/{siteId}/occupancy']?.get;
    expect(route?.summary).toMatch(/^How busy a site is now/);
    // The schema's `examples` become the media type's `example`.
    expect(JSON.stringify(route?.responses?.['200'])).toContain('"example":{"siteId":"riverside"');
    expect(document.paths['/busy/{siteId}']?.get?.summary).toMatch(/page for people/);
  });
});
