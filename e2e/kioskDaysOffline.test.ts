import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { parseEntry } from '../shared/entryCodec';
import type { CheckinEvent } from '../shared/events';
import { addDays, dayWindow, instantAt, type LocalDay, localDayOf } from '../shared/localTime';
import { parseWriterName } from '../shared/writer';
import {
  activeMember,
  connect,
  freePort,
  SITE,
  seedSite,
  staffToken,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, CHROMIUM_PATH, hasChromium } from './browser';
import {
  newPairingCode,
  pairThroughScreen,
  scanAtKiosk as scan,
  kioskStatus as status,
} from './tablet';

/**
 * No day left behind ([D6]), the scenario with the network cut for real: a paired kiosk
 * loses the network, and its clock says 23:00 on day D (two days ago). It records check-ins on
 * D, after midnight on D+1, reloads (shell from the service worker), and after the second
 * midnight on D+2 (today); then the network comes back. Every check-in of every day reaches the
 * server exactly once, the footer counted them all while offline ("… since Sun 23:00") and goes
 * to "All check-ins synced", and the delivered old day is deleted from the tablet.
 *
 * Days must be real recent days: the server takes a kiosk's days only from a week back to
 * tomorrow in its own, real time ([W3]). So the page gets Playwright's clock (`page.clock`):
 *
 * - Installed at the real time before the kiosk first loads, so the server offset the kiosk
 *   measures when it pairs ([T1], `ServerClock`, kept in localStorage) is ~0 and stays ~0: every
 *   later start happens offline, where measuring fails and the stored offset is kept. The test
 *   asserts the offset.
 * - Moved only while the page is offline, and only forward once the days begin (back to D 23:00
 *   with `setSystemTime`, then `fastForward` over each midnight, which also fires the kiosk's
 *   own timers once — its 30-second midnight check among them — as a sleeping tablet waking
 *   would). The last move lands on the real time, so when the network returns the page and the
 *   server agree again (the kiosk's token expiry, the provider's idle check and the dashboard
 *   all compare with `Date.now()`).
 * - The clock's timers keep running in real time between moves, so the provider's reconnect
 *   backoff, Lit and y-indexeddb behave as without it. Playwright replays its clock log on a
 *   reload, so the reloaded page continues from the moved time. The service worker is not a
 *   page and keeps the real clock, which is fine: it only serves the precached shell.
 *
 * The tablet runs in the site's zone and an en-GB locale, as one in an Amsterdam gym would: the
 * footer formats times in the device's zone and locale (`23:00`, not `11:00 PM`).
 */
let dataDir: string;
let port: number;
let server: TestServer | null = null;
const contexts: BrowserContext[] = [];

// The same switches as e2e/browser.ts `launchProfile` (Chromium must not call Google's services
// from a closed network), plus the zone and locale of a tablet in the gym.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function launchTablet(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    timezoneId: ZONE,
    locale: 'en-GB',
  });
}

async function startServer(): Promise<TestServer> {
  server = await startTestServer({ PORT: String(port) }, dataDir, {
    distDir: join(dataDir, 'dist'),
  });
  return server;
}

/** The page's clock now (Playwright's fake clock, moved by the test). */
const pageNow = (page: Page) => page.evaluate(() => Date.now());

/** Moves the page's clock forward to `to`, firing the timers due on the way once. */
async function fastForwardTo(page: Page, to: number): Promise<void> {
  const now = await pageNow(page);
  expect(to, 'the page clock only moves forward here').toBeGreaterThan(now);
  await page.clock.fastForward(to - now);
}

/** The IndexedDB databases the page's origin holds. */
const databases = (page: Page) =>
  page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? '').sort());

