import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import { type PublicOccupancy, writeSettings } from '../shared/siteDoc';
import {
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
} from '../sync-server/testing/testServer';
import { accessibilityProblems, hasChromium, launchChromium } from './browser';

/**
 * The public "how busy" page ([P1]) as the gym's website shows it: framed by a page of another
 * origin in Chromium, under its own CSP, with no violation and no WCAG 2.2 AA problem on a phone.
 */
let server: TestServer;
let website: Server;
let websiteUrl: string;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  server = await startTestServer();
  await seedSite(
    server,
    { name: 'Riverside & Co', timeZone: ZONE, capacity: 3, publicOccupancy: 'count' },
    [],
  );
  const kiosk = await pairKiosk(server);
  const door = connect(server, checkinsDocName(SITE, localDayOf(Date.now(), ZONE)), kiosk.token);
  await door.outcome;
  for (const member of ['M1', 'M2', 'M3']) kioskCheckIn(door.doc, kiosk.deviceId, member);
  const json = `http://127.0.0.1:${server.server.port}/api/public/sites/${SITE}/occupancy`;
  await until(
    async () => ((await (await fetch(json)).json()) as { count?: number }).count === 3,
    'three in the record',
    20_000,
  );
  door.destroy();
  // The gym's own website: another origin, with the snippet Settings offers.
  website = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html lang="en"><title>Our gym</title><h1>Our gym</h1>
<iframe src="http://127.0.0.1:${server.server.port}/busy/${SITE}" title="How busy is Riverside?" width="360" height="320" style="border:0"></iframe>`);
  });
  await new Promise<void>((resolve) => website.listen(0, '127.0.0.1', resolve));
  websiteUrl = `http://localhost:${(website.address() as { port: number }).port}/`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => website?.close(resolve));
  await server?.close();
});

describe.runIf(hasChromium)('the public page in a browser', () => {
  it('[P1] shows in a frame on the gym’s website, under its policy, with nothing refused', async () => {
    const context = await browser.newContext();
    const refused: string[] = [];
    context.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    const page = await context.newPage();
    await page.goto(websiteUrl);
    const frame = page.frameLocator('iframe');
    await frame.getByRole('heading', { name: 'How busy is Riverside & Co?' }).waitFor();
    expect(await frame.locator('.band').textContent()).toContain('Very busy');
    expect(await frame.locator('.count').textContent()).toBe('3 people in now (room for 3).');
    // The inline style applied (its hash is in the policy): the band's colour, not the default.
    const colour = await frame.locator('.band').evaluate((el) => getComputedStyle(el).color);
    expect(colour).toBe('rgb(138, 28, 28)');
    // The script ran (its hash is in the policy): it shows the pause button (WCAG 2.2.2).
    const pause = frame.getByRole('button', { name: 'Pause updates' });
    await pause.click();
    await frame.getByRole('button', { name: 'Resume updates', pressed: true }).waitFor();
    expect(refused).toEqual([]);
    await context.close();
  });

  it('[P1] reads on a phone without a WCAG 2.2 AA problem', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${server.server.port}/busy/${SITE}`);
    expect(await accessibilityProblems(page)).toEqual([]);
    // One column that fits: nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      360,
    );
    await context.close();
  });

  it('[P1] updates its numbers in place every minute, and not while paused (WCAG 2.2.2)', async () => {
    const json = `http://127.0.0.1:${server.server.port}/api/public/sites/${SITE}/occupancy`;
    const staff = await staffToken(server);
    const site = connect(server, siteDocName(SITE), staff.token);
    await site.outcome;
    /** Shows counts or not, and waits until the server's answer says so. */
    const show = async (publicOccupancy: PublicOccupancy) => {
      writeSettings(site.doc, { publicOccupancy });
      await until(async () => {
        const answer = (await (await fetch(json)).json()) as { count: number | null };
        return (answer.count === null) === (publicOccupancy === 'band');
      }, `the answer with ${publicOccupancy}`);
    };
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.clock.install();
      let asked = 0;
      page.on('request', (request) => {
        if (request.url().endsWith(`/busy/${SITE}`)) asked++;
      });
      await page.goto(`http://127.0.0.1:${server.server.port}/busy/${SITE}`);
      const count = page.locator('.count');
      await count.waitFor();
      /** A minute passes on the page's clock, until `done` (the browser may keep an answer 5 s). */
      const minutesUntil = (done: () => Promise<boolean>, what: string) =>
        until(async () => {
          await page.clock.runFor(60_000);
          return done();
        }, what);

      await show('band');
      await minutesUntil(async () => (await count.count()) === 0, 'the count gone from the page');

      await page.getByRole('button', { name: 'Pause updates' }).click();
      await show('count');
      const before = asked;
      await page.clock.runFor(180_000);
      await page.waitForTimeout(1_000);
      expect(asked).toBe(before);
      expect(await count.count()).toBe(0);

      await page.getByRole('button', { name: 'Resume updates' }).click();
      await minutesUntil(async () => (await count.count()) === 1, 'the count back');
      expect(await count.textContent()).toBe('3 people in now (room for 3).');
    } finally {
      await context.close();
      site.destroy();
    }
  });
});
