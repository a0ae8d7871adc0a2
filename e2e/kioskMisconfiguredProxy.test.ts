import { mkdtempSync } from 'node:fs';
import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
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
 * A misconfigured reverse proxy leaves the tablet paired and recording offline (issue 10, item
 * 5). The kiosk is served through a small HTTP proxy in this test, whose behaviour the test
 * switches: the page's origin (and so its localStorage and IndexedDB) stays the proxy's
 * throughout. Misconfigured, the proxy answers the token endpoint with the server's own
 * `403 bad-origin` (what a proxy that rewrites Host or Origin gets from the server) and refuses
 * websocket upgrades with 403. The tablet must keep its credential and its keypad, record
 * check-ins, and deliver them all once the proxy is fixed; a real revocation still unpairs it.
 */
interface MisconfigurableProxy {
  readonly origin: string;
  /** Where requests go (set once the server, which must allow this origin, is up). */
  target: number;
  /** Answer `POST /api/devices/token` with 403 bad-origin instead of forwarding it. */
  refuseTokens: boolean;
  /** Answer websocket upgrades with 403 instead of forwarding them. */
  refuseUpgrades: boolean;
  /** How often each refusal was given (proof that the tablet really asked). */
  readonly refused: { tokens: number; upgrades: number };
  /** Drops every open connection, websockets included, as a proxy's reload does. */
  dropConnections(): void;
  close(): Promise<void>;
}

