import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import {
  CLOSE_AUTH_TIMEOUT,
  CLOSE_TOO_MANY,
  SocketGate,
  type SocketGateConfiguration,
} from './SocketGate';
import {
  type Client,
  connect,
  metricsText,
  pairKiosk,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const open: (TestServer | Client | WebSocket)[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) {
    if (thing instanceof WebSocket) thing.terminate();
    else if ('destroy' in thing) thing.destroy();
    else await thing.close();
  }
});

async function server(
  env: Record<string, string> = {},
  sockets: Partial<SocketGateConfiguration> = {},
): Promise<TestServer> {
  const t = await startTestServer(env, undefined, { limits: { sockets } });
  open.push(t);
  return t;
}

function client(t: TestServer, name: string, token: string): Client {
  const c = connect(t, name, token);
  open.push(c);
  return c;
}

interface Idle {
  readonly socket: WebSocket;
  /** 101 once open, or the status the upgrade was refused with. */
  readonly status: Promise<number>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** A websocket that never sends a thing, from `localAddress`. */
function idle(t: TestServer, localAddress = '127.0.0.1'): Idle {
  const socket = new WebSocket(t.wsUrl, { localAddress });
  open.push(socket);
  socket.on('error', () => {});
  const status = new Promise<number>((resolve) => {
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { socket, status, closed };
}

const refusals = async (t: TestServer, reason: string) =>
  Number(
    new RegExp(`headcount_auth_refusals_total\\{reason="${reason}"\\} (\\d+)`).exec(
      await metricsText(t),
    )?.[1] ?? 0,
  );

const today = localDayOf(Date.now(), ZONE);

describe('unauthenticated websockets', () => {
  it('closes a socket on which nothing authenticates within the deadline, not an authenticated one', async () => {
    const t = await server({}, { authTimeoutMs: 300 });
    const staff = await staffToken(t);
    const live = client(t, siteDocName(SITE), staff.token);
    expect(await live.outcome).toMatchObject({ ok: true });
    const quiet = idle(t);
    const refused = client(t, siteDocName(SITE), 'not a token');
    expect(await refused.outcome).toMatchObject({ ok: false });
    expect(await quiet.closed).toEqual({ code: CLOSE_AUTH_TIMEOUT, reason: 'auth-timeout' });
    await until(
      () => refused.closes.some((c) => c.code === CLOSE_AUTH_TIMEOUT),
      'bad token closed',
    );
    // Well past its own deadline, the authenticated one is still open and in sync.
    expect(live.closes).toEqual([]);
    expect(live.provider.isSynced).toBe(true);
    expect(await refusals(t, 'auth-timeout')).toBeGreaterThanOrEqual(2);
  });

  it('lets a real provider sync past 100 idle sockets from its own address, and keeps it', async () => {
    // The old default ceiling, which 64 idle sockets once filled for the whole gym.
    const t = await server({ MAX_CONNECTIONS_PER_IP: '64' });
    const first = Array.from({ length: 100 }, () => idle(t));
    await Promise.all(first.map((s) => s.status));
    const staff = await staffToken(t);
    const live = client(t, siteDocName(SITE), staff.token);
    // At once, not after the idle ones time out (10 s).
    await until(() => live.provider.isSynced, 'the provider synced', 3_000);
    // More idle sockets make room among themselves, never by closing the authenticated one.
    const more = Array.from({ length: 100 }, () => idle(t));
    expect(await Promise.all(more.map((s) => s.status))).toEqual(more.map(() => 101));
    await until(async () => (await refusals(t, 'too-many-unauthenticated')) >= 136, 'room made');
    expect(await first[0]?.closed).toEqual({
      code: CLOSE_TOO_MANY,
      reason: 'too-many-unauthenticated',
    });
    expect(live.closes).toEqual([]);
    expect(live.provider.isSynced).toBe(true);
  });

  it('closes a socket after 96 refused authentications, before its tokens are checked', async () => {
    const t = await server();
    const socket = idle(t);
    expect(await socket.status).toBe(101);
    // One bad token after another, each as soon as the last was refused (thousands a second).
    const sendBadToken = () => {
      const message = encoding.createEncoder();
      encoding.writeVarString(message, siteDocName(SITE));
      encoding.writeVarUint(message, 2); // Hocuspocus message type: Auth
      encoding.writeVarUint(message, 0); // auth message type: Token
      encoding.writeVarString(message, 'not a token');
      socket.socket.send(encoding.toUint8Array(message));
    };
    socket.socket.on('message', sendBadToken);
    sendBadToken();
    expect(await socket.closed).toEqual({ code: CLOSE_TOO_MANY, reason: 'too-many-auth-failures' });
    expect(await refusals(t, 'malformed-token')).toBe(96);
    expect(await refusals(t, 'too-many-auth-failures')).toBe(1);
  });

  it('keeps an address to its number of unauthenticated sockets, closing its oldest', async () => {
    const t = await server({}, { maxUnauthenticatedPerAddress: 10 });
    const sockets = Array.from({ length: 20 }, () => idle(t, '127.0.0.2'));
    await Promise.all(sockets.map((s) => s.status));
    expect(await sockets[0]?.closed).toEqual({
      code: CLOSE_TOO_MANY,
      reason: 'too-many-unauthenticated',
    });
    await until(async () => (await refusals(t, 'too-many-unauthenticated')) === 10, 'ten closed');
    // Another address is not affected.
    const other = idle(t, '127.0.0.3');
    expect(await other.status).toBe(101);
    expect(await refusals(t, 'too-many-unauthenticated')).toBe(10);
  });

  it('closes the oldest unauthenticated socket of any address when the server-wide cap is reached', async () => {
    const t = await server({}, { maxUnauthenticated: 5 });
    const sockets = Array.from({ length: 5 }, () => idle(t, '127.0.0.2'));
    await Promise.all(sockets.map((s) => s.status));
    expect(await idle(t, '127.0.0.3').status).toBe(101);
    expect(await sockets[0]?.closed).toEqual({
      code: CLOSE_TOO_MANY,
      reason: 'unauthenticated-flood',
    });
  });
});

describe('authenticated websockets', () => {
  it('holds a device to 8 sockets, while the rest of its address connects', async () => {
    const t = await server();
    const kiosk = await pairKiosk(t);
    const name = checkinsDocName(SITE, today);
    const sockets = Array.from({ length: 9 }, () => client(t, name, kiosk.token));
    await until(
      async () => (await refusals(t, 'too-many-device-sockets')) >= 1,
      'the ninth socket refused',
    );
    await until(
      () => sockets.some((c) => c.closes.some((e) => e.reason === 'too-many-device-sockets')),
      'the ninth told why',
    );
    await until(() => t.server.access.openBySubject().get(kiosk.deviceId) === 8, 'eight stay');
    const staff = await staffToken(t);
    expect(await client(t, siteDocName(SITE), staff.token).outcome).toMatchObject({ ok: true });
  });

  it('holds an account to its limit of sockets', async () => {
    const t = await server({}, { maxPerAccount: 2 });
    const staff = await staffToken(t);
    for (let i = 0; i < 3; i++) client(t, siteDocName(SITE), staff.token);
    await until(
      async () => (await refusals(t, 'too-many-account-sockets')) >= 1,
      'the third socket refused',
    );
    await until(() => t.server.access.openBySubject().get(staff.id) === 2, 'two stay');
  });

  it('refuses a socket over the per-address ceiling when all of them are authenticated', async () => {
    const t = await server({ MAX_CONNECTIONS_PER_IP: '2' });
    const staff = await staffToken(t);
    for (let i = 0; i < 2; i++)
      expect(await client(t, siteDocName(SITE), staff.token).outcome).toMatchObject({ ok: true });
    expect(await idle(t).status).toBe(429);
    expect(await refusals(t, 'too-many-connections')).toBe(1);
  });
});

describe('refusal log lines', () => {
  it('writes at most one line per address and minute, and counts every refusal', () => {
    const counted: string[] = [];
    const logged: string[] = [];
    const gate = new SocketGate({
      originAllowed: () => false,
      accept: () => {},
      onRefused: ({ address }) => counted.push(address),
      onLog: ({ address }) => logged.push(address),
    });
    const from = (remoteAddress: string) =>
      ({ socket: { remoteAddress }, headers: {} }) as unknown as IncomingMessage;
    for (let i = 0; i < 50; i++)
      gate.upgrade(from('203.0.113.7'), new PassThrough(), Buffer.alloc(0));
    for (let i = 0; i < 3; i++)
      gate.upgrade(from('::ffff:198.51.100.1'), new PassThrough(), Buffer.alloc(0));
    expect(counted).toHaveLength(53);
    expect(logged).toEqual(['203.0.113.7', '198.51.100.1']);
  });
});
