import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import {
  activeMember,
  SITE,
  seedSite,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from '../sync-server/testing/testServer';
import {
  accessibilityProblems,
  buildApp,
  fakeCameraShowing,
  hasChromium,
  launchChromium,
} from './browser';
import { memberListArrived, newPairingCode, pairThroughScreen } from './tablet';

/**
 * A new tablet, as a gym uses it: staff make a pairing code, the tablet is paired through its
 * own screen, members check in and out on the keypad, and the server receives every event.
 */
let server: TestServer;
let browser: Browser;
let base: string;

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('kiosk flow in the built app', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-e2e-'));
    await buildApp(join(dataDir, 'dist'));
    server = await startTestServer({}, dataDir, { distDir: join(dataDir, 'dist') });
    base = server.wsUrl.replace('ws', 'http');
    await seedSite(server, { timeZone: ZONE, capacity: 1 }, [
      activeMember('1042', 'Ana Lima', ['0451042']),
      { ...activeMember('2001', 'Ben Okafor'), status: 'expired', validUntil: '2026-01-31' },
      activeMember('3003', 'Cai Wu'),
    ]);
    browser = await launchChromium(await fakeCameraShowing('0451042', dataDir));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('pairs through its own screen, then records check-ins and denials that reach the server', async () => {
    const staff = await staffToken(server);
    const { body } = await server.api<{ code: string }>(
      'POST',
      '/api/pairing-codes',
      { name: 'Front door' },
      staff.token,
    );
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/kiosk`);
    await page.getByRole('button', { name: 'Pair this tablet' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Pairing code from the staff dashboard').fill(body.code.toLowerCase());
    await page.getByRole('button', { name: 'Pair this tablet' }).click();
    await expect.poll(() => page.getByText('Front door').count(), { timeout: 10_000 }).toBe(1);
    await memberListArrived(page);

    const type = async (number: string) => {
      for (const digit of number)
        await page.getByRole('button', { name: digit, exact: true }).click();
      await page.getByRole('button', { name: 'OK, check in or out' }).click();
    };
    expect(await accessibilityProblems(page)).toEqual([]);
    await type('1042');
    await expect.poll(() => page.getByText('Welcome, Ana').count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await expect
      .poll(() => page.getByText('All check-ins synced').count(), { timeout: 10_000 })
      .toBe(1);

    const name = checkinsDocName(SITE, localDayOf(Date.now(), ZONE));
    const entriesOnServer = () => {
      const doc = server.server.hocuspocus.documents.get(name) as unknown as Y.Doc | undefined;
      return doc ? readEntries(doc, localDayOf(Date.now(), ZONE)).length : 0;
    };
    await until(() => entriesOnServer() === 1, 'the check-in on the server');

    await page.reload();
    await expect
      .poll(() => page.getByRole('button', { name: 'OK, check in or out' }).count(), {
        timeout: 10_000,
      })
      .toBe(1);
    await type('2001');
    await expect.poll(() => page.getByText('Ben, your membership has expired').count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await until(() => entriesOnServer() === 2, 'the denied attempt on the server');

    // Capacity is 1 and Ana is in: the site's policy warns, and the member is still let in.
    await page.getByRole('button', { name: 'Done' }).click();
    await type('3003');
    await expect.poll(() => page.getByText('The gym is at capacity right now.').count()).toBe(1);
    await until(() => entriesOnServer() === 3, 'the warned check-in on the server');

    // Cai was leaving, not arriving: she switches, and the check-in is replaced ([K5]).
    await page.getByRole('button', { name: 'Leaving? Check out instead' }).click();
    await expect.poll(() => page.getByText('See you, Cai').count()).toBe(1);
    await until(() => entriesOnServer() === 4, 'the switch on the server');
    expect(await accessibilityProblems(page)).toEqual([]);

    // A wedge scanner types the card code fast and presses Enter, with no field focused.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.keyboard.type('0451042', { delay: 5 });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('Ana, you are already checked in').count()).toBe(1);

    // Name search: first name and last initial only, after three letters.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Search by name' }).click();
    await page.getByLabel('Your name (3 letters or more)').fill('cai');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Cai W.' }).click();
    await expect.poll(() => page.getByText('Cai, you are already checked out').count()).toBe(1);

    // The camera reads Ana's QR code (Chromium's fake camera shows it); she is already in.
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Scan card or QR code' }).click();
    await expect
      .poll(() => page.getByText('Ana, you are already checked in').count(), { timeout: 15_000 })
      .toBe(1);

    // A second tab of the same browser does not write: it says where the kiosk is.
    const second = await page.context().newPage();
    await second.goto(`${base}/kiosk`);
    await expect.poll(() => second.getByText('already open in another tab').count()).toBe(1);
    expect(await accessibilityProblems(second)).toEqual([]);
    expect(await second.getByRole('button', { name: 'OK, check in or out' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('passes axe-core on the camera screen, and says so plainly when there is no camera', async () => {
    // Chromium's default fake camera shows a test pattern with no code: the screen stays open.
    const camera = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ]);
    const noCamera = await launchChromium();
    try {
      for (const [which, instance] of [
        ['camera', camera],
        ['no camera', noCamera],
      ] as const) {
        const code = await newPairingCode(server, `Side door (${which})`);
        const page = await (await instance.newContext()).newPage();
        await pairThroughScreen(page, base, code);
        await page.getByRole('button', { name: 'Scan card or QR code' }).click();
        if (which === 'camera')
          await expect
            .poll(
              () =>
                page.evaluate(
                  () =>
                    document
                      .querySelector('hc-kiosk-app')
                      ?.shadowRoot?.querySelector('hc-camera-scan')
                      ?.shadowRoot?.querySelector('video')?.readyState ?? 0,
                ),
              { timeout: 15_000 },
            )
            .toBeGreaterThanOrEqual(2);
        else await page.getByText('The camera is not available').waitFor({ timeout: 15_000 });
        expect(await accessibilityProblems(page), which).toEqual([]);
      }
    } finally {
      await camera.close();
      await noCamera.close();
    }
  }, 60_000);

  it('pairs by scanning the QR code of the pairing code, as the dashboard shows it', async () => {
    const code = await newPairingCode(server, 'Back door');
    const camera = await launchChromium(
      await fakeCameraShowing(code, mkdtempSync(join(tmpdir(), 'headcount-qr-'))),
    );
    try {
      const page = await (await camera.newContext()).newPage();
      await page.goto(`${base}/kiosk`);
      await page.getByRole('button', { name: 'Scan the QR code instead' }).click();
      await page.getByRole('button', { name: 'OK, check in or out' }).waitFor({ timeout: 15_000 });
      await expect.poll(() => page.getByText('Back door').count(), { timeout: 10_000 }).toBe(1);
    } finally {
      await camera.close();
    }
  }, 60_000);
});
