/**
 * `npm run bench -- --integrations` (or `npx tsx bench/integrations.ts`): issue 13's integrations
 * ([I1]–[I3]) on SQLite and, when it answers, PostgreSQL (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, a schema of its own, dropped at the end). Prints
 * Markdown for docs/BENCHMARKS.md.
 *
 * Every server is this tree's, spawned as its own process (`startVersion`: `node --import tsx
 * sync-server/main.ts` on 127.0.0.1, default settings, first admin made by the CLI), so the
 * kiosks, the webhook receiver and the clock readings here never share its event loop.
 *
 * 1. Members: 10 000 members of the server's site (realistic names, one card code, three in ten
 *    a QR code too) sent to a fresh server by `POST /api/members:sync` with an API key
 *    (members:write): a first call (all added), the identical call again (all unchanged), then a
 *    call with 1 000 of them changed. A paired kiosk is connected meanwhile, as the app's
 *    `RosterReplicas` is: a Node `@hocuspocus/provider` per roster document of its site (32), on
 *    one websocket; counted are the bytes its socket reads (`ws`'s `_socket.bytesRead`: frames and
 *    all, the server negotiates no compression) from the request until every member sent is
 *    listed with the values sent, and until the socket has been quiet for a second. Baseline, in
 *    the same run on another fresh server: the same three through the staff import
 *    (`POST /api/members/import`, `apply: true`, 5 000 rows a request, one after another, as the
 *    dashboard sends them).
 * 2. Webhooks: four paired kiosks, each with its own websocket on today's check-ins document,
 *    write check-ins of distinct members: 20 a second for 30 s, then 2 000 at once (500 a kiosk
 *    in one go). First with no webhook endpoint (baseline), then, on the same server, with one
 *    endpoint subscribed to check-ins, a `node:http` receiver here on 127.0.0.1 that answers 204;
 *    then four check-ins 3 s apart (a quiet door). Each check-in is timed from the moment its
 *    kiosk's provider got the server's acknowledgement of the update (Hocuspocus acknowledges
 *    once `DurableDocuments` has logged it and it is applied: "reached the server"; the kiosk
 *    hears it a loopback hop later). Until: its row in `events` (polled every 50 ms from here),
 *    and its delivery received here. The outbox row (`webhook_deliveries`: `created_at`, set in
 *    the record's transaction, and `delivered_at`, when the attempt began) splits the delivery
 *    into the record's wait and the sender's part.
 *
 * Bounded: every loop has a count and every wait a deadline; what misses its deadline is
 * reported as missed, never waited for.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { MAX_IMPORT_BATCH } from '../shared/apiProtocol';
import { recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { newEventId } from '../shared/eventId';
import { localDayOf } from '../shared/localTime';
import type { Member } from '../shared/member';
import { encodeRosterValue, ROSTER_MAP, rosterDocNames, rosterDocsOf } from '../shared/rosterDoc';
import { cleanUpOnSignals, disposable } from './load/cleanup';
import { chainMembers } from './roster';
import {
  cpuMsOf,
  type RunningVersion,
  repo,
  SITE,
  sleep,
  startVersion,
  waitFor,
  ZONE,
} from './versionServers';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Members per sync call (the API's most, MAX_SYNC_MEMBERS). */
const MEMBERS = 10_000;
/** Members changed by the third call. */
const CHANGED = 1_000;
/** Kiosks writing check-ins in the webhook runs. */
const KIOSKS = 4;
/** The steady part: check-ins a second, for this many seconds. */
const RATE = 20;
const STEADY_SECONDS = 30;
/** The burst: check-ins written at once, spread over the kiosks. */
const BURST = 2_000;
/** The quiet door: check-ins this far apart, ms (more than the store's 2 s debounce). */
const SPARSE = 4;
const SPARSE_GAP_MS = 3_000;
/** How often the record's `events` rows are looked for, ms: the resolution of that delay. */
const RECORD_POLL_MS = 50;
/** How long a phase's last check-in may take to be recorded and delivered, ms. */
const DRAIN_MS = 45_000;
/** The socket has been quiet this long: everything the server sent for a call has arrived, ms. */
const QUIET_MS = 1_000;
/** After a members call, at least this long before the next, ms: past the 2 s store debounce. */
const SETTLE_MS = 2_500;

// ---------------------------------------------------------------------------------------------
// Figures

