import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import { rawRequest } from '../sync-server/testing/rawHttp';
import {
  activeMember,
  freePort,
  metricsText,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { buildApp, hasChromium, launchChromium } from './browser';
import { type HeldUpgrade, holdUpgrade } from './heldUpgrade';
import { deployFile, hasCaddy, type RunningProxy, startCaddy } from './proxies';
import {
  newPairingCode,
  pairThroughScreen,
  scanAtKiosk as scan,
  kioskStatus as status,
} from './tablet';

/**
 * Behind a proxy (issue 10, item 3), with a real Caddy started by the test from `deploy/`:
 * `Caddyfile.lan` (`tls internal`) serves https://gym.test:<port> — the kiosk pairs and syncs
 * through it over a websocket Caddy upgrades, and the dashboard works — and `Caddyfile` (the
 * internet one) serves plain http on another loopback port, where Node clients from different
 * loopback addresses show that the server counts and logs the client's real address, taken from
 * Caddy's X-Forwarded-For, and ignores the same header from anyone it does not trust.
 *
 * Headcount runs as the README says: HOST=127.0.0.1, TRUST_PROXY=127.0.0.1 (Caddy's address as
 * the server sees it), PUBLIC_URL the proxy's origin.
 */
const MAX_PER_ADDRESS = 4;
let dir: string;
let lanPort: number;
let plainPort: number;
let server: TestServer;
let caddy: (RunningProxy & { rootCertificate: string }) | null = null;
let browser: Browser;
const contexts: BrowserContext[] = [];
const logLines: Record<string, unknown>[] = [];
const day = () => localDayOf(Date.now(), ZONE);

/** The certificate Caddy serves for gym.test: its SPKI hash, for Chromium. */
function servedSpki(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port: lanPort, servername: 'gym.test', rejectUnauthorized: false },
      () => {
        const key = socket.getPeerX509Certificate()?.publicKey;
        socket.end();
        if (!key) return reject(new Error('no certificate'));
        resolve(
          createHash('sha256')
            .update(key.export({ type: 'spki', format: 'der' }))
            .digest('base64'),
        );
      },
    );
    socket.on('error', reject);
  });
}

async function entriesOnServer(): Promise<number> {
  const name = checkinsDocName(SITE, day());
  const live = server.server.hocuspocus.documents.get(name) as unknown as Y.Doc | undefined;
  const doc = live ?? (await server.server.documents.load(name));
  return doc ? readEntries(doc, day()).length : 0;
}

const refusalsLogged = () =>
  logLines
    .filter((line) => line.msg === 'websocket refused')
    .map((line) => `${line.reason} ${line.address}`);

