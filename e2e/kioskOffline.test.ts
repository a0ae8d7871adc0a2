import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { deriveDay } from '../shared/deriveDay';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import {
  activeMember,
  freePort,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, hasChromium, launchProfile } from './browser';
import {
  newPairingCode,
  pairThroughScreen,
  scanAtKiosk as scan,
  kioskStatus as status,
} from './tablet';

/**
 * The kiosk with the network cut for real (the server stopped and the browser offline): it keeps
 * checking members in and out, survives a reload and a browser restart with everything in
 * IndexedDB and the shell from the service worker, and delivers all of it when the server is
 * back — nothing lost, nothing doubled.
 */
let dataDir: string;
let port: number;
let server: TestServer | null = null;
const contexts: BrowserContext[] = [];
const day = () => localDayOf(Date.now(), ZONE);

async function startServer(): Promise<TestServer> {
  server = await startTestServer({ PORT: String(port) }, dataDir, {
    distDir: join(dataDir, 'dist'),
  });
  return server;
}

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('kiosk offline', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'headcount-offline-'));
    port = await freePort();
    await buildApp(join(dataDir, 'dist'));
    const t = await startServer();
    // No debounce: a second scan right away is a check-out, which this test needs.
    const members = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => activeMember(`100${n}`, `Member${n} Test`));
    await seedSite(t, { timeZone: ZONE, debounceSeconds: 0 }, members);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await server?.close();
  });

  it('checks members in and out with the network cut, across a reload and a browser restart, and delivers everything', async () => {
    const t = server as TestServer;
    const code = await newPairingCode(t, 'Front door');
    const profile = mkdtempSync(join(tmpdir(), 'headcount-profile-'));
    const base = `http://127.0.0.1:${port}`;

    let context = await launchProfile(profile);
    contexts.push(context);
    let page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await pairThroughScreen(page, base, code);
    for (const n of [1, 2, 3]) await scan(page, `100${n}`, `Welcome, Member${n}`);
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('All check-ins synced');
    expect(await status(page)).toMatch(/Last synced \d/);
    // The service worker takes control from the next load on (registerType 'prompt').
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.reload();
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
      .toBe(true);
    // Installable: Chromium reports no installability errors (only in a persistent profile).
    const cdp = await context.newCDPSession(page);
    expect(await cdp.send('Page.getInstallabilityErrors')).toEqual({ installabilityErrors: [] });

    // Cut the network for real: the server goes away and the browser goes offline.
    await t.close();
    server = null;
    await context.setOffline(true);
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('Offline');
    for (const n of [4, 5, 6, 7, 8]) await scan(page, `100${n}`, `Welcome, Member${n}`);
    await scan(page, '1001', 'See you, Member1');
    await expect.poll(() => status(page)).toContain('6 waiting to sync');

    // Reload while offline: the shell comes from the service worker, the data from IndexedDB.
    await page.reload();
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('6 waiting to sync');

    // Restart the browser with the same profile, still without a server.
    await context.close();
    context = await launchProfile(profile);
    contexts.push(context);
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/kiosk`);
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('6 waiting to sync');

    // The network returns.
    const back = await startServer();
    await expect.poll(() => status(page), { timeout: 20_000 }).toContain('All check-ins synced');
    const doc = back.server.hocuspocus.documents.get(
      checkinsDocName(SITE, day()),
    ) as unknown as Y.Doc;
    const entries = readEntries(doc, day());
    expect(entries).toHaveLength(9);
    const config = {
      day: day(),
      timeZone: ZONE,
      maxStayMs: 4 * 3_600_000,
      closingTime: null,
      debounceMs: 0,
    };
    const { stats } = deriveDay(config, entries, Date.now());
    expect([stats.visitsToday, stats.currentlyIn.length, stats.completedVisits]).toEqual([8, 7, 1]);

    // A second browser — the staff dashboard on a phone — sees all of it with the same numbers.
    await back.server.staff.create({
      username: 'desk',
      password: 'correct horse battery',
      role: 'staff',
      siteId: SITE,
    });
    const phone = await launchProfile(mkdtempSync(join(tmpdir(), 'headcount-phone-')));
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
    await expect.poll(() => tile('Currently in'), { timeout: 15_000 }).toBe('7');
    expect(await tile('Visits today')).toBe('8');
    expect(await tile('Unique members')).toBe('8');
    expect(errors).toEqual([]);
  }, 120_000);
});
