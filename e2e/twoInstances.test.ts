import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketStatus } from '@hocuspocus/provider';
import Papa from 'papaparse';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type {
  DeviceTokenAnswer,
  PairAnswer,
  PairingCodeAnswer,
  SessionAnswer,
} from '../shared/apiProtocol';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { eventIdFromBytes } from '../shared/eventId';
import { localDayOf } from '../shared/localTime';
import { writerName } from '../shared/writer';
import { startRedis, type TestRedis } from '../sync-server/testing/redisServer';
import {
  selfSignedCertificate,
  type TestCertificate,
} from '../sync-server/testing/selfSignedCertificate';
import {
  type Client,
  connect,
  freePort,
  kioskCheckIn,
  SITE,
  startTestServer,
  TEST_METRICS_TOKEN,
  until,
  ZONE,
} from '../sync-server/testing/testServer';
import { deployFile, hasNginx, type RunningProxy, startNginx } from './proxies';

/**
 * Several instances behind a real load balancer (README "Running it behind Caddy or nginx",
 * several instances): two server processes on one PostgreSQL schema and one Redis, behind nginx
 * with `deploy/nginx.conf` and the README's `upstream`. A kiosk lands on one instance and a
 * dashboard on the other; the kiosk writes check-ins at a steady pace, which reach the dashboard
 * live through Redis; the kiosk's instance is killed with SIGKILL mid-stream. The kiosk
 * reconnects through nginx to the survivor and delivers what it had not had acknowledged
 * ([W5], [D6]); in the end the dashboard, a fresh reader, the restarted instance and the visits
 * report all hold exactly the check-ins the kiosk wrote, none lost, none twice.
 *
 * Runs only with DATABASE_URL (CI sets it): in a PostgreSQL schema of its own, dropped at the end.
 */
const databaseUrl = process.env.DATABASE_URL ?? '';
const SCHEMA = `hct_e2e_${randomBytes(4).toString('hex')}`;
const USERNAME = 'desk';
const PASSWORD = 'correct horse battery';
/** Milliseconds between two check-ins of the kiosk: a busy door, several times over. */
const GAP_MS = 25;
/** Check-ins the dashboard must have seen live before the kill, and after the reconnect. */
const LIVE = 15;
/** Bound on each wait that crosses processes, ms. */
const WAIT_MS = 30_000;
/**
 * Bound on a server process getting ready, ms: tsx compiles the server at each start, 6 s here,
 * 25 s with two busy cores (stress-ng --cpu 2).
 */
const START_MS = 60_000;

const day = localDayOf(Date.now(), ZONE);
const documentName = checkinsDocName(SITE, day);

/** One spawned server process and where it listens. */
interface Instance {
  readonly label: string;
  readonly port: number;
  child: ChildProcess | null;
  /** The tail of what it printed (JSON log lines), for a failure's message. */
  output: string;
}

let dir: string;
let certificate: TestCertificate;
let httpPort: number;
let tlsPort: number;
let redis: TestRedis | null = null;
let nginx: RunningProxy | null = null;
const instances: Instance[] = [];
const clients: Client[] = [];
const publicUrl = () => `https://127.0.0.1:${tlsPort}`;

/** A `ws` WebSocket that trusts the test certificate nginx serves. */
class TrustingWebSocket extends WebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, { ca: certificate.cert });
  }
}

/** Through nginx, over TLS, as the tablets and phones reach the gym. */
const viaNginx = () => ({ wsUrl: `wss://127.0.0.1:${tlsPort}`, WebSocket: TrustingWebSocket });
/** Straight to one instance, past nginx. */
const direct = (instance: Instance) => ({ wsUrl: `ws://127.0.0.1:${instance.port}` });

function track(client: Client): Client {
  clients.push(client);
  return client;
}