// Skipped only where Chromium or Caddy is missing, with a message saying so; CI has both.
describe.skipIf(!hasChromium || !hasCaddy())('behind Caddy', () => {
  let code: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headcount-caddy-'));
    lanPort = await freePort();
    plainPort = await freePort();
    await buildApp(join(dir, 'dist'));
    const log = pino(
      { level: 'info' },
      { write: (line: string) => logLines.push(JSON.parse(line)) },
    );
    server = await startTestServer(
      {
        TRUST_PROXY: '127.0.0.1',
        PUBLIC_URL: `https://gym.test:${lanPort}`,
        MAX_CONNECTIONS_PER_IP: String(MAX_PER_ADDRESS),
      },
      dir,
      { distDir: join(dir, 'dist'), log },
    );
    const members = [1, 2].map((n) => activeMember(`100${n}`, `Member${n} Test`));
    await seedSite(server, { timeZone: ZONE, debounceSeconds: 0 }, members);
    code = await newPairingCode(server, 'Front door');

    const upstream: [string, string] = ['127.0.0.1:8080', `127.0.0.1:${server.server.port}`];
    const lan = deployFile('Caddyfile.lan', [
      ['headcount.lan, 192.168.1.10 {', `https://gym.test:${lanPort} {`],
      upstream,
    ]);
    const internet = deployFile('Caddyfile', [
      ['gym.example {', `http://127.0.0.1:${plainPort} {`],
      upstream,
    ]);
    caddy = await startCaddy(dir, `${lan}\n${internet}`, async () => {
      await servedSpki();
      return (await rawRequest(plainPort, '/healthz')).status === 200;
    });
    browser = await launchChromium([
      '--host-resolver-rules=MAP gym.test 127.0.0.1',
      `--ignore-certificate-errors-spki-list=${await servedSpki()}`,
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await caddy?.close();
    await server?.close();
  });

  it('pairs the kiosk and syncs its check-ins through Caddy over an upgraded websocket, and the dashboard works', async () => {
    const base = `https://gym.test:${lanPort}`;
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    // Caddy says https in X-Forwarded-Proto and the server believes it: HSTS is sent.
    const kiosk = await page.goto(`${base}/kiosk`);
    expect(kiosk?.headers()['strict-transport-security']).toBe('max-age=31536000');
    await pairThroughScreen(page, base, code);
    await scan(page, '1001', 'Welcome, Member1');
    await expect.poll(() => status(page), { timeout: 15_000 }).toContain('All check-ins synced');
    expect(await entriesOnServer()).toBe(1);
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.every((url) => url.startsWith(`wss://gym.test:${lanPort}`))).toBe(true);

    // The staff dashboard on a phone, through the same proxy.
    await server.server.staff.create({
      username: 'desk',
      password: 'correct horse battery',
      role: 'staff',
      siteId: SITE,
    });
    const phone = await context.newPage();
    phone.on('pageerror', (error) => errors.push(error.message));
    await phone.setViewportSize({ width: 360, height: 780 });
    await phone.goto(`${base}/dashboard`);
    await phone.getByLabel('Username').fill('desk');
    await phone.getByLabel('Password').fill('correct horse battery');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    const tile = (label: string) =>
      phone
        .locator('.tile', { hasText: label })
        .locator('.value')
        .textContent({ timeout: 2000 })
        .catch(() => '');
    await expect.poll(() => tile('Currently in'), { timeout: 15_000 }).toBe('1');
    // Live through the proxy: a second check-in at the door shows on the phone.
    await scan(page, '1002', 'Welcome, Member2');
    await expect.poll(() => tile('Currently in'), { timeout: 15_000 }).toBe('2');
    expect(errors).toEqual([]);
  }, 120_000);

  it('counts and logs the real client address from Caddy, and ignores X-Forwarded-For from anyone else', async () => {
    const held: HeldUpgrade[] = [];
    const hold = async (
      port: number,
      localAddress: string,
      headers: Record<string, string> = {},
    ) => {
      const upgrade = await holdUpgrade(port, { localAddress, headers });
      held.push(upgrade);
      return upgrade;
    };
    const spoof = { 'X-Forwarded-For': '203.0.113.9' };
    try {
      // A neighbour behind the same proxy, and a client at 127.0.0.3 that opens sockets without
      // ever authenticating, claiming another address (Caddy replaces the claim). The server
      // counts them against 127.0.0.3: past its ceiling it closes that address's oldest idle
      // socket, and the neighbour's is left alone — limits are per client, not per proxy.
      const neighbour = await hold(plainPort, '127.0.0.4');
      expect(neighbour.status).toBe(101);
      const idle: HeldUpgrade[] = [];
      for (let i = 0; i <= MAX_PER_ADDRESS; i++)
        idle.push(await hold(plainPort, '127.0.0.3', spoof));
      expect(idle.map((upgrade) => upgrade.status)).toEqual(idle.map(() => 101));
      await expect.poll(() => idle[0]?.closed()).toBe(true);
      expect(idle.slice(1).map((upgrade) => upgrade.closed())).toEqual(
        idle.slice(1).map(() => false),
      );
      expect(neighbour.closed()).toBe(false);
      // Directly to the server, from an address that is not a trusted proxy: X-Forwarded-For
      // naming 127.0.0.3 is ignored, so this socket counts (and is refused) as 127.0.0.2's.
      const direct = await hold(server.server.port, '127.0.0.2', {
        'X-Forwarded-For': '127.0.0.3',
      });
      expect(direct.status).toBe(101);
      // Had it counted as 127.0.0.3's, another of that address's sockets would have been closed
      // to make room before the answer was sent; the gate made room once, for 127.0.0.3 itself.
      expect(await metricsText(server)).toContain(
        'headcount_auth_refusals_total{reason="too-many-unauthenticated"} 1\n',
      );
      const foreign = await hold(server.server.port, '127.0.0.2', {
        'X-Forwarded-For': '127.0.0.3',
        Origin: 'https://evil.example',
      });
      expect(foreign.status).toBe(403);
    } finally {
      for (const upgrade of held) upgrade.release();
    }
    const refusals = refusalsLogged();
    expect(refusals).toContain('too-many-unauthenticated 127.0.0.3');
    expect(refusals).toContain('bad-origin 127.0.0.2');
    // Never Caddy's own address (every proxied client would share it), never a client's claim.
    expect(refusals.filter((line) => !/ 127\.0\.0\.[234]$/.test(line))).toEqual([]);
    expect(JSON.stringify(logLines)).not.toContain('203.0.113.9');

    // The protocol as well: only the trusted proxy can say a request came over HTTPS.
    const viaCaddy = await rawRequest(plainPort, '/healthz', {
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(viaCaddy.headers['strict-transport-security']).toBeUndefined();
    const forged = await rawRequest(server.server.port, '/healthz', {
      localAddress: '127.0.0.2',
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(forged.headers['strict-transport-security']).toBeUndefined();
    const fromCaddy = await rawRequest(server.server.port, '/healthz', {
      localAddress: '127.0.0.1',
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(fromCaddy.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