/** Every event of `writer` in the server's copy of `day`, read through a staff connection. */
async function eventsOnServer(
  t: TestServer,
  day: LocalDay,
  writer: string,
): Promise<CheckinEvent[]> {
  const { token } = await staffToken(t);
  const client = connect(t, checkinsDocName(SITE, day), token);
  try {
    const outcome = await client.outcome;
    expect(outcome.ok, `staff reads ${day}`).toBe(true);
    const context = {
      writer: parseWriterName(writer) as NonNullable<ReturnType<typeof parseWriterName>>,
      window: dayWindow(day, ZONE),
    };
    const events: CheckinEvent[] = [];
    for (const entry of readEntries(client.doc, day)) {
      if (entry.container !== writer) continue;
      const parsed = parseEntry(entry.value, context);
      expect(parsed.ok, `entry ${entry.key} parses`).toBe(true);
      if (parsed.ok) events.push(parsed.event);
    }
    return events;
  } finally {
    client.destroy();
  }
}

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('kiosk offline over several days', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'headcount-days-offline-'));
    port = await freePort();
    await buildApp(join(dataDir, 'dist'));
    const t = await startServer();
    // No debounce: a second scan right away is a check-out, which this test uses once.
    const members = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) =>
      activeMember(`100${n}`, `Member${n} Test`),
    );
    await seedSite(t, { timeZone: ZONE, debounceSeconds: 0 }, members);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await server?.close();
  });

  it('[D6] records on three local days across two midnights and a reload with the network cut, then delivers every day exactly once', async () => {
    const t = server as TestServer;
    const code = await newPairingCode(t, 'Front door');
    const base = `http://127.0.0.1:${port}`;
    const context = await launchTablet(mkdtempSync(join(tmpdir(), 'headcount-profile-')));
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    // The fake clock starts at the real time, before the kiosk's first load and pairing.
    await page.clock.install({ time: Date.now() });
    await pairThroughScreen(page, base, code);
    await expect.poll(() => status(page), { timeout: 15_000 }).toContain('All check-ins synced');
    // Measured in the background after pairing (three round trips), not awaited by the screen.
    const offsetMs = () =>
      page.evaluate(() => {
        const stored = localStorage.getItem('headcount.clock');
        return stored === null ? null : (JSON.parse(stored) as { offsetMs: number }).offsetMs;
      });
    await expect.poll(offsetMs, { timeout: 10_000 }).not.toBeNull();
    expect(Math.abs((await offsetMs()) as number), 'server offset, ms').toBeLessThan(2000);
    const device = await page.evaluate(() => localStorage.getItem('headcount.device'));
    const writer = `kiosk:${(JSON.parse(device as string) as { deviceId: string }).deviceId}`;

    // One check-in today while online: delivered at once, it must still count once at the end.
    await scan(page, '1009', 'Welcome, Member9');
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('All check-ins synced');

    // The service worker takes control from the next load on (registerType 'prompt').
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.reload();
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
      .toBe(true);
    await expect.poll(() => status(page), { timeout: 15_000 }).toContain('All check-ins synced');

    // Cut the network for real: the server goes away and the browser goes offline.
    await t.close();
    server = null;
    await context.setOffline(true);
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('Offline');

    const today = localDayOf(Date.now(), ZONE);
    const D = addDays(today, -2);
    const D1 = addDays(today, -1);
    const weekdayOfD = new Intl.DateTimeFormat('en-GB', {
      weekday: 'short',
      timeZone: ZONE,
    }).format(instantAt(D, 12 * 60, ZONE));

    // Day D, 23:00 local.
    await page.clock.setSystemTime(instantAt(D, 23 * 60, ZONE));
    for (const n of [1, 2, 3]) await scan(page, `100${n}`, `Welcome, Member${n}`);
    await expect.poll(() => status(page)).toMatch(/3 waiting to sync since 23:0\d/);

    // First midnight: D+1, 00:05.
    await fastForwardTo(page, instantAt(D1, 5, ZONE));
    for (const n of [4, 5]) await scan(page, `100${n}`, `Welcome, Member${n}`);
    const sinceD = new RegExp(`5 waiting to sync since ${weekdayOfD} 23:0\\d`);
    await expect.poll(() => status(page)).toMatch(sinceD);

    // Reload while offline: the shell comes from the service worker, the days from IndexedDB.
    await page.reload();
    await expect.poll(() => status(page), { timeout: 10_000 }).toMatch(sinceD);
    expect(await status(page)).toContain('Offline');

    // Second midnight: D+2 is today, at the real time again.
    const third = Date.now();
    expect(localDayOf(third, ZONE), 'the run straddled a real midnight').toBe(today);
    await fastForwardTo(page, third);
    await scan(page, '1006', 'Welcome, Member6');
    await scan(page, '1007', 'Welcome, Member7');
    await scan(page, '1006', 'See you, Member6');
    await expect
      .poll(() => status(page))
      .toMatch(new RegExp(`8 waiting to sync since ${weekdayOfD} 23:0\\d`));
    const held = await databases(page);
    for (const day of [D, D1, today])
      expect(held).toContain(`headcount:${checkinsDocName(SITE, day)}`);
    expect(await page.evaluate(() => localStorage.getItem('headcount:undelivered:riverside'))).toBe(
      JSON.stringify([D, D1, today]),
    );

    // The network returns: same port, same DATA_DIR; the page clock is on the real time.
    const back = await startServer();
    await context.setOffline(false);
    await expect.poll(() => status(page), { timeout: 30_000 }).toContain('All check-ins synced');
    expect(await status(page)).toContain('Online');

    // Every check-in of every day is on the server exactly once, in its own day.
    const expected: Record<LocalDay, string[]> = {
      [D]: ['checkIn 1001', 'checkIn 1002', 'checkIn 1003'],
      [D1]: ['checkIn 1004', 'checkIn 1005'],
      [today]: ['checkIn 1009', 'checkIn 1006', 'checkIn 1007', 'checkOut 1006'],
    };
    for (const [day, kinds] of Object.entries(expected)) {
      const events = await eventsOnServer(back, day, writer);
      const ids = new Set(events.map((e) => e.id));
      expect(ids.size, `distinct events on ${day}`).toBe(events.length);
      const described = events
        .sort((a, b) => a.recordedAt - b.recordedAt)
        .map((e) => `${e.kind} ${'memberId' in e ? e.memberId : ''}`);
      expect(described, `events on ${day}`).toEqual(kinds);
      const window = dayWindow(day, ZONE);
      for (const e of events) {
        expect(e.recordedAt).toBeGreaterThanOrEqual(window.start);
        expect(e.recordedAt).toBeLessThan(window.end);
      }
    }
    // D's events were recorded after 23:00, in a clock corrected by a ~0 offset.
    const onD = await eventsOnServer(back, D, writer);
    for (const e of onD) expect(e.recordedAt).toBeGreaterThanOrEqual(instantAt(D, 23 * 60, ZONE));

    // D is neither today nor yesterday and holds nothing undelivered: closed and deleted here.
    // (A day counts as delivered after 10 s in sync with nothing pending: LiveDays.watchDelivery.)
    await expect
      .poll(() => databases(page), { timeout: 30_000 })
      .not.toContain(`headcount:${checkinsDocName(SITE, D)}`);
    await expect
      .poll(() => page.evaluate(() => localStorage.getItem('headcount:undelivered:riverside')), {
        timeout: 30_000,
      })
      .toBe('[]');

    // The staff dashboard sees today's visits with the same numbers.
    await back.server.staff.create({
      username: 'desk',
      password: 'correct horse battery',
      role: 'staff',
      siteId: SITE,
    });
    const phone = await launchTablet(mkdtempSync(join(tmpdir(), 'headcount-phone-')));
    contexts.push(phone);
    const dashboard = await phone.newPage();
    await dashboard.setViewportSize({ width: 360, height: 780 });
    await dashboard.goto(`${base}/dashboard`);
    await dashboard.getByLabel('Username').fill('desk');
    await dashboard.getByLabel('Password').fill('correct horse battery');
    await dashboard.getByRole('button', { name: 'Sign in' }).click();
    const tile = (label: string) =>
      dashboard
        .locator('.tile', { hasText: label })
        .locator('.value')
        .textContent({ timeout: 2000 })
        .catch(() => '');
    // 1009 and 1007 are in; 1006 came and went; yesterday's 00:05 visits are long over.
    await expect.poll(() => tile('Visits today'), { timeout: 15_000 }).toBe('3');
    expect(await tile('Currently in')).toBe('2');
    expect(errors).toEqual([]);
  }, 180_000);
});
