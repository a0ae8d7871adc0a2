import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../sync-server/testing/testServer';
import { buildApp, hasChromium, launchChromium } from './browser';

/**
 * The production build, served by the real server, runs in Chromium. Vite 8 leaves standard
 * decorators untransformed and Chromium rejects them, so this proves the shipped bundle works.
 */
let server: TestServer;
let browser: Browser;

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('the built app', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-e2e-'));
    await buildApp(join(dataDir, 'dist'));
    server = await startTestServer({}, dataDir, { distDir: join(dataDir, 'dist') });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders the kiosk app with working Lit elements and no script errors', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.wsUrl.replace('ws', 'http')}/kiosk`);
    // An unpaired tablet opens on the pairing screen, rendered by the Lit app.
    await expect.poll(() => page.getByRole('button', { name: 'Pair this tablet' }).count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