export interface Quantiles {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank quantiles; NaN everywhere when there are no samples. */
function quantiles(values: readonly number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0
      ? Number.NaN
      : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

export interface MemberCall {
  readonly label: string;
  /** What the server answered, summed over the requests. */
  readonly answer: { added: number; changed: number; unchanged: number; errors: number };
  readonly requests: number;
  readonly requestBytes: number;
  /** Each request's own time, ms. */
  readonly requestMs: readonly number[];
  /** From sending the (first) request to the (last) answer, ms. */
  readonly answeredMs: number;
  /** From sending until the kiosk listed every member sent with the values sent, ms; null: missed. */
  readonly listedMs: number | null;
  /** Bytes the kiosk's socket read by then, and by the time it had been quiet for QUIET_MS. */
  readonly listedBytes: number | null;
  readonly totalBytes: number;
  /**
   * CPU time of the server process from sending until it was idle again (the roster documents'
   * stores after the store debounce included), ms.
   */
  readonly serverCpuMs: number;
}

export interface MemberRun {
  readonly via: 'sync' | 'import';
  readonly calls: readonly MemberCall[];
  /** Members the kiosk's 32 documents listed at the end. */
  readonly kioskMembers: number;
  /** Closes of the kiosk's socket during the run (a reconnect would restart its byte count). */
  readonly closes: number;
}

export interface PhaseFigures {
  readonly phase: string;
  readonly written: number;
  /** The kiosk's write → the server's acknowledgement, ms. */
  readonly acked: Quantiles;
  /** Acknowledged → the row in `events` (polled every RECORD_POLL_MS), ms. */
  readonly recorded: Quantiles;
  /** Acknowledged → the receiver got the delivery, ms; null without an endpoint. */
  readonly delivered: Quantiles | null;
  /** Acknowledged → the delivery queued (`created_at`, in the record's transaction), ms. */
  readonly queued: Quantiles | null;
  /** Queued → the attempt began (`delivered_at`), ms. */
  readonly sending: Quantiles | null;
  /** The attempt began → the receiver had the whole request, ms. */
  readonly posting: Quantiles | null;
  /** Deliveries received per second, from the phase's first to its last; null below 2. */
  readonly deliveriesPerSecond: number | null;
  /** The last acknowledgement → the last delivery, ms. */
  readonly lastAckToLastDelivery: number | null;
  /** Latest a scheduled check-in went out after its time, ms (the generator's own lag). */
  readonly latestWriteMs: number;
  readonly missed: { acked: number; recorded: number; delivered: number };
  /** Deliveries of the phase's check-ins the receiver got more than once (extra copies). */
  readonly duplicates: number;
  /** CPU time of the server process over the phase and its drain, ms. */
  readonly serverCpuMs: number;
  readonly wallMs: number;
}

export interface HookRun {
  readonly baseline: readonly PhaseFigures[];
  readonly hooks: readonly PhaseFigures[];
  /** Deliveries with a bad signature, or whose outbox row counts more than one attempt. */
  readonly badSignatures: number;
  readonly retried: number;
  /** Closes of the kiosks' sockets (would break the acknowledgement bookkeeping). */
  readonly closes: number;
}

export interface EngineRun {
  readonly engine: string;
  readonly members: { sync: MemberRun; import: MemberRun } | null;
  readonly hooks: HookRun | null;
  readonly skipped: string | null;
}

export interface IntegrationsBench {
  readonly machine: string;
  readonly runs: readonly EngineRun[];
  readonly wallSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Servers and their databases

/** Reads the server's database from here (read-only on SQLite, its own connection). */
interface Reader {
  all<Row>(text: string, params: readonly (string | number)[]): Promise<Row[]>;
  close(): Promise<void>;
}

function sqliteReader(dataDir: string): Reader {
  const db = new BetterSqlite3(join(dataDir, 'headcount.sqlite'), {
    readonly: true,
    fileMustExist: true,
  });
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    async all<Row>(text: string, params: readonly (string | number)[]) {
      let statement = statements.get(text);
      if (!statement) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      return statement.all(...params) as Row[];
    },
    async close() {
      db.close();
    },
  };
}

async function postgresReader(schema: string): Promise<Reader> {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  return {
    async all<Row>(text: string, params: readonly (string | number)[]) {
      let n = 0;
      const numbered = text.replace(/\?/g, () => `$${++n}`);
      return (await client.query(numbered, [...params])).rows as Row[];
    },
    close: () => client.end(),
  };
}

export interface Engine {
  readonly name: string;
  start(
    kiosks: number,
  ): Promise<{ version: RunningVersion; reader: Reader; stop(): Promise<void> }>;
}

export const sqlite: Engine = {
  name: 'SQLite',
  async start(kiosks) {
    // DATA_DIR of our own (startVersion's environment lets `env` override it), to read it here.
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-bench-integrations-'));
    const remove = disposable(() => rmSync(dataDir, { recursive: true, force: true }));
    try {
      const version = await startVersion(repo, {
        kiosks,
        env: { DATA_DIR: dataDir, ACCESS_TOKEN_TTL: '3600' },
      });
      const reader = sqliteReader(dataDir);
      return {
        version,
        reader,
        async stop() {
          await reader.close();
          await version.stop();
          await remove();
        },
      };
    } catch (error) {
      await remove();
      throw error;
    }
  },
};

export const postgres: Engine = {
  name: 'PostgreSQL',
  async start(kiosks) {
    const schema = `bench_integrations_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const drop = disposable(() => dropSchema(schema));
    try {
      const version = await startVersion(repo, {
        kiosks,
        env: { DATABASE_URL, DATABASE_SCHEMA: schema, ACCESS_TOKEN_TTL: '3600' },
      });
      let reader: Reader;
      try {
        reader = await postgresReader(schema);
      } catch (error) {
        await version.stop();
        throw error;
      }
      return {
        version,
        reader,
        async stop() {
          await reader.close();
          await version.stop();
          await drop();
        },
      };
    } catch (error) {
      await drop();
      throw error;
    }
  },
};

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
  } catch (error) {
    console.error(`could not drop schema ${schema}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Null when PostgreSQL answers at DATABASE_URL, otherwise why not. */
async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

async function post<T>(
  url: string,
  body: unknown,
  token: string,
  expected = 200,
): Promise<{ answer: T; bytes: number }> {
  const text = JSON.stringify(body);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: text,
  });
  if (response.status !== expected)
    throw new Error(`${url}: ${response.status} ${(await response.text()).slice(0, 300)}`);
  return { answer: (await response.json()) as T, bytes: Buffer.byteLength(text) };
}

/** Bytes the `ws` socket under a provider's websocket has read (0 between connections). */
function bytesRead(socket: HocuspocusProviderWebsocket): number {
  const raw = (socket.webSocket as { _socket?: { bytesRead: number } } | null)?._socket;
  return raw?.bytesRead ?? 0;
}

/**
 * Waits until the server process is idle: at least SETTLE_MS since now (past the 2 s store
 * debounce, so the stores a change caused have run) and then less than 5 % of a core over
 * 500 ms; at most 20 s. Resolves to the process's CPU time then, ms.
 */
async function settle(pid: number): Promise<number> {
  await sleep(SETTLE_MS);
  const deadline = Date.now() + 20_000;
  let cpu = cpuMsOf(pid);
  while (Date.now() < deadline) {
    await sleep(500);
    const now = cpuMsOf(pid);
    if (now - cpu < 25) return now;
    cpu = now;
  }
  return cpu;
}

// ---------------------------------------------------------------------------------------------
// 1. Members: sync against import, and what one kiosk receives

/** The gym's members: every one at the server's site only ([M4]), as a single gym has them. */
export function gymMembers(count: number): Member[] {
  return chainMembers(count).map((member) => ({ ...member, homeSite: SITE, access: 'home' }));
}

/** Every tenth member with a new status and last valid day, as a billing system's day brings. */
function withChanges(members: readonly Member[]): Member[] {
  return members.map((member, i) =>
    i % (members.length / CHANGED) === 0
      ? {
          ...member,
          status: member.status === 'active' ? 'frozen' : 'active',
          validUntil: '2028-01-31',
        }
      : member,
  );
}

/** A paired kiosk's roster: its site's 32 documents on one websocket, as `RosterReplicas`. */
async function openRoster(ws: string, token: string) {
  const socket = new HocuspocusProviderWebsocket({ url: ws, WebSocketPolyfill: WebSocket });
  let closes = 0;
  const names = rosterDocNames(SITE);
  const providers = names.map(
    (name) =>
      new HocuspocusProvider({
        websocketProvider: socket,
        name,
        document: new Y.Doc(),
        token,
        awareness: null,
      }),
  );
  const maps = new Map(
    providers.map((provider, i) => [
      names[i] as string,
      provider.document.getMap<unknown>(ROSTER_MAP),
    ]),
  );
  const close = () => {
    for (const provider of providers) provider.destroy();
    socket.destroy();
  };
  let synced = 0;
  let refused: string | null = null;
  for (const provider of providers) {
    provider.on('synced', () => synced++);
    provider.on('authenticationFailed', ({ reason }: { reason: string }) => {
      refused = `${provider.configuration.name}: ${reason}`;
    });
    provider.on('close', () => closes++);
    provider.attach();
  }
  try {
    await waitFor(
      () => {
        if (refused) throw new Error(`the kiosk was refused ${refused}`);
        return synced >= providers.length;
      },
      'the roster documents',
      30_000,
    );
  } catch (error) {
    close();
    throw error;
  }
  return {
    bytes: () => bytesRead(socket),
    /** Closes of the socket, counted once (every provider hears each). */
    closes: () => Math.round(closes / providers.length),
    holds: (member: Member) =>
      maps.get(rosterDocsOf(member)[0] as string)?.get(member.id) === encodeRosterValue(member),
    size: () => [...maps.values()].reduce((sum, map) => sum + map.size, 0),
    close,
  };
}

type Roster = Awaited<ReturnType<typeof openRoster>>;

interface WriteAnswer {
  added: number;
  changed: number;
  unchanged: number;
  errors: unknown[];
}

/** One write of `members`, timed until the kiosk lists them all, and its bytes counted. */
async function memberCall(
  label: string,
  members: readonly Member[],
  roster: Roster,
  pid: number,
  send: () => Promise<{ answer: WriteAnswer; requestMs: number[]; bytes: number }>,
): Promise<MemberCall> {
  const cpu = cpuMsOf(pid);
  const before = roster.bytes();
  const started = performance.now();
  let answeredMs = 0;
  const sent = send().then((result) => {
    answeredMs = performance.now() - started;
    return result;
  });
  let pending = [...members];
  let listedMs: number | null = null;
  let listedBytes: number | null = null;
  const deadline = started + 120_000;
  while (performance.now() < deadline) {
    pending = pending.filter((member) => !roster.holds(member));
    if (pending.length === 0) {
      listedMs = performance.now() - started;
      listedBytes = roster.bytes() - before;
      break;
    }
    await sleep(20);
  }
  const result = await sent;
  // Quiet: nothing more read for QUIET_MS (bounded: at most 15 s more).
  let last = roster.bytes();
  let quietSince = performance.now();
  const quietDeadline = performance.now() + 15_000;
  while (performance.now() - quietSince < QUIET_MS && performance.now() < quietDeadline) {
    await sleep(50);
    const now = roster.bytes();
    if (now !== last) {
      last = now;
      quietSince = performance.now();
    }
  }
  return {
    label,
    answer: {
      added: result.answer.added,
      changed: result.answer.changed,
      unchanged: result.answer.unchanged,
      errors: result.answer.errors.length,
    },
    requests: result.requestMs.length,
    requestBytes: result.bytes,
    requestMs: result.requestMs,
    answeredMs,
    listedMs,
    listedBytes,
    totalBytes: roster.bytes() - before,
    serverCpuMs: (await settle(pid)) - cpu,
  };
}

export async function measureMembers(
  engine: Engine,
  via: 'sync' | 'import',
  log: (line: string) => void,
): Promise<MemberRun> {
  const server = await engine.start(1);
  let roster: Roster | null = null;
  try {
    const { version } = server;
    const pid = version.child.pid as number;
    let token = version.staffToken;
    if (via === 'sync') {
      const { answer } = await post<{ key: string }>(
        `${version.http}/api/integrations/keys`,
        { name: 'billing (bench)', scopes: ['members:write'] },
        version.staffToken,
        201,
      );
      token = answer.key;
    }
    const kiosk = version.kiosks[0] as { token: string };
    roster = await openRoster(version.ws, kiosk.token);
    const send = async (members: readonly Member[]) => {
      if (via === 'sync') {
        const started = performance.now();
        const { answer, bytes } = await post<WriteAnswer>(
          `${version.http}/api/members:sync`,
          { members },
          token,
        );
        return { answer, requestMs: [performance.now() - started], bytes };
      }
      const sum: WriteAnswer = { added: 0, changed: 0, unchanged: 0, errors: [] };
      let bytes = 0;
      const requestMs: number[] = [];
      for (let from = 0; from < members.length; from += MAX_IMPORT_BATCH) {
        const rows = members
          .slice(from, from + MAX_IMPORT_BATCH)
          .map((member, i) => ({ line: from + i + 2, member }));
        const started = performance.now();
        const sent = await post<WriteAnswer>(
          `${version.http}/api/members/import`,
          { rows, apply: true },
          token,
        );
        requestMs.push(performance.now() - started);
        sum.added += sent.answer.added;
        sum.changed += sent.answer.changed;
        sum.unchanged += sent.answer.unchanged;
        sum.errors.push(...sent.answer.errors);
        bytes += sent.bytes;
      }
      return { answer: sum, requestMs, bytes };
    };
    const members = gymMembers(MEMBERS);
    const changed = withChanges(members);
    const calls: MemberCall[] = [];
    for (const [label, list] of [
      ['first call: all added', members],
      ['the same call again: all unchanged', members],
      [`${CHANGED.toLocaleString('en')} changed`, changed],
    ] as const) {
      const call = await memberCall(label, list, roster, pid, () => send(list));
      log(`  ${engine.name} ${via}: ${JSON.stringify(call)}`);
      calls.push(call);
    }
    return { via, calls, kioskMembers: roster.size(), closes: roster.closes() };
  } finally {
    roster?.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Webhooks: check-in → delivery

interface Sample {
  readonly ref: string;
  readonly writtenAt: number;
  ackedAt: number | null;
  recordedAt: number | null;
  receivedAt: number | null;
  queuedAt: number | null;
  attemptAt: number | null;
}

/** A kiosk on today's check-ins document, on its own websocket, noting each acknowledgement. */
async function openDoor(ws: string, kiosk: { deviceId: string; token: string }, day: string) {
  const socket = new HocuspocusProviderWebsocket({ url: ws, WebSocketPolyfill: WebSocket });
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name: checkinsDocName(SITE, day),
    document: doc,
    token: kiosk.token,
  });
  const sent: Sample[] = [];
  let acked = 0;
  let closes = 0;
  let synced = false;
  // Hocuspocus acknowledges every update message, in order: the first `sent.length - number`
  // of ours are acknowledged.
  provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    const now = Date.now();
    while (acked < sent.length - number) (sent[acked++] as Sample).ackedAt = now;
  });
  provider.on('synced', () => {
    synced = true;
  });
  provider.on('close', () => closes++);
  provider.attach();
  const destroy = () => {
    provider.destroy();
    socket.destroy();
  };
  try {
    await waitFor(
      () => synced && !provider.hasUnsyncedChanges,
      "a kiosk's check-ins document",
      30_000,
    );
  } catch (error) {
    destroy();
    throw error;
  }
  const writer = { role: 'kiosk', id: kiosk.deviceId } as const;
  return {
    write(memberId: string): Sample {
      const at = Date.now();
      const id = newEventId(at);
      const sample: Sample = {
        ref: `kiosk:${kiosk.deviceId}/${id}`,
        writtenAt: at,
        ackedAt: null,
        recordedAt: null,
        receivedAt: null,
        queuedAt: null,
        attemptAt: null,
      };
      sent.push(sample);
      recordEvent(
        doc,
        writer,
        { kind: 'checkIn', memberId },
        { id, at, clockTrusted: true, method: 'qr' },
      );
      return sample;
    },
    closes: () => closes,
    destroy,
  };
}