/** An API call through nginx from a page at PUBLIC_URL. */
function api<T>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; text: string; body: T }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: tlsPort,
        path,
        method,
        ca: certificate.cert,
        agent: false,
        headers: {
          origin: publicUrl(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          text += chunk;
        });
        answer.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            // CSV, or an error page of nginx's.
          }
          resolve({ status: answer.statusCode ?? 0, text, body: parsed as T });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The server's environment: one database schema, one Redis, one DATA_DIR (one signing key). */
function serverEnv(instance: Instance): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(instance.port),
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    SITE_ID: SITE,
    SITE_TIME_ZONE: ZONE,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: SCHEMA,
    REDIS_URL: redis?.url ?? '',
    TRUST_PROXY: '127.0.0.1',
    PUBLIC_URL: publicUrl(),
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    LOG_LEVEL: 'info',
  };
}

/** Spawns the instance's process and resolves once it is ready and relaying. */
async function start(instance: Instance): Promise<void> {
  instance.output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
    env: serverEnv(instance),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  instance.child = child;
  const keep = (chunk: Buffer) => {
    instance.output = (instance.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`${instance.label} exited: ${instance.output}`);
      try {
        const answer = await fetch(`http://127.0.0.1:${instance.port}/readyz`);
        return answer.ok && ((await answer.json()) as { status: string }).status === 'ready';
      } catch {
        return false;
      }
    },
    `instance ${instance.label} to be ready and relaying`,
    START_MS,
  );
}

