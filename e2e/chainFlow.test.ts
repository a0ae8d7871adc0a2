import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainVisitsAnswer, SessionAnswer } from '../shared/apiProtocol';
import { addDays, localDayOf } from '../shared/localTime';
import {
  activeMember,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, hasChromium, launchChromium } from './browser';
import { kioskStatus, scanAtKiosk, typeOnKeypad } from './tablet';

/**
 * A chain grows by one club, from the dashboard alone: an admin on a phone adds a second site,
 * pairs its tablet, makes an account for its desk, and a member of the first site with access
 * everywhere checks in there ([C1], [C3], [C5], [M5], [K4], [C6]). Built app, real server,
 * Chromium; only the admin account and a home-only member are seeded.
 */
let server: TestServer;
let browser: Browser;
let base: string;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

const PASSWORD = 'correct horse battery';
const ADMIN = 'chain-admin';
const DESK = 'harbour-desk';
const DESK_PASSWORD = 'harbour tide 2026';
const HARBOUR = { id: 'harbour', name: 'Harbour Club', zone: 'Europe/London' };
const PHONE = { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true };
/** The machine is shared with other browser tests: every wait is bounded, and generous. */
const UI_MS = 15_000;
/** The chain overview and report read the server's record (a few seconds behind) every 15 s. */
const RECORD_MS = 45_000;

async function newPage(options: Parameters<Browser['newContext']>[0]): Promise<Page> {
  const context = await browser.newContext(options);
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

const badge = (page: Page) =>
  page
    .locator('header [role="status"]')
    .first()
    .textContent({ timeout: 2000 })
    .catch(() => '');
const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name });
const siteSwitcher = (page: Page) =>
  page.locator('header').getByRole('combobox', { name: /^Site/ });

/** What `locator` says, whitespace collapsed; '' while it is not there. */
const textOf = (locator: Locator) =>
  locator
    .textContent({ timeout: 2000 })
    .then((text) => (text ?? '').replace(/\s+/g, ' ').trim())
    .catch(() => '');
/** "In the gym (n)" and its list, on the Now screen. */
const inTheGymText = (page: Page) => textOf(page.getByRole('region', { name: /^In the gym/ }));

/** The chain overview's "In now" for a site, or '' while it is not shown. */
const chainInNow = (page: Page, siteName: string) =>
  page
    .getByRole('region', { name: 'All your sites' })
    .getByRole('row', { name: new RegExp(`(^|Switch to )${siteName}\\b`) })
    .getByRole('cell')
    .first()
    .textContent({ timeout: 2000 })
    .then((text) => (text ?? '').trim())
    .catch(() => '');

