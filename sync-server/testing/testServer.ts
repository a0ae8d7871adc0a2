import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { importPKCS8, SignJWT } from 'jose';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { recordEvent } from '../../shared/checkinsDoc';
import { siteDocName } from '../../shared/docName';
import { newEventId } from '../../shared/eventId';
import type { Member } from '../../shared/member';
import { type SiteSettings, writeSettings } from '../../shared/siteDoc';
import { loadConfig } from '../config';
import type { StaffRole } from '../StaffAccounts';
import { type RunningServer, startServer } from '../server';
import { AUDIENCE, ISSUER } from '../tokens';
import type { WriteLimits } from '../WriteGuard';
import { databaseEnv } from './testDatabase';

type ServerOptions = NonNullable<Parameters<typeof startServer>[1]>;

/** A real server on port 0 with its own DATA_DIR, and real providers talking to it. */
export const SITE = 'riverside';
export const ZONE = 'Europe/Amsterdam';

export interface TestServer {
  readonly server: RunningServer;
  readonly dir: string;
  readonly wsUrl: string;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startTestServer(
  env: Record<string, string> = {},
  dir?: string,
  options: {
    distDir?: string;
    writeLimits?: Partial<WriteLimits>;
    limits?: ServerOptions['limits'];
    /** Where the server logs (tests that read its lines); default silent. */
    log?: ServerOptions['log'];
  } = {},
): Promise<TestServer> {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'headcount-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SITE_ID: SITE,
    SITE_TIME_ZONE: ZONE,
    LOG_LEVEL: 'silent',
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...databaseEnv(dataDir),
    ...env,
  });
  const server = await startServer(config, {
    distDir: options.distDir ?? join(dataDir, 'no-dist'),
    ...(options.writeLimits ? { writeLimits: options.writeLimits } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    server,
    dir: dataDir,
    wsUrl: `ws://127.0.0.1:${server.port}`,
    async api(method, path, body, token) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    close: () => server.close(),
  };
}

/** The metrics token test servers use (see `metricsText`). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

/** The server's `/metrics` text, asked for with the test token. */
export async function metricsText(t: Pick<TestServer, 'server'>): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${t.server.port}/metrics`, {
    headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
  });
  return response.text();
}

let accounts = 0;

/** A staff account of `role` and a fresh access token for it. */
export async function staffToken(
  t: TestServer,
  role: StaffRole = 'staff',
  siteId: string | null = SITE,
): Promise<{ id: string; token: string }> {
  const member = await t.server.staff.create({
    username: `user${++accounts}`,
    password: 'correct horse battery',
    role,
    siteId: role === 'admin' ? null : siteId,
  });
  return {
    id: member.id,
    token: await t.server.tokens.issue({ role, siteId: member.siteId, subject: member.id }),
  };
}

/** Pairs a kiosk through the API, as a tablet does, and gets it an access token. */
export async function pairKiosk(
  t: TestServer,
  name = 'Front door',
): Promise<{ deviceId: string; deviceSecret: string; token: string }> {
  const { token: staff } = await staffToken(t);
  const code = await t.api<{ code: string }>('POST', '/api/pairing-codes', { name }, staff);
  const paired = await t.api<{ deviceId: string; deviceSecret: string }>(
    'POST',
    '/api/devices/pair',
    { code: code.body.code, appVersion: 'test' },
  );
  const access = await t.api<{ accessToken: string }>('POST', '/api/devices/token', paired.body);
  return { ...paired.body, token: access.body.accessToken };
}

/** Signs a token with the server's own key, with any claims a test needs (expired, wrong audience…). */
export async function forgeToken(
  t: TestServer,
  claims: Record<string, unknown>,
  set: (jwt: SignJWT) => SignJWT = (j) => j,
): Promise<string> {
  const key = await importPKCS8(readFileSync(join(t.dir, 'signing-key.pem'), 'utf8'), 'EdDSA');
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m');
  return set(jwt).sign(key);
}

export interface Client {
  readonly provider: HocuspocusProvider;
  readonly doc: Y.Doc;
  /** Resolves on the first sync, or with the refusal reason. */
  readonly outcome: Promise<{ ok: true; scope: string } | { ok: false; reason: string }>;
  /** Close events of the socket, most recent last. */
  readonly closes: { code: number; reason: string }[];
  destroy(): void;
}

/** Reconnect quickly in tests (the default backoff grows to 30 s). */
const FAST_RECONNECT = { delay: 200, factor: 1.5, minDelay: 100, maxDelay: 1000 };

export function connect(
  /** `WebSocket`: a `ws` class of the test's own (one that trusts a test certificate, …). */
  t: Pick<TestServer, 'wsUrl'> & { readonly WebSocket?: new (url: string) => WebSocket },
  name: string,
  token: string | null | (() => Promise<string>),
  doc = new Y.Doc(),
): Client {
  const closes: { code: number; reason: string }[] = [];
  const socket = new HocuspocusProviderWebsocket({
    url: t.wsUrl,
    WebSocketPolyfill: t.WebSocket ?? WebSocket,
    ...FAST_RECONNECT,
  });
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    document: doc,
    token,
  });
  provider.attach();
  provider.on('close', ({ event }: { event: { code: number; reason: string } }) =>
    closes.push({ code: event.code, reason: String(event.reason) }),
  );
  const outcome = new Promise<{ ok: true; scope: string } | { ok: false; reason: string }>(
    (resolve) => {
      provider.on('synced', () => resolve({ ok: true, scope: String(provider.authorizedScope) }));
      provider.on('authenticationFailed', ({ reason }: { reason: string }) =>
        resolve({ ok: false, reason }),
      );
    },
  );
  return {
    provider,
    doc,
    outcome,
    closes,
    destroy() {
      // `ws` reports closing a socket that is still connecting as an 'error' event, a tick
      // later, after the provider has removed its listeners: unheard, it would crash the run.
      (socket.webSocket as { on?: (event: 'error', listener: () => void) => void } | null)?.on?.(
        'error',
        () => {},
      );
      provider.destroy();
      socket.destroy();
    },
  };
}

/**
 * Sends `update` as a Yjs update message for `documentName` on the client's socket, bypassing
 * its Y.Doc: for updates no honest provider would send.
 */
export function sendRawUpdate(c: Client, documentName: string, update: Uint8Array): void {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, documentName);
  encoding.writeVarUint(encoder, 0); // Hocuspocus message type: Sync
  encoding.writeVarUint(encoder, 2); // y-protocols sync message type: Update
  encoding.writeVarUint8Array(encoder, update);
  c.provider.configuration.websocketProvider.send(encoding.toUint8Array(encoder));
}

/** Polls until `check` holds (no fixed sleeps); throws with `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 8000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Records a check-in the way a kiosk does: into its own array, with a fresh id; returns the id. */
export function kioskCheckIn(
  doc: Y.Doc,
  deviceId: string,
  memberId: string,
  at = Date.now(),
): string {
  const id = newEventId(at);
  recordEvent(
    doc,
    { role: 'kiosk', id: deviceId },
    { kind: 'checkIn', memberId },
    { id, at, clockTrusted: true, method: 'qr' },
  );
  return id;
}

/**
 * Writes site settings through a staff connection, as the dashboard does, and members into the
 * member table, as the API does ([M4]); resolves once the server holds them and every open roster
 * document lists them ([D7]).
 */
export async function seedSite(
  t: TestServer,
  settings: Partial<SiteSettings>,
  members: readonly Member[],
): Promise<void> {
  const staff = await staffToken(t);
  const site = connect(t, siteDocName(SITE), staff.token);
  await site.outcome;
  writeSettings(site.doc, settings);
  await putMembers(t, members);
  site.destroy();
}

/** Adds or replaces members as the API does, and brings the open roster documents in line. */
export async function putMembers(t: TestServer, members: readonly Member[]): Promise<void> {
  const before = await t.server.members.byIds(members.map((member) => member.id));
  const changes = members.map((after) => ({ before: before.get(after.id) ?? null, after }));
  await t.server.members.write(changes);
  await t.server.membersChanged(changes);
}

/** An active member with no expiry. */
export function activeMember(id: string, name: string, codes: string[] = []): Member {
  return { id, name, codes, status: 'active', validUntil: null, homeSite: SITE, access: 'home' };
}

/** A TCP port nobody listens on right now (for servers that must come back on the same port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
