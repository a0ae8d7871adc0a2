import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../sync-server/testing/rawHttp';
import {
  activeMember,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, fakeCameraShowing, hasChromium, launchChromium } from './browser';
import { newPairingCode, pairThroughScreen } from './tablet';

/**
 * The kiosk and the dashboard really run under the server's Content-Security-Policy: every
 * screen is opened in Chromium (the camera scanner with its wasm, the pairing QR code, the
 * charts) and the browser reports no violation, neither as a `securitypolicyviolation` event
 * nor on the console.
 */
let server: TestServer;
let browser: Browser;
let base: string;
let dist: string;
const PASSWORD = 'correct horse battery';

/** Collects violations in every page of a context, from before its first script runs. */
async function watchedContext(options: Parameters<Browser['newContext']>[0] = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as { __cspViolations?: string[] }).__cspViolations = seen;
    document.addEventListener(
      'securitypolicyviolation',
      (e) =>
        seen.push(
          `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`,
        ),
      true,
    );
  });
  const console: string[] = [];
  context.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) console.push(message.text());
  });
  return { context, console };
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as { __cspViolations?: string[] }).__cspViolations ?? []);
}

async function openUnderPolicy(context: BrowserContext, path: string): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(`${base}${path}`);
  // The test means something only if the page came with the policy.
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  return page;
}

describe.skipIf(!hasChromium)('the app under its Content-Security-Policy', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-csp-'));
    dist = join(dataDir, 'dist');
    await buildApp(dist);
    server = await startTestServer({}, dataDir, { distDir: dist });
    base = `http://127.0.0.1:${server.server.port}`;
    await seedSite(server, { timeZone: ZONE, capacity: 10 }, [
      activeMember('1042', 'Ana Lima', ['0451042']),
      activeMember('2002', 'Ben Okafor'),
    ]);
    await server.server.staff.create({
      username: 'desk',
      password: PASSWORD,
      role: 'staff',
      siteId: SITE,
    });
    browser = await launchChromium(await fakeCameraShowing('0451042', dataDir));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs every kiosk screen, the camera scanner included, without a violation', async () => {
    const { context, console } = await watchedContext({ viewport: { width: 1280, height: 800 } });
    const page = await openUnderPolicy(context, '/kiosk');
    await page.getByRole('button', { name: 'Pair this tablet' }).waitFor();
    await pairThroughScreen(page, base, await newPairingCode(server, 'Front door'));
    await page.getByRole('button', { name: 'OK, check in or out' }).waitFor({ timeout: 15_000 });
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

    for (const digit of '2002')
      await page.getByRole('button', { name: digit, exact: true }).click();
    await page.getByRole('button', { name: 'OK, check in or out' }).click();
    await page.getByText('Welcome, Ben').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Search by name' }).click();
    await page.getByLabel('Your name (3 letters or more)').fill('ana');
    await page.getByRole('button', { name: 'Ana L.' }).waitFor();
    await page.getByRole('button', { name: 'Ana L.' }).click();
    await page.getByText('Welcome, Ana').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    // Chromium on Linux has no BarcodeDetector: this runs the ZXing wasm from our origin.
    await page.getByRole('button', { name: 'Scan card or QR code' }).click();
    await page.getByText('Ana, you are already checked in').waitFor({ timeout: 20_000 });

    expect(await violations(page)).toEqual([]);
    expect(console).toEqual([]);
    await context.close();
  }, 90_000);

  it('runs the dashboard — sign-in and every screen — without a violation', async () => {
    const { context, console } = await watchedContext({
      viewport: { width: 360, height: 780 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await openUnderPolicy(context, '/dashboard');
    await page.getByLabel('Username').fill('desk');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const tab = (name: string) =>
      page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name });
    await expect
      .poll(() => page.locator('header [role="status"]').first().textContent(), { timeout: 15_000 })
      .toContain('LIVE');
    for (const name of ['Now', 'Activity', 'Members', 'Kiosks', 'Reports', 'Settings']) {
      await tab(name).click();
      await page.getByRole('heading', { level: 2 }).first().waitFor();
    }
    // The pairing code's QR code, the peak-hours chart and a member's history.
    await tab('Kiosks').click();
    await page.getByRole('button', { name: 'Get a pairing code' }).click();
    await page.getByRole('img', { name: 'Pairing code as a QR code' }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await tab('Reports').click();
    await page.locator('hc-peak-hours').waitFor();
    await page.getByLabel('Member name or number').fill('Ana');
    await page.getByRole('button', { name: 'Show visits' }).click();
    await page.getByText(/Visits of Ana Lima/).waitFor();
    await tab('Now').click();

    expect(await violations(page)).toEqual([]);
    expect(console).toEqual([]);
    await context.close();
  }, 90_000);

  it('is built with brotli and gzip copies that the server sends, with 304 revalidation', async () => {
    const port = server.server.port;
    const html = (await rawRequest(port, '/kiosk')).body.toString();
    const script = /src="(\/assets\/kiosk-[^"]+\.js)"/.exec(html)?.[1] as string;
    expect(script).toBeDefined();
    const wasm = readdirSync(join(dist, 'assets')).find((f) => f.endsWith('.wasm'));
    for (const file of [script, `/assets/${wasm}`, '/sw.js'])
      for (const suffix of ['.br', '.gz'])
        expect(existsSync(join(dist, `${file}${suffix}`)), `${file}${suffix}`).toBe(true);
    const br = await rawRequest(port, script, {
      headers: { 'Accept-Encoding': 'gzip, deflate, br' },
    });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(readFileSync(join(dist, script)))).toBe(true);
    const sw = await rawRequest(port, '/sw.js', { headers: { 'Accept-Encoding': 'br' } });
    expect(sw.headers['content-encoding']).toBe('br');
    const again = await rawRequest(port, '/sw.js', {
      headers: { 'Accept-Encoding': 'br', 'If-None-Match': sw.headers.etag as string },
    });
    expect(again.status).toBe(304);
  });
});