async function startProxy(): Promise<MisconfigurableProxy> {
  const tunnels = new Set<Socket>();
  const proxy = {
    origin: '',
    target: 0,
    refuseTokens: false,
    refuseUpgrades: false,
    refused: { tokens: 0, upgrades: 0 },
    dropConnections() {
      server.closeAllConnections();
      for (const socket of tunnels) socket.destroy();
    },
    close() {
      proxy.dropConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (proxy.refuseTokens && request.url?.split('?')[0] === '/api/devices/token') {
      proxy.refused.tokens += 1;
      request.resume();
      response.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
      response.end(
        JSON.stringify({
          error: { code: 'bad-origin', message: 'this origin may not call the API' },
        }),
      );
      return;
    }
    // Host is passed on unchanged; the server allows this origin through ALLOWED_ORIGINS.
    const upstream = forward(
      {
        host: '127.0.0.1',
        port: proxy.target,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<h1>502 Bad Gateway</h1>');
    });
    request.pipe(upstream);
  });
  server.on('upgrade', (request: IncomingMessage, client: Socket, head: Buffer) => {
    if (proxy.refuseUpgrades) {
      proxy.refused.upgrades += 1;
      client.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(proxy.target, '127.0.0.1', () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2)
        lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    for (const socket of [client, upstream]) {
      tunnels.add(socket);
      socket.on('close', () => tunnels.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return proxy;
}

let server: TestServer;
let proxy: MisconfigurableProxy;
let browser: Browser;
const day = () => localDayOf(Date.now(), ZONE);

const keypadShown = (page: Page) =>
  page.getByRole('button', { name: 'OK, check in or out' }).count();
const pairingShown = (page: Page) => page.getByRole('button', { name: 'Pair this tablet' }).count();
const storedCredential = (page: Page) =>
  page.evaluate(() => localStorage.getItem('headcount.device'));

/** This day's entries the server holds: the live document, or the stored one once unloaded. */
async function entriesOnServer(): Promise<number> {
  const name = checkinsDocName(SITE, day());
  const live = server.server.hocuspocus.documents.get(name) as unknown as Y.Doc | undefined;
  const doc = live ?? (await server.server.documents.load(name));
  return doc ? readEntries(doc, day()).length : 0;
}

// Skipped only where Chromium is missing, with the message from ./browser; CI always has it.
describe.skipIf(!hasChromium)('kiosk behind a misconfigured proxy', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-proxy-'));
    await buildApp(join(dataDir, 'dist'));
    // A proxy on another port is another origin: the server must allow it explicitly.
    proxy = await startProxy();
    server = await startTestServer({ ALLOWED_ORIGINS: proxy.origin }, dataDir, {
      distDir: join(dataDir, 'dist'),
    });
    proxy.target = server.server.port;
    const members = [1, 2, 3, 4, 5].map((n) => activeMember(`100${n}`, `Member${n} Test`));
    await seedSite(server, { timeZone: ZONE, debounceSeconds: 0 }, members);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
  });

  it('keeps the tablet paired and recording offline, delivers everything once the proxy is fixed, and still unpairs on a real revocation', async () => {
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await pairThroughScreen(page, proxy.origin, await newPairingCode(server, 'Front door'));
    await scan(page, '1001', 'Welcome, Member1');
    await expect.poll(() => status(page), { timeout: 10_000 }).toContain('All check-ins synced');
    expect(await entriesOnServer()).toBe(1);
    const credential = await storedCredential(page);
    expect(credential).not.toBeNull();

    // The proxy is reconfigured wrongly and reloaded (its open connections drop), and the tablet
    // restarts: the token endpoint answers bad-origin, websocket upgrades are refused.
    proxy.refuseTokens = true;
    proxy.refuseUpgrades = true;
    proxy.dropConnections();
    await page.reload();
    await expect.poll(() => keypadShown(page), { timeout: 10_000 }).toBe(1);
    await scan(page, '1002', 'Welcome, Member2');
    await scan(page, '1003', 'Welcome, Member3');
    await expect.poll(() => status(page)).toContain('2 waiting to sync');
    await expect.poll(() => proxy.refused.upgrades, { timeout: 15_000 }).toBeGreaterThan(1);
    expect(await pairingShown(page)).toBe(0);
    expect(await storedCredential(page)).toBe(credential);

    // Half fixed: websockets pass, so the tablet asks for a token, and the proxy still answers
    // it with bad-origin. Not an answer about this tablet: it keeps its credential and keypad.
    proxy.refuseUpgrades = false;
    await expect.poll(() => proxy.refused.tokens, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await pairingShown(page)).toBe(0);
    expect(await storedCredential(page)).toBe(credential);
    await scan(page, '1004', 'Welcome, Member4');
    await expect.poll(() => status(page)).toContain('3 waiting to sync');
    // It asks again later by itself, and is refused again, still without unpairing.
    await expect.poll(() => proxy.refused.tokens, { timeout: 20_000 }).toBeGreaterThan(1);
    expect(await pairingShown(page)).toBe(0);
    expect(await keypadShown(page)).toBe(1);
    expect(await storedCredential(page)).toBe(credential);
    expect(await entriesOnServer()).toBe(1);

    // Fixed: the tablet asks again by itself (with backoff) and delivers everything, same page.
    proxy.refuseTokens = false;
    await expect.poll(() => status(page), { timeout: 45_000 }).toContain('All check-ins synced');
    // "Synced" can show a moment before the server has applied the last updates the socket queued
    // before its token was checked (see LiveDays.watchDelivery): wait for them.
    await expect.poll(() => entriesOnServer(), { timeout: 10_000 }).toBe(4);
    await scan(page, '1005', 'Welcome, Member5');
    await expect.poll(() => entriesOnServer(), { timeout: 10_000 }).toBe(5);

    // A real revocation, through the same proxy, still unpairs it: the server closes the socket
    // with `revoked`, and the token endpoint confirms that this device is revoked.
    const { deviceId } = JSON.parse(credential as string) as { deviceId: string };
    const { token } = await staffToken(server);
    expect((await server.api('DELETE', `/api/devices/${deviceId}`, undefined, token)).status).toBe(
      200,
    );
    await expect
      .poll(() => page.getByText('This tablet was removed by staff').count(), { timeout: 20_000 })
      .toBe(1);
    expect(await storedCredential(page)).toBeNull();
    expect(errors).toEqual([]);
  }, 150_000);
});
