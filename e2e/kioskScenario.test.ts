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
  freePort,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp } from './browser';
import { type CuttableProxy, startCuttableProxy } from './cuttableProxy';
import { ENGINES, type EnginePage, type LaunchedPage } from './engines';
import { GETTING_MEMBER_LIST, newPairingCode } from './tablet';

/**
 * The kiosk as a gym uses it, in every engine a tablet may have (Chromium, WebKit as on an iPad,
 * Firefox): paired through its own screen, a check-in on the keypad, then the cable pulled (a
 * proxy in front of the server closes every socket and refuses new ones), a reload served by the
 * service worker, more check-ins, and the cable back: the server has every event once.
 */
let dist: string;

beforeAll(async () => {
  dist = join(mkdtempSync(join(tmpdir(), 'headcount-engines-')), 'dist');
  await buildApp(dist);
}, 120_000);

const OK = { role: 'button', name: 'OK, check in or out' } as const;
const STATUS = { role: 'status', name: 'Connection' } as const;

/** Types `number` on the keypad, waits for `expected`, and taps Done as the next member would. */
async function scan(page: EnginePage, number: string, expected: string): Promise<void> {
  for (const digit of number) await page.click({ role: 'button', name: digit, exact: true });
  await page.click(OK);
  await page.waitFor({ text: expected });
  await page.click({ role: 'button', name: 'Done' });
}

describe.each(ENGINES)('kiosk flow in $name', (engine) => {
  let server: TestServer;
  let proxy: CuttableProxy;
  let browser: LaunchedPage | undefined;

  beforeAll(async () => {
    if (engine.missing) return;
    const port = await freePort();
    proxy = await startCuttableProxy(port);
    server = await startTestServer(
      { PORT: String(port), ALLOWED_ORIGINS: `http://127.0.0.1:${proxy.port}` },
      join(dist, '..', engine.name),
      { distDir: dist },
    );
    // No debounce: a second scan right away is a check-out, which this scenario needs.
    const members = [1, 2, 3, 4].map((n) => activeMember(`100${n}`, `Member${n} Test`));
    await seedSite(server, { timeZone: ZONE, debounceSeconds: 0 }, members);
    browser = await engine.launch();
    console.info(`kiosk flow: ${browser.version}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await proxy?.close();
  }, 60_000);

  it.skipIf(engine.missing)(
    '[E1] pairs, checks in, keeps checking in with the network cut and after an offline reload, and delivers every event once',
    async () => {
      const page = (browser as LaunchedPage).page;
      const base = `http://127.0.0.1:${proxy.port}`;
      const status = () => page.text(STATUS);
      const waitStatus = (part: string, timeoutMs?: number) =>
        page.until(
          async () => (await status()).includes(part),
          async () => `status "${part}" (it says "${await status()}")`,
          timeoutMs,
        );

      // Paired through its own screen with the code staff made.
      const code = await newPairingCode(server, 'Front door');
      await page.goto(`${base}/kiosk`);
      await page.fill({ label: 'Pairing code from the staff dashboard' }, code);
      await page.click({ role: 'button', name: 'Pair this tablet' });
      await page.waitFor({ text: 'Front door' });
      // As the desk would, the first member waits until the tablet has its member list ([K3]).
      await page.until(
        async () => !(await status()).includes(GETTING_MEMBER_LIST),
        async () => `the member list (the status says "${await status()}")`,
        30_000,
      );

      await scan(page, '1001', 'Welcome, Member1');
      await waitStatus('All check-ins synced');

      // The service worker takes control from the next load on (registerType 'prompt').
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await page.reload();
      await page.until(
        () => page.evaluate(() => navigator.serviceWorker.controller !== null),
        'the service worker controls the page',
      );
      await page.waitFor(OK);

      // The cable is pulled: open sockets close and new ones are refused.
      proxy.cut();
      await waitStatus('Offline');
      await scan(page, '1002', 'Welcome, Member2');
      await scan(page, '1001', 'See you, Member1');
      await waitStatus('2 waiting to sync');

      // A reload with no network: the shell from the service worker, the day from IndexedDB.
      await page.reload();
      await page.waitFor(OK);
      await waitStatus('2 waiting to sync');
      await scan(page, '1003', 'Welcome, Member3');
      await waitStatus('3 waiting to sync');

      // The cable is back: everything is delivered, nothing twice.
      proxy.restore();
      await waitStatus('All check-ins synced', 60_000);
      const day = localDayOf(Date.now(), ZONE);
      const doc = server.server.hocuspocus.documents.get(
        checkinsDocName(SITE, day),
      ) as unknown as Y.Doc;
      const entries = readEntries(doc, day);
      expect(entries).toHaveLength(4);
      // Four different events (the id is the second field of an entry, see entryCodec.ts).
      expect(new Set(entries.map((entry) => String((entry.value as unknown[])[1]))).size).toBe(4);
      const config = {
        day,
        timeZone: ZONE,
        maxStayMs: 4 * 3_600_000,
        closingTime: null,
        debounceMs: 0,
      };
      const { stats } = deriveDay(config, entries, Date.now());
      expect([stats.visitsToday, stats.currentlyIn.length, stats.completedVisits]).toEqual([
        3, 2, 1,
      ]);
      expect(await page.pageErrors()).toEqual([]);
    },
    240_000,
  );
});