describe.skipIf(!hasChromium)('a chain admin adds a club from the dashboard alone', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-chain-'));
    await buildApp(join(dataDir, 'dist'));
    server = await startTestServer({}, dataDir, { distDir: join(dataDir, 'dist') });
    base = server.wsUrl.replace('ws', 'http');
    // Riverside, with a member who may check in only there ([M5]).
    await seedSite(server, { name: 'Riverside', timeZone: ZONE }, [
      activeMember('M2', 'Ben Okafor', ['0452']),
    ]);
    await server.server.staff.create({
      username: ADMIN,
      password: PASSWORD,
      role: 'admin',
      siteId: null,
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  it('[C1][C5][M5][K4][C6] creates a site, pairs its tablet, adds its desk account, and admits a chain member there', async () => {
    // 1. The admin signs in on a phone and adds a member of Riverside who may check in everywhere.
    const admin = await newPage(PHONE);
    await admin.goto(`${base}/dashboard`);
    await admin.getByLabel('Username').fill(ADMIN);
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => badge(admin), { timeout: UI_MS }).toContain('LIVE');

    await tab(admin, 'Members').click();
    await admin.getByRole('button', { name: 'Add member' }).click();
    const memberForm = admin.getByRole('form', { name: 'Add member' });
    await memberForm.getByLabel('Member number').fill('M1');
    await memberForm.getByRole('textbox', { name: 'Name' }).fill('Ana Lima');
    await memberForm.getByLabel('Card codes').fill('0451');
    expect(await memberForm.getByRole('combobox', { name: /^Home site/ }).inputValue()).toBe(SITE);
    await memberForm.getByRole('radio', { name: 'At every site' }).check();
    await memberForm.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => memberForm.count(), { timeout: UI_MS, message: 'the member form closes' })
      .toBe(0);
    await expect
      .poll(async () => (await server.server.members.byIds(['M1'])).get('M1')?.access, {
        timeout: UI_MS,
      })
      .toBe('all');

    // 2. Settings → Manage sites: add Harbour, with an id of the admin's choosing and its zone.
    await tab(admin, 'Settings').click();
    await admin.getByRole('button', { name: 'Manage sites' }).click();
    await admin.getByRole('heading', { level: 2, name: 'Sites' }).waitFor({ timeout: UI_MS });
    const siteForm = admin.getByRole('form', { name: 'Add a site' });
    const zoneChoice = siteForm.getByRole('combobox', { name: /^Time zone/ });
    // The zone starts as the zone of the site shown.
    expect(await zoneChoice.inputValue()).toBe(ZONE);
    await siteForm.getByRole('textbox', { name: 'Name' }).fill(HARBOUR.name);
    // The id follows the name ("harbour-club") until typed over.
    expect(await siteForm.getByLabel(/^Id/).inputValue()).toBe('harbour-club');
    await siteForm.getByLabel(/^Id/).fill(HARBOUR.id);
    await zoneChoice.selectOption(HARBOUR.zone);
    await siteForm.getByRole('button', { name: 'Add site' }).click();
    await admin.getByText(`Added “${HARBOUR.name}”.`).waitFor({ timeout: UI_MS });
    await admin.getByText(`· ${HARBOUR.id} · ${HARBOUR.zone}`).waitFor({ timeout: UI_MS });

    // 3. The header's site switcher shows Harbour; its Kiosks screen pairs a tablet.
    await siteSwitcher(admin).selectOption(HARBOUR.id);
    await expect
      .poll(
        async () =>
          `${await siteSwitcher(admin)
            .inputValue({ timeout: 2000 })
            .catch(() => '')} ${await badge(admin)}`,
        { timeout: UI_MS },
      )
      .toBe(`${HARBOUR.id} ● LIVE`);
    await tab(admin, 'Kiosks').click();
    await admin.getByLabel('Kiosk name').fill('Harbour door');
    await admin.getByRole('button', { name: 'Get a pairing code' }).click();
    await admin
      .getByRole('heading', { name: 'Pairing code for “Harbour door”' })
      .waitFor({ timeout: UI_MS });
    const pairingCode = (await admin.locator('.code').textContent())?.trim() ?? '';
    expect(pairingCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const tablet = await newPage({ viewport: { width: 1280, height: 800 } });
    await tablet.goto(`${base}/kiosk`);
    await tablet.getByLabel('Pairing code from the staff dashboard').fill(pairingCode);
    await tablet.getByRole('button', { name: 'Pair this tablet' }).click();
    // "Online" only once its rosters have synced: before that it would not know Ana yet.
    await expect
      .poll(() => kioskStatus(tablet), { timeout: UI_MS })
      .toMatch(/Harbour door\s*Online/);
    await admin.getByRole('button', { name: 'Done' }).click();
    await admin
      .getByRole('region', { name: /^Paired kiosks \(1\)/ })
      .getByText('Harbour door')
      .waitFor({ timeout: UI_MS });

    // 4. Settings → Manage staff: an account for Harbour's desk, and its one-time set-up code.
    await tab(admin, 'Settings').click();
    await admin.getByRole('button', { name: 'Manage staff' }).click();
    const accountForm = admin.getByRole('form', { name: 'Add an account' });
    await accountForm.getByLabel('Username').fill(DESK);
    await accountForm.getByRole('combobox', { name: /^Role/ }).selectOption('staff');
    await accountForm.getByRole('combobox', { name: /^Site/ }).selectOption(HARBOUR.id);
    await accountForm.getByRole('button', { name: 'Add account' }).click();
    const issued = admin.getByRole('region', { name: `Set-up code for ${DESK}` });
    await issued.waitFor({ timeout: UI_MS });
    const setupCode = (await issued.locator('.code').textContent())?.trim() ?? '';
    expect(setupCode).not.toBe('');
    const deskRow = admin.getByRole('listitem').filter({ hasText: DESK });
    await expect
      .poll(() => textOf(deskRow), { timeout: UI_MS })
      .toContain(`${DESK} waiting for set-up · staff · ${HARBOUR.name}`);

    // On their own phone, the desk person chooses a password with the code and is signed in.
    const desk = await newPage(PHONE);
    await desk.goto(`${base}/dashboard`);
    await desk.getByRole('button', { name: 'I have a set-up code' }).click();
    await desk.getByLabel('Set-up code').fill(setupCode);
    await desk.getByLabel('New password').fill(DESK_PASSWORD);
    await desk.getByLabel('Repeat the password').fill(DESK_PASSWORD);
    await desk.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect.poll(() => badge(desk), { timeout: UI_MS }).toContain('LIVE');
    // One site for this account: its name is the header, and there is no switcher ([C3]).
    expect((await desk.getByRole('heading', { level: 1 }).textContent())?.trim()).toBe(
      HARBOUR.name,
    );
    expect(await siteSwitcher(desk).count()).toBe(0);
    expect(await desk.getByRole('button', { name: `Sign out ${DESK} (staff)` }).count()).toBe(1);

    // 5. At Harbour's door: Ana (every site) is let in; Ben (Riverside only) is not known here.
    await scanAtKiosk(tablet, '0451', 'Welcome, Ana', UI_MS);
    await typeOnKeypad(tablet, '0452');
    await tablet
      .getByText('This card or number is not recognised here')
      .waitFor({ timeout: UI_MS });
    expect(
      await tablet
        .getByText('Please ask at the desk: staff can also look up members of our other clubs.')
        .count(),
    ).toBe(1);
    await tablet.getByRole('button', { name: 'Done' }).click();

    // 6. Both dashboards show Ana in at Harbour, live.
    await tab(admin, 'Now').click();
    for (const page of [admin, desk])
      await expect
        .poll(() => inTheGymText(page), { timeout: UI_MS })
        .toMatch(/^In the gym \(1\) Ana Lima since/);
    expect(await badge(admin)).toContain('LIVE');
    expect(await badge(desk)).toContain('LIVE');

    // The admin's chain overview, from the server's record, catches up: 1 in at Harbour.
    await expect.poll(() => chainInNow(admin, HARBOUR.name), { timeout: RECORD_MS }).toBe('1');
    expect(await chainInNow(admin, 'Riverside')).toBe('0');

    // The chain report counts the visit where it happened, as away from Riverside ([C6]).
    const session = await server.api<SessionAnswer>('POST', '/api/session', {
      username: ADMIN,
      password: PASSWORD,
    });
    expect(session.status).toBe(200);
    const today = localDayOf(Date.now(), HARBOUR.zone);
    const report = async () =>
      (
        await server.api<ChainVisitsAnswer>(
          'GET',
          `/api/reports/chain?from=${addDays(today, -1)}&to=${addDays(today, 1)}`,
          undefined,
          session.body.accessToken,
        )
      ).body;
    await expect
      .poll(async () => (await report()).sites.find((s) => s.siteId === HARBOUR.id), {
        timeout: RECORD_MS,
      })
      .toEqual({
        siteId: HARBOUR.id,
        name: HARBOUR.name,
        visits: 1,
        members: 1,
        awayVisits: 1,
        byHome: [{ homeSite: SITE, visits: 1 }],
      });
    const final = await report();
    expect(final.sites.find((s) => s.siteId === SITE)?.visits ?? 0).toBe(0);
    expect(final.total).toEqual({ visits: 1, members: 1, awayVisits: 1 });

    expect(errors).toEqual([]);
  }, 300_000);
});
