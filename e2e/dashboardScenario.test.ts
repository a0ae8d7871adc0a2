import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { deriveDay } from '../shared/deriveDay';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import {
  activeMember,
  type Client,
  connect,
  freePort,
  kioskCheckIn,
  pairKiosk,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp } from './browser';
import { type CuttableProxy, startCuttableProxy } from './cuttableProxy';
import { ENGINES, type EnginePage, type LaunchedPage, type Target } from './engines';

/**
 * The staff dashboard's main flow in every engine a phone or desk may have (Chromium, WebKit as
 * on an iPhone or a Mac, Firefox): sign in, watch a kiosk's check-ins arrive live, void one and
 * see the numbers change (here and on the server), lose the connection for real (a proxy in front
 * of the server closes the socket and refuses new ones) and say "as of", then catch up.
 * The kiosk is a real sync client in this process: the kiosk's own screens are
 * kioskScenario.test.ts.
 */
let dist: string;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  dist = join(mkdtempSync(join(tmpdir(), 'headcount-engines-')), 'dist');
  await buildApp(dist);
}, 120_000);

const BADGE: Target = { css: 'header [role="status"]' };
const CURRENTLY_IN: Target = { css: '.tile.current .value' };
const tab = (name: string): Target => ({
  role: 'button',
  name,
  exact: true,
  in: { role: 'navigation', name: 'Screens' },
});
const currentlyIn = async (page: EnginePage) => Number((await page.text(CURRENTLY_IN)) || -1);

describe.each(ENGINES)('staff dashboard in $name', (engine) => {
  let server: TestServer;
  let proxy: CuttableProxy;
  let browser: LaunchedPage | undefined;
  let kiosk: Client | undefined;
  let deviceId: string;
  const day = () => localDayOf(Date.now(), ZONE);

  beforeAll(async () => {
    if (engine.missing) return;
    const port = await freePort();
    proxy = await startCuttableProxy(port);
    server = await startTestServer(
      { PORT: String(port), ALLOWED_ORIGINS: `http://127.0.0.1:${proxy.port}` },
      join(dist, '..', engine.name),
      { distDir: dist },
    );
    await seedSite(server, { timeZone: ZONE, capacity: 10, debounceSeconds: 0 }, [
      activeMember('1042', 'Ana Lima'),
      activeMember('2002', 'Ben Okafor'),
      activeMember('3003', 'Cai Wu'),
    ]);
    await server.server.staff.create({
      username: 'desk',
      password: PASSWORD,
      role: 'staff',
      siteId: SITE,
    });
    const paired = await pairKiosk(server, 'Front door');
    deviceId = paired.deviceId;
    kiosk = connect(server, checkinsDocName(SITE, day()), paired.token);
    await kiosk.outcome;
    browser = await engine.launch();
    console.info(`staff dashboard: ${browser.version}`);
  }, 120_000);

  afterAll(async () => {
    kiosk?.destroy();
    await browser?.close();
    await server?.close();
    await proxy?.close();
  }, 60_000);

  /** Currently in, as the server derives it from its own copy of the day. */
  const currentlyInOnServer = () => {
    const doc = server.server.hocuspocus.documents.get(
      checkinsDocName(SITE, day()),
    ) as unknown as Y.Doc;
    const config = {
      day: day(),
      timeZone: ZONE,
      maxStayMs: 4 * 3_600_000,
      closingTime: null,
      debounceMs: 0,
    };
    return deriveDay(config, readEntries(doc, day()), Date.now()).stats.currentlyIn.length;
  };

  it.skipIf(engine.missing)(
    '[B1] [B2] signs in, shows check-ins live, changes the numbers on a void, says "as of" when the connection is cut, and catches up',
    async () => {
      const page = (browser as LaunchedPage).page;
      const doc = (kiosk as Client).doc;
      const badge = () => page.text(BADGE);
      const waitIn = (n: number, timeoutMs?: number) =>
        page.until(
          async () => (await currentlyIn(page)) === n,
          async () => `currently in ${n} (it shows ${await currentlyIn(page)})`,
          timeoutMs,
        );
      kioskCheckIn(doc, deviceId, '1042');
      kioskCheckIn(doc, deviceId, '2002');

      await page.goto(`http://127.0.0.1:${proxy.port}/dashboard`);
      await page.fill({ label: 'Username' }, 'desk');
      await page.fill({ label: 'Password' }, PASSWORD);
      await page.click({ role: 'button', name: 'Sign in' });
      await page.until(
        async () => (await badge()).includes('LIVE'),
        async () => `LIVE (the badge says "${await badge()}")`,
        30_000,
      );
      await waitIn(2);

      // A void of Ben's check-in: the numbers change here and on the server.
      await page.click(tab('Activity'));
      await page.click({ role: 'button', name: 'Void Ben Okafor checked in' });
      await page.fill({ label: 'Reason' }, 'scanned the wrong card');
      await page.click({ role: 'button', name: 'Void', exact: true });
      await page.waitFor({ text: '“scanned the wrong card”' });
      await page.click(tab('Now'));
      await waitIn(1);
      await until(() => currentlyInOnServer() === 1, 'the void on the server', 20_000);

      // The connection is cut for real: the dashboard says how old its numbers are.
      proxy.cut();
      await page.until(
        async () => /Offline — as of \d/.test(await badge()),
        async () => `"Offline — as of" (the badge says "${await badge()}")`,
      );
      kioskCheckIn(doc, deviceId, '3003');
      await until(() => currentlyInOnServer() === 2, 'Cai on the server', 20_000);
      expect(await currentlyIn(page)).toBe(1);

      // The connection returns: it catches up by itself.
      proxy.restore();
      await page.until(
        async () => (await badge()).includes('LIVE'),
        async () => `LIVE again (the badge says "${await badge()}")`,
        60_000,
      );
      await waitIn(2);
      expect(await page.pageErrors()).toEqual([]);
    },
    180_000,
  );
});