/** kill -9, and resolves once the process is gone. */
async function kill9(instance: Instance): Promise<void> {
  const child = instance.child;
  instance.child = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** The instance's open websocket connections, from its /metrics gauge. */
async function connections(instance: Instance): Promise<number> {
  const answer = await fetch(`http://127.0.0.1:${instance.port}/metrics`, {
    headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
  });
  const value = /^headcount_connections (\d+)$/m.exec(await answer.text())?.[1];
  if (value === undefined) throw new Error(`${instance.label}: no headcount_connections gauge`);
  return Number(value);
}

/** `writer/event id` of every entry in a document, with how often each occurs. */
function entryCounts(doc: Y.Doc): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of readEntries(doc, day)) {
    const id = eventIdFromBytes((entry.value as unknown[] | null)?.[1]);
    const key = `${entry.container}/${id ?? `unreadable ${entry.key}`}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The member ids of the visits report for today, sorted. */
async function visitsReport(token: string): Promise<string[]> {
  const answer = await api<never>(
    'GET',
    `/api/reports/visits?from=${day}&to=${day}`,
    undefined,
    token,
  );
  if (answer.status !== 200) throw new Error(`visits report: ${answer.status} ${answer.text}`);
  const rows = Papa.parse<Record<string, string>>(answer.text.trim(), { header: true }).data;
  return rows.map((row) => row.member_id ?? '?').sort();
}

const socketStatus = (client: Client) => client.provider.configuration.websocketProvider.status;

/** Paces the kiosk's check-ins (never used to wait for something to happen). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The README's nginx blocks (```nginx fences), by a line each must contain. */
function readmeNginx(containing: string): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```nginx\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  const found = blocks.filter((block) => block.includes(containing));
  if (found.length !== 1)
    throw new Error(`README: expected one nginx block with "${containing}", found ${found.length}`);
  return found[0] as string;
}

/** `text` with each of `replacements` made, each matching exactly once. */
function replaceOnce(text: string, replacements: [string, string][]): string {
  let result = text;
  for (const [from, to] of replacements) {
    const count = result.split(from).length - 1;
    if (count !== 1) throw new Error(`expected "${from}" once, found ${count}`);
    result = result.replace(from, to);
  }
  return result;
}

// Skipped without DATABASE_URL (several instances need PostgreSQL; vitest.config.ts warns), or
// where nginx is missing, with a message saying so; CI has both.
describe.runIf(databaseUrl !== '' && hasNginx())('two instances behind nginx', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headcount-instances-'));
    // nginx's workers run as another user when started by root: they must reach their files.
    chmodSync(dir, 0o755);
    [httpPort, tlsPort] = [await freePort(), await freePort()];
    certificate = selfSignedCertificate(dir, ['gym.example']);
    instances.push(
      { label: 'one', port: await freePort(), child: null, output: '' },
      { label: 'two', port: await freePort(), child: null, output: '' },
    );

    // The database and DATA_DIR as an operator leaves them: migrated, the site and the signing
    // key created, and one staff account (the CLI's create-staff does the same).
    const setup = await startTestServer(
      { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: SCHEMA },
      dir,
    );
    try {
      await setup.server.staff.create({
        username: USERNAME,
        password: PASSWORD,
        role: 'staff',
        siteId: SITE,
      });
    } finally {
      await setup.close();
    }

    redis = await startRedis();
    await Promise.all(instances.map(start));

    // deploy/nginx.conf as written, on loopback ports with a test certificate, with the
    // README's upstream of several instances in place of the one upstream address.
    const [one, two] = instances as [Instance, Instance];
    const upstream = replaceOnce(readmeNginx('upstream headcount'), [
      ['127.0.0.1:8080;', `127.0.0.1:${one.port};`],
      ['127.0.0.1:8081;', `127.0.0.1:${two.port};`],
    ]);
    const site = deployFile('nginx.conf', [
      ['listen 80;', `listen 127.0.0.1:${httpPort};`],
      ['listen [::]:80;', ''],
      ['listen 443 ssl http2;', `listen 127.0.0.1:${tlsPort} ssl http2;`],
      ['listen [::]:443 ssl http2;', ''],
      ['/etc/letsencrypt/live/gym.example/fullchain.pem', certificate.certFile],
      ['/etc/letsencrypt/live/gym.example/privkey.pem', certificate.keyFile],
      ['proxy_pass http://127.0.0.1:8080;', readmeNginx('proxy_pass http://headcount;').trim()],
    ]);
    nginx = await startNginx(
      dir,
      `${upstream}\n${site}`,
      async () => (await api('GET', '/readyz')).status === 200,
    );
  }, 150_000);

  afterAll(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const instance of instances) await kill9(instance);
    await nginx?.close();
    await redis?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await db.query(`drop schema if exists ${SCHEMA} cascade`);
    } finally {
      await db.end();
    }
  });

  it('[W5][D6] a kiosk whose instance is killed -9 goes on through nginx on the other: the dashboard there, a fresh reader, the restarted instance and the record hold each check-in once', async () => {
    const progress: string[] = [];
    const t0 = Date.now();
    const mark = (what: string) => progress.push(`${Date.now() - t0} ms: ${what}`);
    const dump = () => {
      const errorLog = join(dir, 'nginx-error.log');
      console.error(
        [
          ...progress,
          ...instances.map((i) => `--- instance ${i.label} (${i.port}):\n${i.output.slice(-8000)}`),
          `--- nginx error log:\n${existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-4000) : ''}`,
        ].join('\n'),
      );
    };
    onTestFailed(dump);

    // Staff signs in and pairs a kiosk through nginx, as the dashboard and a tablet do.
    const session = await api<SessionAnswer>('POST', '/api/session', {
      username: USERNAME,
      password: PASSWORD,
    });
    expect(session.status, session.text).toBe(200);
    const staff = session.body.accessToken;
    const code = await api<PairingCodeAnswer>(
      'POST',
      '/api/pairing-codes',
      { name: 'Door' },
      staff,
    );
    expect(code.status, code.text).toBe(200);
    const paired = await api<PairAnswer>('POST', '/api/devices/pair', {
      code: code.body.code,
      appVersion: 'e2e',
    });
    expect(paired.status, paired.text).toBe(200);
    const { deviceId, deviceSecret } = paired.body;
    // A fresh access token on every (re)connect, through nginx, as the kiosk gets one.
    const kioskToken = async () => {
      const answer = await api<DeviceTokenAnswer>('POST', '/api/devices/token', {
        deviceId,
        deviceSecret,
        appVersion: 'e2e',
      });
      if (answer.status !== 200) throw new Error(`device token: ${answer.status} ${answer.text}`);
      return answer.body.accessToken;
    };
    const kioskWriter = writerName({ role: 'kiosk', id: deviceId });
    const total = async () =>
      (await Promise.all(instances.map(connections))).reduce((a, b) => a + b);

    // 1. The kiosk lands on one instance (which one is up to nginx: the gauges say), the
    // dashboard on the other: nginx takes turns, so the next connection goes there; should
    // anything else have taken a turn in between, the dashboard connects again.
    const tablet = track(connect(viaNginx(), documentName, kioskToken));
    expect(await tablet.outcome).toMatchObject({ ok: true });
    await until(async () => (await total()) === 1, 'the kiosk counted on one instance', WAIT_MS);
    const [one, two] = instances as [Instance, Instance];
    const doomed = (await connections(one)) === 1 ? one : two;
    const survivor = doomed === one ? two : one;
    const dashboardOnSurvivor = async (): Promise<Client> => {
      for (let attempt = 1; ; attempt++) {
        const candidate = track(connect(viaNginx(), documentName, staff, new Y.Doc()));
        expect(await candidate.outcome).toMatchObject({ ok: true });
        await until(async () => (await total()) === 2, 'the dashboard counted', WAIT_MS);
        if ((await connections(survivor)) === 1) return candidate;
        expect(attempt, 'nginx never sent the dashboard to the other instance').toBeLessThan(4);
        candidate.destroy();
        await until(async () => (await total()) === 1, 'the misplaced dashboard gone', WAIT_MS);
      }
    };
    const desk = await dashboardOnSurvivor();
    expect([await connections(doomed), await connections(survivor)]).toEqual([1, 1]);
    mark(`kiosk on ${doomed.label} (${doomed.port}), dashboard on ${survivor.label}`);

    // 2. The kiosk writes at a steady pace until told to stop (or two minutes, should the test
    // fail before it says so); each check-in is another member, so each is a visit of its own.
    const written: string[] = [];
    const members: string[] = [];
    let writtenWhileDown = 0;
    let stop = false;
    const after: { write: (() => void) | null } = { write: null };
    const giveUp = Date.now() + 120_000;
    const writing = (async () => {
      for (let n = 0; !stop && Date.now() < giveUp; n++) {
        members.push(`M${n}`);
        written.push(kioskCheckIn(tablet.doc, deviceId, `M${n}`));
        if (socketStatus(tablet) !== WebSocketStatus.Connected) writtenWhileDown++;
        after.write?.();
        after.write = null;
        await sleep(GAP_MS);
      }
    })();
    const seenBy = (client: Client) => {
      const counts = entryCounts(client.doc);
      return written.filter((id) => counts.has(`${kioskWriter}/${id}`)).length;
    };
    // Live: the dashboard sees the kiosk's check-ins while it is still writing them, through
    // Redis (the dashboard's instance never hears from the kiosk otherwise).
    await until(() => seenBy(desk) >= LIVE, 'the check-ins live on the dashboard', WAIT_MS);

    // 3. kill -9 the kiosk's instance mid-stream: right after a check-in, which is then on its
    // way (sent, not yet acknowledged).
    await new Promise<void>((resolve) => {
      after.write = resolve;
    });
    const writtenAtKill = written.length;
    const seenAtKill = seenBy(desk);
    const killedAt = Date.now();
    await kill9(doomed);
    // The kiosk reconnects by itself, through nginx, which skips the dead instance.
    await until(
      async () =>
        socketStatus(tablet) === WebSocketStatus.Connected && (await connections(survivor)) === 2,
      'the kiosk reconnected through nginx to the other instance',
      WAIT_MS,
    );
    const reconnectMs = Date.now() - killedAt;
    // nginx did try the dead instance on the way, and passed the request on.
    const nginxErrors = readFileSync(join(dir, 'nginx-error.log'), 'utf8');
    expect(nginxErrors).toContain(`(111: Connection refused) while connecting to upstream`);
    expect(nginxErrors).toContain(`upstream: "http://127.0.0.1:${doomed.port}/`);
    const writtenAtReconnect = written.length;
    // It goes on writing there, and the dashboard sees that live too.
    await until(
      () => seenBy(desk) >= writtenAtReconnect + LIVE,
      'the check-ins after the reconnect live on the dashboard',
      WAIT_MS,
    );
    stop = true;
    await writing;
    mark(
      `${written.length} written: ${writtenAtKill} before the kill (dashboard had ${seenAtKill}), ${writtenWhileDown} while disconnected; reconnected in ${reconnectMs} ms`,
    );

    // 4. Every check-in once: on the dashboard, with the kiosk told all is acknowledged...
    const expected = new Map(written.map((id) => [`${kioskWriter}/${id}`, 1]));
    await until(
      () => seenBy(desk) === written.length && !tablet.provider.hasUnsyncedChanges,
      'every check-in on the dashboard, and acknowledged to the kiosk',
      WAIT_MS,
    );
    expect(entryCounts(desk.doc)).toEqual(expected);
    expect(entryCounts(tablet.doc)).toEqual(expected);
    // What it wrote without a connection it delivered afterwards (not just what was in flight).
    expect(writtenWhileDown).toBeGreaterThan(0);

    // ...for a fresh reader through nginx (the only instance left)...
    const reader = track(connect(viaNginx(), documentName, staff, new Y.Doc()));
    expect(await reader.outcome).toMatchObject({ ok: true });
    expect(entryCounts(reader.doc)).toEqual(expected);
    reader.destroy();

    // ...and in the server's record, once it has followed the documents.
    mark('every check-in on the dashboard, the kiosk and a fresh reader');
    const expectedMembers = [...members].sort();
    let report: string[] = [];
    await until(
      async () => {
        report = await visitsReport(staff);
        return report.join() === expectedMembers.join();
      },
      'the visits report to list each check-in once',
      WAIT_MS,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: ${report.length} visits for ${expectedMembers.length} check-ins; missing ${expectedMembers.filter((m) => !report.includes(m)).join(' ')}; twice ${report.filter((m, i) => report[i - 1] === m).join(' ')}`,
      );
    });

    // The killed instance comes back: a client on it sees the same, and the next check-in,
    // written on the other instance, reaches it live (it relays again).
    mark('the visits report agrees');
    await start(doomed);
    mark(`${doomed.label} restarted`);
    const onRestarted = track(connect(direct(doomed), documentName, staff, new Y.Doc()));
    expect(await onRestarted.outcome).toMatchObject({ ok: true });
    expect(entryCounts(onRestarted.doc)).toEqual(expected);
    members.push('M-last');
    written.push(kioskCheckIn(tablet.doc, deviceId, 'M-last'));
    expected.set(`${kioskWriter}/${written.at(-1)}`, 1);
    await until(
      () => entryCounts(onRestarted.doc).size === expected.size,
      'the last check-in on the restarted instance',
      WAIT_MS,
    );
    expect(entryCounts(onRestarted.doc)).toEqual(expected);
    await until(() => seenBy(desk) === written.length, 'the last check-in on the dashboard');
    expect(entryCounts(desk.doc)).toEqual(expected);
    mark('the last check-in on the restarted instance and the dashboard');
    const allMembers = [...members].sort();
    await until(
      async () => (await visitsReport(staff)).join() === allMembers.join(),
      'the visits report to list the last check-in too',
      WAIT_MS,
    );
  }, 240_000);
});
