import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeMember,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, hasChromium, launchChromium } from './browser';
import { newPairingCode, pairThroughScreen } from './tablet';

/**
 * A new version is deployed while a kiosk is running. The kiosk finds it, and applies it (the
 * page reloads into the new service worker) only when it rests idle on its home screen — never
 * while a member is typing. The page's clock is Playwright's, so a minute passes in a moment;
 * the service worker and the network are real.
 */
let server: TestServer;
let browser: Browser;
let dist: string;

const waitingWorker = (page: Page) =>
  page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting !== null);
/** A marker on the window: gone after a reload. */
const sameDocument = (page: Page) =>
  page.evaluate(() => (window as { marker?: boolean }).marker === true);

describe.skipIf(!hasChromium)('kiosk updates', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-update-'));
    dist = join(dataDir, 'dist');
    await buildApp(dist);
    server = await startTestServer({}, dataDir, { distDir: dist });
    await seedSite(server, { timeZone: ZONE }, [activeMember('1042', 'Ana Lima')]);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('applies a waiting update only when the kiosk is idle on its home screen', async () => {
    const base = server.wsUrl.replace('ws', 'http');
    const code = await newPairingCode(server, 'Front door');
    const page = await (await browser.newContext()).newPage();
    await page.clock.install();
    await pairThroughScreen(page, base, code);
    await page.getByRole('button', { name: 'OK, check in or out' }).waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.reload();
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
      .toBe(true);

    // Deploy a new version (the worker script changes, with the compressed copies the build
    // writes beside it) and let the kiosk's check find it.
    const worker = join(dist, 'sw.js');
    appendFileSync(worker, '\n// next version\n');
    writeFileSync(`${worker}.br`, brotliCompressSync(readFileSync(worker)));
    writeFileSync(`${worker}.gz`, gzipSync(readFileSync(worker)));
    await page.evaluate(async () => {
      (window as { marker?: boolean }).marker = true;
      await (await navigator.serviceWorker.getRegistration())?.update();
    });
    await expect.poll(() => waitingWorker(page), { timeout: 20_000 }).toBe(true);

    // A member is typing: the update waits through several of the kiosk's idle checks (one every
    // 30 s; 75 s pass here, a digit every 25 s).
    for (let i = 0; i < 3; i++) {
      await page.getByRole('button', { name: '1', exact: true }).click();
      await page.clock.fastForward(25_000);
    }
    // Proving that something did not happen takes a bounded wait: an update applied at one of
    // those checks reloads the page within a few hundred milliseconds.
    await page.waitForTimeout(2_000);
    expect(await sameDocument(page)).toBe(true);
    expect(await waitingWorker(page)).toBe(true);

    // Back on the home screen with nobody there: at the next check the new version takes over.
    await page.clock.fastForward(120_000);
    await expect.poll(() => sameDocument(page).catch(() => true), { timeout: 20_000 }).toBe(false);
    await page.getByRole('button', { name: 'OK, check in or out' }).waitFor();
    expect(await waitingWorker(page)).toBe(false);
  }, 90_000);
});