type Door = Awaited<ReturnType<typeof openDoor>>;

/** A webhook receiver on 127.0.0.1 answering 204, noting when each delivery had arrived. */
async function startReceiver() {
  const received = new Map<string, number>();
  const copies = new Map<string, number>();
  const bodies: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = Date.now();
      const id = String(request.headers['webhook-id']);
      if (!received.has(id)) received.set(id, at);
      copies.set(id, (copies.get(id) ?? 0) + 1);
      bodies.push({ headers: request.headers, body: Buffer.concat(chunks).toString() });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** How many times each webhook-id arrived. */
    copies,
    /** Deliveries whose signature does not verify with `secret` (checked after the run). */
    badSignatures(secret: string): number {
      const verifier = new Webhook(secret);
      let bad = 0;
      for (const { headers, body } of bodies) {
        try {
          verifier.verify(body, headers as Record<string, string>);
        } catch {
          bad++;
        }
      }
      return bad;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Notes when each sample's row appears in `events`, polling every RECORD_POLL_MS. */
function watchRecord(reader: Reader, day: string, since: number, samples: Map<string, Sample>) {
  let stopped = false;
  const done = (async () => {
    // Bounded by `stop`, and by an hour whatever happens.
    const deadline = Date.now() + 3_600_000;
    while (!stopped && Date.now() < deadline) {
      const asked = Date.now();
      const rows = await reader.all<{ writer: string; id: string }>(
        'select writer, id from events where site_id = ? and day = ? and at >= ?',
        [SITE, day, since],
      );
      for (const row of rows) {
        const sample = samples.get(`${row.writer}/${row.id}`);
        if (sample && sample.recordedAt === null) sample.recordedAt = asked;
      }
      await sleep(RECORD_POLL_MS - (Date.now() - asked));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}

type Plan = { kind: 'steady' } | { kind: 'burst' } | { kind: 'sparse' };

/** Writes one phase's check-ins and waits (bounded) until each is recorded and delivered. */
async function runPhase(
  label: string,
  plan: Plan,
  doors: readonly Door[],
  reader: Reader,
  receiver: Receiver | null,
  pid: number,
  log: (line: string) => void,
): Promise<{ figures: PhaseFigures; samples: Sample[] }> {
  const day = localDayOf(Date.now(), ZONE);
  const samples = new Map<string, Sample>();
  const cpu = cpuMsOf(pid);
  const started = Date.now();
  const record = watchRecord(reader, day, started - 60_000, samples);
  const member = (i: number) => `B-${label.replaceAll(/\W/g, '')}-${i}`;
  let latestWriteMs = 0;
  const write = (i: number) => {
    const sample = (doors[i % doors.length] as Door).write(member(i));
    samples.set(sample.ref, sample);
  };
  if (plan.kind === 'burst') {
    for (let i = 0; i < BURST; i++) write(i);
  } else {
    const count = plan.kind === 'steady' ? RATE * STEADY_SECONDS : SPARSE;
    const gap = plan.kind === 'steady' ? 1000 / RATE : SPARSE_GAP_MS;
    for (let i = 0; i < count; i++) {
      const due = started + i * gap;
      await sleep(due - Date.now());
      latestWriteMs = Math.max(latestWriteMs, Date.now() - due);
      write(i);
    }
  }
  const all = [...samples.values()];
  const complete = (sample: Sample) =>
    sample.ackedAt !== null &&
    sample.recordedAt !== null &&
    (receiver === null || receiver.received.has(sample.ref));
  const drainUntil = Date.now() + DRAIN_MS;
  while (Date.now() < drainUntil && !all.every(complete)) await sleep(50);
  await record.stop();
  const wallMs = Date.now() - started;
  const serverCpuMs = cpuMsOf(pid) - cpu;
  for (const sample of all) sample.receivedAt = receiver?.received.get(sample.ref) ?? null;
  const figures = phaseFigures(label, all, receiver !== null, latestWriteMs, serverCpuMs, wallMs);
  log(
    `  ${label}: ${all.length} written, recorded p50 ${figures.recorded.p50} ms, delivered p50 ${figures.delivered?.p50 ?? '–'} ms, missed ${JSON.stringify(figures.missed)}, ${(wallMs / 1000).toFixed(1)} s`,
  );
  return { figures, samples: all };
}

function phaseFigures(
  phase: string,
  samples: readonly Sample[],
  hooks: boolean,
  latestWriteMs: number,
  serverCpuMs: number,
  wallMs: number,
  copies: ReadonlyMap<string, number> = new Map(),
): PhaseFigures {
  const spans = (from: (s: Sample) => number | null, to: (s: Sample) => number | null) =>
    quantiles(
      samples.flatMap((s) => {
        const a = from(s);
        const b = to(s);
        return a === null || b === null ? [] : [b - a];
      }),
    );
  const received = samples
    .map((s) => s.receivedAt)
    .filter((at): at is number => at !== null)
    .sort((a, b) => a - b);
  const acks = samples.map((s) => s.ackedAt).filter((at): at is number => at !== null);
  const first = received[0];
  const last = received[received.length - 1];
  return {
    phase,
    written: samples.length,
    acked: spans(
      (s) => s.writtenAt,
      (s) => s.ackedAt,
    ),
    recorded: spans(
      (s) => s.ackedAt,
      (s) => s.recordedAt,
    ),
    delivered: hooks
      ? spans(
          (s) => s.ackedAt,
          (s) => s.receivedAt,
        )
      : null,
    queued: hooks
      ? spans(
          (s) => s.ackedAt,
          (s) => s.queuedAt,
        )
      : null,
    sending: hooks
      ? spans(
          (s) => s.queuedAt,
          (s) => s.attemptAt,
        )
      : null,
    posting: hooks
      ? spans(
          (s) => s.attemptAt,
          (s) => s.receivedAt,
        )
      : null,
    deliveriesPerSecond:
      first !== undefined && last !== undefined && last > first
        ? ((received.length - 1) * 1000) / (last - first)
        : null,
    lastAckToLastDelivery: last !== undefined && acks.length > 0 ? last - Math.max(...acks) : null,
    latestWriteMs,
    missed: {
      acked: samples.filter((s) => s.ackedAt === null).length,
      recorded: samples.filter((s) => s.recordedAt === null).length,
      delivered: hooks ? samples.filter((s) => s.receivedAt === null).length : 0,
    },
    duplicates: samples.reduce((n, s) => n + Math.max(0, (copies.get(s.ref) ?? 0) - 1), 0),
    serverCpuMs,
    wallMs,
  };
}

export async function measureHooks(engine: Engine, log: (line: string) => void): Promise<HookRun> {
  const server = await engine.start(KIOSKS);
  const doors: Door[] = [];
  let receiver: Receiver | null = null;
  try {
    const { version, reader } = server;
    const pid = version.child.pid as number;
    const day = localDayOf(Date.now(), ZONE);
    for (const kiosk of version.kiosks) doors.push(await openDoor(version.ws, kiosk, day));

    log(`  ${engine.name}: no webhook endpoint`);
    const baseline = [
      await runPhase('steady', { kind: 'steady' }, doors, reader, null, pid, log),
      await runPhase('burst', { kind: 'burst' }, doors, reader, null, pid, log),
    ].map((phase) => phase.figures);

    receiver = await startReceiver();
    const { answer } = await post<{ secret: string }>(
      `${version.http}/api/integrations/webhooks`,
      { url: receiver.url, events: ['check-in'], privateNetwork: true },
      version.staffToken,
      201,
    );
    log(`  ${engine.name}: one endpoint, check-ins`);
    const phases = [
      await runPhase('steady', { kind: 'steady' }, doors, reader, receiver, pid, log),
      await runPhase('burst', { kind: 'burst' }, doors, reader, receiver, pid, log),
      await runPhase('sparse', { kind: 'sparse' }, doors, reader, receiver, pid, log),
    ];
    // The outbox's own times, for the split (its rows are kept 14 days).
    const rows = await reader.all<{
      message_id: string;
      created_at: number | string;
      delivered_at: number | string | null;
      attempts: number | string;
    }>('select message_id, created_at, delivered_at, attempts from webhook_deliveries', []);
    const byId = new Map(rows.map((row) => [row.message_id, row]));
    const hooks = phases.map(({ figures, samples }) => {
      for (const sample of samples) {
        const row = byId.get(sample.ref);
        sample.queuedAt = row ? Number(row.created_at) : null;
        sample.attemptAt = row?.delivered_at == null ? null : Number(row.delivered_at);
      }
      return phaseFigures(
        figures.phase,
        samples,
        true,
        figures.latestWriteMs,
        figures.serverCpuMs,
        figures.wallMs,
        receiver?.copies,
      );
    });
    return {
      baseline,
      hooks,
      badSignatures: receiver.badSignatures(answer.secret),
      retried: rows.filter((row) => Number(row.attempts) > 1).length,
      closes: doors.reduce((sum, door) => sum + door.closes(), 0),
    };
  } finally {
    for (const door of doors) door.destroy();
    await receiver?.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------

export async function measureIntegrations(
  options: { log?: (line: string) => void } = {},
): Promise<IntegrationsBench> {
  const log = options.log ?? (() => {});
  cleanUpOnSignals();
  const started = Date.now();
  const runs: EngineRun[] = [];
  const problem = await postgresProblem();
  const engines: Engine[] = problem === null ? [sqlite, postgres] : [sqlite];
  for (const engine of engines) {
    log(`${engine.name}: members`);
    const sync = await measureMembers(engine, 'sync', log);
    const imported = await measureMembers(engine, 'import', log);
    log(`${engine.name}: webhooks`);
    const hooks = await measureHooks(engine, log);
    runs.push({ engine: engine.name, members: { sync, import: imported }, hooks, skipped: null });
  }
  if (problem !== null)
    runs.push({
      engine: 'PostgreSQL',
      members: null,
      hooks: null,
      skipped: `${DATABASE_URL.replace(/\/\/[^@]*@/, '//…@')} did not answer: ${problem}`,
    });
  return {
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
    runs,
    wallSeconds: (Date.now() - started) / 1000,
  };
}

const s = (ms: number | null, digits = 2) =>
  ms === null || Number.isNaN(ms) ? '–' : `${(ms / 1000).toFixed(digits)} s`;
const kb = (bytes: number | null) =>
  bytes === null
    ? 'missed'
    : `${(bytes / 1024).toLocaleString('en', { maximumFractionDigits: 0 })} KB`;
const q = (t: Quantiles | null, digits = 2) =>
  t === null || t.n === 0
    ? '–'
    : `${s(t.p50, digits)} / ${s(t.p95, digits)} / ${s(t.p99, digits)} / ${s(t.max, digits)}`;
const ms = (t: Quantiles | null) =>
  t === null || t.n === 0
    ? '–'
    : `${t.p50.toFixed(0)} / ${t.p95.toFixed(0)} / ${t.p99.toFixed(0)} / ${t.max.toFixed(0)} ms`;

export function printIntegrations(print: (line?: string) => void, bench: IntegrationsBench): void {
  print(`Whole run: ${bench.wallSeconds.toFixed(0)} s.`);
  print();
  for (const run of bench.runs) if (run.skipped) print(`${run.engine}: skipped (${run.skipped}).`);
  const measured = bench.runs.filter((run) => run.members && run.hooks);
  print(`### Members: ${MEMBERS.toLocaleString('en')} in one go, and what one kiosk then receives`);
  print();
  print(
    `Each call on a server that is idle again after the one before (its roster stores done). "answered": sending until the (last) answer, each request's time in brackets. "listed": sending until the kiosk's 32 roster documents list every member sent with the values sent. Kiosk bytes: read by its websocket by then, and once it had been quiet for ${QUIET_MS / 1000} s. Server CPU: the server process from sending until it was idle again.`,
  );
  print();
  print(
    '| database | route | call | answer | requests (JSON) | answered | listed on the kiosk | kiosk bytes: listed, all | server CPU |',
  );
  print('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const run of measured) {
    for (const member of [run.members?.sync, run.members?.import]) {
      if (!member) continue;
      const route = member.via === 'sync' ? '`POST /api/members:sync`' : 'import (baseline)';
      for (const call of member.calls) {
        const { added, changed, unchanged, errors } = call.answer;
        const answered =
          call.requestMs.length > 1
            ? `${s(call.answeredMs)} (${call.requestMs.map((t) => (t / 1000).toFixed(2)).join(' + ')})`
            : s(call.answeredMs);
        const listed =
          call.listedMs === null
            ? 'missed (2 min)'
            : added + changed === 0
              ? 'nothing new'
              : s(call.listedMs);
        print(
          `| ${run.engine} | ${route} | ${call.label} | ${added} added, ${changed} changed, ${unchanged} unchanged${errors ? `, ${errors} errors` : ''} | ${call.requests} (${kb(call.requestBytes)}) | ${answered} | ${listed} | ${kb(call.listedBytes)}, ${kb(call.totalBytes)} | ${s(call.serverCpuMs)} |`,
        );
      }
    }
  }
  print();
  for (const run of measured) {
    const notes = [run.members?.sync, run.members?.import]
      .filter((m): m is MemberRun => m !== undefined)
      .map(
        (m) =>
          `${m.via}: the kiosk listed ${m.kioskMembers.toLocaleString('en')} members at the end, its socket closed ${m.closes} times`,
      );
    print(`${run.engine}: ${notes.join('; ')}.`);
  }
  print();
  print('### Webhooks: a check-in reaching the server → its delivery to a local receiver');
  print();
  print(
    `${KIOSKS} kiosks, distinct members. "steady": ${RATE} check-ins a second for ${STEADY_SECONDS} s; "burst": ${BURST.toLocaleString('en')} written at once; "sparse": ${SPARSE} check-ins ${SPARSE_GAP_MS / 1000} s apart. Delays run from the kiosk hearing the server acknowledge the update (logged and applied), p50 / p95 / p99 / max. "recorded": its row in \`events\`, polled every ${RECORD_POLL_MS} ms. Baseline: the same server and kiosks before the endpoint was registered. Deliveries/s: distinct deliveries received, first to last of the burst. Extra copies: deliveries the receiver got again (same \`webhook-id\`). Server CPU: the server process over the phase and its drain.`,
  );
  print();
  print(
    '| database | endpoint | phase | check-ins | → recorded | → delivered | deliveries/s | last ack → last delivery | missed (recorded, delivered) | extra copies | server CPU |',
  );
  print('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const run of measured) {
    const hooks = run.hooks as HookRun;
    for (const [endpoint, phases] of [
      ['none (baseline)', hooks.baseline],
      ['one, check-ins', hooks.hooks],
    ] as const) {
      for (const p of phases) {
        const hooked = p.delivered !== null;
        const rate =
          hooked && p.phase === 'burst' && p.deliveriesPerSecond !== null
            ? p.deliveriesPerSecond.toFixed(0)
            : '–';
        print(
          `| ${run.engine} | ${endpoint} | ${p.phase} | ${p.written} | ${q(p.recorded)} | ${q(p.delivered)} | ${rate} | ${hooked ? s(p.lastAckToLastDelivery) : '–'} | ${p.missed.recorded}, ${hooked ? p.missed.delivered : '–'} | ${hooked ? p.duplicates : '–'} | ${s(p.serverCpuMs)} |`,
        );
      }
    }
  }
  print();
  print(
    "The delivery split by its outbox row: acknowledged → queued (`webhook_deliveries.created_at`, set in the transaction that records the event, so the wait for the document's store), queued → the attempt began (`delivered_at`: the sender; for a copy sent twice, the later attempt), the attempt began → the receiver had the whole request. And the kiosk's write → its acknowledgement.",
  );
  print();
  print(
    '| database | phase | write → ack | ack → queued | queued → attempt | attempt → received |',
  );
  print('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const run of measured) {
    for (const p of (run.hooks as HookRun).hooks)
      print(
        `| ${run.engine} | ${p.phase} | ${ms(p.acked)} | ${q(p.queued)} | ${ms(p.sending)} | ${ms(p.posting)} |`,
      );
  }
  print();
  for (const run of measured) {
    const hooks = run.hooks as HookRun;
    const phases = [...hooks.baseline, ...hooks.hooks];
    const late = Math.max(...phases.map((p) => p.latestWriteMs));
    const unacked = phases.reduce((n, p) => n + p.missed.acked, 0);
    print(
      `${run.engine}: ${hooks.badSignatures} deliveries with a bad signature, ${hooks.retried} outbox rows with more than one attempt; ${unacked} check-ins never acknowledged; the kiosks' sockets closed ${hooks.closes} times; the latest scheduled check-in went out ${late} ms late.`,
    );
  }
  print();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bench = await measureIntegrations({ log: (line) => console.error(line) });
  console.log(`Machine: ${bench.machine}`);
  console.log();
  printIntegrations((line = '') => console.log(line), bench);
  process.exit(0);
}
