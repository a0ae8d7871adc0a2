import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Member } from '../shared/member';
import { readRosterDoc, rosterDocNames } from '../shared/rosterDoc';
import {
  activeMember,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import {
  accessibilityProblems,
  buildApp,
  hasChromium,
  launchChromium,
  launchProfile,
} from './browser';
import { scanAtKiosk } from './tablet';

/**
 * The staff dashboard on a phone-sized screen in Chromium, against the built app and a real
 * server: sign in, pair a kiosk, watch its check-ins arrive live, void a mistake and see it on a
 * second dashboard, import members from CSV, and a viewer who can change nothing; what needs
 * Chromium (axe-core, installability, a phone's viewport and offline mode) is here. The main
 * flow — live numbers, a void, a cut connection that says "as of", catching up — runs in every
 * engine in dashboardScenario.test.ts.
 */
let server: TestServer;
let browser: Browser;
let base: string;
const PASSWORD = 'correct horse battery';
const PHONE = { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true };

async function phone(
  url: string,
  username: string,
): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext(PHONE);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/dashboard`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => badge(page), { timeout: 15_000 }).toContain('LIVE');
  return { page, context, errors };
}

const badge = (page: Page) =>
  page
    .locator('header [role="status"]')
    .first()
    .textContent({ timeout: 2000 })
    .catch(() => '');
const currentlyIn = async (page: Page) =>
  Number(
    await page
      .locator('.tile.current .value')
      .textContent({ timeout: 2000 })
      .catch(() => -1),
  );
const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name });

/**
 * True when anything is wider than the phone: the page, or the screen area (which scrolls by
 * itself, so its overflow would not widen the page), or any element in it.
 */
const overflows = (page: Page) =>
  page.evaluate(() => {
    const main = document.querySelector('hc-dashboard-app')?.shadowRoot?.querySelector('main');
    const tooWide = (root: Document | ShadowRoot): boolean =>
      [...root.querySelectorAll('*')].some(
        (el) =>
          el.getBoundingClientRect().right > window.innerWidth + 0.5 ||
          (el.shadowRoot !== null && tooWide(el.shadowRoot)),
      );
    return (
      document.documentElement.scrollWidth > window.innerWidth ||
      (main ? main.scrollWidth > main.clientWidth : false) ||
      tooWide(document)
    );
  });

/** The tablet in these tests shares the machine with two phones: results may take a while. */
const kioskScan = (page: Page, number: string, expected: string) =>
  scanAtKiosk(page, number, expected, 10_000);

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('staff dashboard on a phone', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-dashboard-'));
    await buildApp(join(dataDir, 'dist'));
    server = await startTestServer({}, dataDir, { distDir: join(dataDir, 'dist') });
    base = server.wsUrl.replace('ws', 'http');
    await seedSite(server, { timeZone: ZONE, capacity: 10, debounceSeconds: 0 }, [
      activeMember('1042', 'Ana Lima'),
      activeMember('2002', 'Ben Okafor'),
      activeMember('3003', 'Cai Wu'),
    ]);
    for (const role of ['staff', 'viewer'] as const)
      await server.server.staff.create({
        username: `desk-${role}`,
        password: PASSWORD,
        role,
        siteId: SITE,
      });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('pairs a kiosk, shows its check-ins live, and voids a mistake on every dashboard', async () => {
    const desk = await phone(base, 'desk-staff');
    const { page } = desk;
    expect(await accessibilityProblems(page)).toEqual([]);

    // Pair a tablet from the phone: the code is shown as text and as a QR code.
    await tab(page, 'Kiosks').click();
    await page.getByRole('button', { name: 'Get a pairing code' }).click();
    const code = (await page.locator('.code').textContent())?.trim() ?? '';
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(await page.getByRole('img', { name: 'Pairing code as a QR code' }).count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    const tablet = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 } })
    ).newPage();
    await tablet.goto(`${base}/kiosk`);
    await tablet.getByLabel('Pairing code from the staff dashboard').fill(code);
    await tablet.getByRole('button', { name: 'Pair this tablet' }).click();
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByText('Front door').count(), { timeout: 10_000 }).toBe(1);

    // Check-ins at the kiosk arrive live.
    await tab(page, 'Now').click();
    await kioskScan(tablet, '1042', 'Welcome, Ana');
    await kioskScan(tablet, '2002', 'Welcome, Ben');
    await expect.poll(() => currentlyIn(page), { timeout: 10_000 }).toBe(2);
    expect(
      (await page.getByText('2 % of 10').count()) + (await page.getByText('20 % of 10').count()),
    ).toBe(1);
    expect(await overflows(page)).toBe(false);
    expect(await accessibilityProblems(page)).toEqual([]);

    // A void on this phone changes the numbers on a second phone.
    const second = await phone(base, 'desk-staff');
    await expect.poll(() => currentlyIn(second.page), { timeout: 10_000 }).toBe(2);
    await tab(page, 'Activity').click();
    await page.getByRole('button', { name: /^Void Ben Okafor checked in/ }).click();
    await page.getByLabel('Reason').fill('scanned the wrong card');
    await page.getByRole('button', { name: 'Void', exact: true }).click();
    await expect.poll(() => currentlyIn(second.page), { timeout: 10_000 }).toBe(1);
    expect(await page.getByText('“scanned the wrong card”').count()).toBeGreaterThan(0);
    expect(await overflows(page)).toBe(false);
    expect(await accessibilityProblems(page)).toEqual([]);

    // Every other screen passes axe-core and fits the phone.
    for (const name of ['Members', 'Kiosks', 'Reports', 'Settings']) {
      await tab(page, name).click();
      await page
        .getByRole('heading', { level: 2, name: new RegExp(name === 'Kiosks' ? 'Kiosks' : name) })
        .first()
        .waitFor();
      expect(await overflows(page), name).toBe(false);
      expect(await accessibilityProblems(page), name).toEqual([]);
    }

    // Revoking the tablet from the phone stops it at once, although it is connected.
    await tab(page, 'Kiosks').click();
    await page.getByRole('button', { name: 'Revoke Front door' }).click();
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await tablet.getByText('This tablet was removed by staff').waitFor({ timeout: 15_000 });
    expect(await tablet.getByRole('button', { name: 'OK, check in or out' }).count()).toBe(0);

    expect([...desk.errors, ...second.errors]).toEqual([]);
    await second.context.close();
    await desk.context.close();
  }, 120_000);

  it('[M1] imports members from CSV only after the preview, reports the bad line, and is safe to run again', async () => {
    const { page, context } = await phone(base, 'desk-staff');
    await tab(page, 'Members').click();
    const csv =
      'id,name,status,valid_until\n5001,Dana Ek,active,\n5002,Eli Fox,paused,\n5003,Fay Gold,frozen,2027-01-31\n';
    const file = { name: 'members.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) };
    await page.getByLabel('Import members from a CSV file').setInputFiles(file);
    await page.getByText(/Line 3: .*paused/).waitFor();
    // The file's own errors show at once; the server's count follows its answer.
    await page.getByText('2 new, 0 changed').waitFor();
    expect(await page.getByText('2 new, 0 changed').count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    // The roster documents the server wrote for the site ([D7]); the dashboard holds them open.
    const roster = () => {
      const members = new Map<string, Member>();
      for (const name of rosterDocNames(SITE)) {
        const doc = server.server.hocuspocus.documents.get(name);
        if (doc) readRosterDoc(doc, members);
      }
      return members;
    };
    // Nothing is written before the confirmation (the server has not heard of 5001).
    expect(roster().has('5001')).toBe(false);

    await page.getByRole('button', { name: 'Import 2 members' }).click();
    await expect
      .poll(() => roster().has('5001') && roster().has('5003'), { timeout: 10_000 })
      .toBe(true);
    expect(roster().has('5002')).toBe(false);

    // The same file again changes nothing.
    await page.getByLabel('Import members from a CSV file').setInputFiles(file);
    await page.getByText('0 new, 0 changed, 2 already up to date').waitFor();
    expect(await page.getByRole('button', { name: 'Import 0 members' }).isDisabled()).toBe(true);
    await context.close();
  }, 60_000);

  it('shows a viewer everything and no controls, and the server refuses a viewer’s change', async () => {
    const { page, context } = await phone(base, 'desk-viewer');
    expect(await page.getByRole('button', { name: /^Check (in|out)/ }).count()).toBe(0);
    await tab(page, 'Activity').click();
    await page.getByRole('heading', { name: 'Activity today' }).waitFor();
    expect(await page.getByRole('button', { name: /^Void/ }).count()).toBe(0);
    await tab(page, 'Settings').click();
    expect(await page.getByRole('textbox', { name: 'Name' }).isDisabled()).toBe(true);
    expect(await accessibilityProblems(page)).toEqual([]);

    // Whatever the screen shows, the server is the judge: a viewer's write is refused.
    const status = await page.evaluate(async (password) => {
      const session = await fetch('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'desk-viewer', password }),
      });
      const { accessToken } = (await session.json()) as { accessToken: string };
      const attempt = await fetch('/api/pairing-codes', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ name: 'Sneaky' }),
      });
      return attempt.status;
    }, PASSWORD);
    expect(status).toBe(403);
    await context.close();
  }, 60_000);

  it('installs on a phone as the dashboard, with its own manifest, and opens without a network', async () => {
    const context = await launchProfile(mkdtempSync(join(tmpdir(), 'headcount-phone-')));
    try {
      const page = await context.newPage();
      await page.goto(`${base}/dashboard`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await page.reload();
      await expect
        .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
        .toBe(true);
      const manifest = await page.evaluate(async () => {
        const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
        return (await fetch(link?.href ?? '')).json();
      });
      expect(manifest).toMatchObject({ id: '/dashboard', start_url: '/dashboard' });
      const cdp = await context.newCDPSession(page);
      expect(await cdp.send('Page.getInstallabilityErrors')).toEqual({ installabilityErrors: [] });

      // Signed in once, the phone opens with no network: shell from the service worker, the day
      // from IndexedDB, and the header says how old the numbers are.
      await page.getByLabel('Username').fill('desk-staff');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => badge(page), { timeout: 15_000 }).toContain('LIVE');
      const inBefore = await currentlyIn(page);
      await context.setOffline(true);
      await page.reload();
      await expect.poll(() => badge(page), { timeout: 10_000 }).toMatch(/Offline — as of \d/);
      expect(await currentlyIn(page)).toBe(inBefore);

      // Sign-out works offline too and leaves nothing behind; signing in again needs the server.
      await page.getByRole('button', { name: /^Sign out/ }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const stored = await page.evaluate(async () =>
        (await indexedDB.databases()).filter((d) => d.name?.startsWith('headcount-dashboard:')),
      );
      expect(stored).toEqual([]);
      await page.getByLabel('Username').fill('desk-staff');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Sign-in needs a network').waitFor();
    } finally {
      await context.close();
    }
  }, 60_000);
});
