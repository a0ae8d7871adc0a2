import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import {
  selfSignedCertificate,
  type TestCertificate,
} from '../sync-server/testing/selfSignedCertificate';
import {
  activeMember,
  freePort,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, hasChromium, launchChromium } from './browser';
import {
  newPairingCode,
  pairThroughScreen,
  scanAtKiosk as scan,
  kioskStatus as status,
} from './tablet';

/**
 * HTTPS built in (issue 10, item 2): the server alone, with TLS_CERT and TLS_KEY, serves the
 * kiosk to Chromium at https://gym.test:<port> — a name that is not localhost, so only a
 * trusted certificate makes it a secure context. The kiosk registers its service worker, pairs,
 * syncs over wss://, opens from the service worker with the network cut, and syncs once the
 * server is back.
 *
 * Trusting the certificate: `--ignore-certificate-errors-spki-list=<base64 SHA-256 of its
 * public key>` makes Chromium treat a certificate with that key as valid, not as an error
 * clicked through — checked with Chromium 156 here: the page is a secure context and
 * `navigator.serviceWorker.register` succeeds. (Playwright's `ignoreHTTPSErrors` is not enough:
 * registration then fails with "An SSL certificate error occurred when fetching the script".)
 * `--host-resolver-rules=MAP gym.test 127.0.0.1` sends the name to this machine.
 */
let dataDir: string;
let port: number;
let certificate: TestCertificate;
let server: TestServer | null = null;
let browser: Browser;
const contexts: BrowserContext[] = [];
const day = () => localDayOf(Date.now(), ZONE);

function startServer(): Promise<TestServer> {
  return startTestServer(
    {
      PORT: String(port),
      TLS_CERT: certificate.certFile,
      TLS_KEY: certificate.keyFile,
      PUBLIC_URL: `https://gym.test:${port}`,
    },
    dataDir,
    { distDir: join(dataDir, 'dist') },
  ).then((started) => {
    server = started;
    return started;
  });
}

async function entriesOnServer(): Promise<number> {
  const t = server as TestServer;
  const name = checkinsDocName(SITE, day());
  const live = t.server.hocuspocus.documents.get(name) as unknown as Y.Doc | undefined;
  const doc = live ?? (await t.server.documents.load(name));
  return doc ? readEntries(doc, day()).length : 0;
}

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('the kiosk over built-in HTTPS', () => {
  let code: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'headcount-tls-e2e-'));
    port = await freePort();
    certificate = selfSignedCertificate(dataDir, ['gym.test']);
    await buildApp(join(dataDir, 'dist'));
    // The roster and a pairing code are made over plain HTTP first (the test helpers speak ws://),
    // then the same data directory is served over HTTPS.
    const plain = await startTestServer({}, dataDir);
    const members = [1, 2, 3, 4].map((n) => activeMember(`100${n}`, `Member${n} Test`));
    await seedSite(plain, { timeZone: ZONE, debounceSeconds: 0 }, members);
    code = await newPairingCode(plain, 'Front door');
    await plain.close();
    await startServer();
    browser = await launchChromium([
      '--host-resolver-rules=MAP gym.test 127.0.0.1',
      `--ignore-certificate-errors-spki-list=${certificate.spki}`,
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
  });

  it('registers its service worker, syncs over wss://, opens with the network cut, and syncs when it is back', async () => {
    const base = `https://gym.test:${port}`;
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    await pairThroughScreen(page, base, code);
    expect(await page.evaluate(() => [location.origin, isSecureContext])).toEqual([base, true]);
    await scan(page, '1001', 'Welcome, Member1');
    await scan(page, '1002', 'Welcome, Member2');
    await expect.poll(() => status(page), { timeout: 15_000 }).toContain('All check-ins synced');
    expect(await entriesOnServer()).toBe(2);
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.every((url) => url.startsWith(`wss://gym.test:${port}`))).toBe(true);

    // The service worker registers (only a trusted certificate allows it) and controls the page
    // from the next load on.
    const scope = await page.evaluate(() =>
      navigator.serviceWorker.ready.then((registration) => registration.scope),
    );
    expect(scope.startsWith(`${base}/`)).toBe(true);
    await page.reload();
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
      .toBe(true);

    // The network is cut for real: the server stops and the browser goes offline.
    await (server as TestServer).close();
    server = null;
    await context.setOffline(true);
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('Offline');
    await scan(page, '1003', 'Welcome, Member3');
    await expect.poll(() => status(page)).toContain('1 waiting to sync');
    // A reload opens from the service worker, with the check-in kept in IndexedDB.
    await page.reload();
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('1 waiting to sync');
    await scan(page, '1004', 'Welcome, Member4');
    await expect.poll(() => status(page)).toContain('2 waiting to sync');

    // The server is back, over HTTPS on the same port: everything arrives, once.
    await startServer();
    await context.setOffline(false);
    await expect.poll(() => status(page), { timeout: 30_000 }).toContain('All check-ins synced');
    await expect.poll(() => entriesOnServer(), { timeout: 10_000 }).toBe(4);
    expect(sockets.every((url) => url.startsWith(`wss://gym.test:${port}`))).toBe(true);
    expect(errors).toEqual([]);
  }, 150_000);
});
