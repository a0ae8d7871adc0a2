import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { memberIdOf } from '../shared/entryCodec';
import { type LocalDay, localDayOf } from '../shared/localTime';
import type { Sql } from './database';
import { NotTheWriter, type RecordWriter } from './RecordWriter';
import { closeAfterEach } from './testing/closeAfterEach';
import { schemaFor, TEST_ENGINE } from './testing/testDatabase';
import {
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from './testing/testServer';

const open = closeAfterEach();

/** One connection through the relay. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** A record writer's lock connection (named so in its startup message). */
  lock: boolean;
  silent: boolean;
  /** What the instance sent on it since `watch` (statement texts travel in clear). */
  sent: string;
}

/**
 * A TCP relay between one instance and PostgreSQL. It can go silent on the record writer's lock
 * connection, as a network that drops it without a word: nothing PostgreSQL sends on it (its
 * FATAL, its FIN) reaches the instance, so the instance goes on believing it holds its turn while
 * PostgreSQL has ended the session and released the lock. Every other connection is relayed as
 * it is, and what the instance sends on them can be read back: which statements it sent, told
 * apart from another instance's writing the same rows.
 */
class Relay {
  private readonly links = new Set<Link>();
  private readonly watched: Link[] = [];
  private watching = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async open(databaseUrl: string): Promise<Relay> {
    const target = new URL(databaseUrl);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((server.address() as { port: number }).port);
    const relay = new Relay(server, url.toString());
    server.on('connection', (client) => relay.relay(client, target));
    return relay;
  }

  /** Goes silent on every lock connection of a record writer; how many there were. */
  silenceLockConnections(): number {
    let silenced = 0;
    for (const link of this.links) {
      if (!link.lock) continue;
      link.silent = true;
      silenced++;
    }
    return silenced;
  }

  /** Keeps what the instance sends from now on (`sentSinceWatch`). */
  watch(): void {
    this.watching = true;
    for (const link of this.links) this.watched.push(link);
  }

  /** What the instance sent on its connections since `watch`, each connection's in order. */
  sentSinceWatch(): string {
    return this.watched.map((link) => link.sent).join('\n');
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket, target: URL): void {
    const upstream = tcpConnect({ host: target.hostname, port: Number(target.port || 5432) });
    const link: Link = { client, upstream, lock: false, silent: false, sent: '' };
    this.links.add(link);
    if (this.watching) this.watched.push(link);
    // The startup message names the connection (`application_name`); it comes first, in clear.
    let sniffed = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (sniffed.length < 2048) {
        sniffed = Buffer.concat([sniffed, chunk]);
        link.lock ||= sniffed.includes('headcount record');
      }
      if (this.watching) link.sent += chunk.toString('latin1');
      if (!link.silent) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.silent) client.write(chunk);
    });
    upstream.on('close', () => {
      if (!link.silent) client.destroy();
    });
    client.on('close', () => {
      upstream.destroy();
      this.links.delete(link);
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
  }
}

/** An instance's record writer (its RecordKeeper's: the server does not expose it). */
const writerOf = (t: TestServer) =>
  (t.server.records as unknown as { writer: RecordWriter }).writer;

/** Whether an instance believes it writes the record: its own view, not the database's. */
const believesItWrites = (t: TestServer) => writerOf(t).writing;

/** The writer's turn named in the database (`RecordWriter`: each takeover changes it). */
const turn = async (t: TestServer) =>
  (
    await t.server.db.get<{ value: string }>('select value from meta where key = ?', [
      'record_writer_turn',
    ])
  )?.value;

/** Member ids with a row in `events`, in order. */
const recorded = async (t: TestServer) =>
  (
    await t.server.db.all<{ member_id: string }>('select member_id from events order by member_id')
  ).map((row) => row.member_id);

/** Every row of the record, in one order (what a rebuild must reproduce). */
const recordRows = async (t: TestServer) => ({
  events: await t.server.db.all(
    `select site_id, writer, id, day, kind, member_id, at, method, clock_trusted, detail
     from events order by site_id, writer, id`,
  ),
  visits: await t.server.db.all(
    `select site_id, writer, id, day, member_id, start, "end", closed_by, auto_close_at
     from visits order by site_id, writer, id`,
  ),
  dayProblems: await t.server.db.all(
    'select site_id, day, problems, flags from day_problems order by site_id, day',
  ),
});

/** A statement that writes the record: its rows, or the versions it has followed. */
const RECORD_WRITE =
  /\b(insert\s+into|update|delete\s+from)\s+(events|visits|day_problems|record_marks)\b/gi;

/** Member ids in a check-ins document as stored (state and log), read from the database. */
const storedMembers = async (t: TestServer, day: LocalDay) => {
  const doc = await t.server.documents.load(checkinsDocName(SITE, day));
  return doc ? readEntries(doc, day).map((entry) => memberIdOf(entry.value)) : [];
};

/** Ends, from PostgreSQL's side, the session holding the record writer's advisory lock. */
async function terminateLockHolder(schema: string): Promise<number> {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      `select pg_terminate_backend(a.pid) from pg_stat_activity a
       join pg_locks l on l.pid = a.pid and l.locktype = 'advisory' and l.granted
       where a.application_name = $1`,
      [`headcount record ${schema}`.slice(0, 63)],
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

// Several instances on one PostgreSQL schema, one writing the record at a time ([R2]).
describe.runIf(TEST_ENGINE === 'postgres')('the record writer that lost its turn', () => {
  /**
   * A, through the relay, writes the record; B, on the same schema, waits for its turn. No sweep
   * within a test's time: only the steps of the test move the record.
   */
  async function twoInstances(): Promise<{ relay: Relay; a: TestServer; b: TestServer }> {
    const relay = await Relay.open(process.env.DATABASE_URL ?? '');
    // After the servers (closeAfterEach's afterEach): they close their connections through it.
    onTestFinished(() => relay.close());
    const limits = { sweepMs: 600_000, recordWriterRetryMs: 100 };
    const a = await startTestServer({ DATABASE_URL: relay.url }, undefined, { limits });
    open.push(a);
    const b = await startTestServer({}, a.dir, { limits });
    open.push(b);
    expect([believesItWrites(a), believesItWrites(b)]).toEqual([true, false]);
    return { relay, a, b };
  }

  /** A's lock connection dies and A hears nothing of it; PostgreSQL releases the lock. */
  async function cutUnnoticed(relay: Relay, a: TestServer): Promise<void> {
    expect(relay.silenceLockConnections()).toBe(1);
    expect(await terminateLockHolder(schemaFor(a.dir))).toBe(1);
  }

  it('[R2] writes nothing more once another instance has taken over, though its lock connection died unnoticed and its pool still works; then it stops and tells the new writer', async () => {
    const { relay, a, b } = await twoInstances();
    const day = localDayOf(Date.now(), ZONE);
    const name = checkinsDocName(SITE, day);
    const kiosk = await pairKiosk(a);
    const door = connect(a, name, kiosk.token);
    open.push(door);
    await door.outcome;
    kioskCheckIn(door.doc, kiosk.deviceId, 'M1');
    await until(async () => (await recorded(b)).includes('M1'), 'A to record M1');
    await a.server.records.settled();
    const turnOfA = await turn(b);

    await cutUnnoticed(relay, a);
    await until(() => believesItWrites(b), 'B to take over the record', 15_000);
    expect(await turn(b)).not.toBe(turnOfA);
    await b.server.records.settled();

    // A still believes it writes the record, with a pool that works: its door checks M2 in, and
    // as the door leaves A stores the day and follows it into the record, as any store does.
    // B writes the record too from here, so what A sends is read off the wire: only A's.
    expect(believesItWrites(a)).toBe(true);
    relay.watch();
    kioskCheckIn(door.doc, kiosk.deviceId, 'M2');
    await until(async () => (await storedMembers(b, day)).includes('M2'), 'A to log M2');
    door.destroy();
    await until(() => !a.server.hocuspocus.documents.has(name), 'A to store and unload the day');
    await a.server.records.settled();
    const sent = relay.sentSinceWatch();
    const writes = [...sent.matchAll(RECORD_WRITE)].map((match) => match[0]);
    expect(writes, 'A wrote to the record after losing its turn').toEqual([]);
    expect(sent, 'A to have begun a record transaction (its fence)').toMatch(
      /select value from meta where key = \$1/,
    );
    expect(await turn(b)).not.toBe(turnOfA);
    // The fence told A: it no longer takes itself for the writer, and its store as the day left
    // memory went to B (its signal; no sweep runs in this test).
    expect(believesItWrites(a)).toBe(false);

    // Nothing accepted anywhere is lost, and the record equals a rebuild from the documents.
    await until(async () => (await recorded(b)).join() === 'M1,M2', 'B to record M2, told by A');
    await Promise.all([a.server.records.settled(), b.server.records.settled()]);
    expect(believesItWrites(b)).toBe(true);
    const record = await recordRows(b);
    await b.server.records.rebuild(SITE, day);
    expect(await recordRows(b)).toEqual(record);
  });

  it("[R2] lets a record transaction the old writer began before the takeover finish first, and fails the old writer's next one", async () => {
    const { relay, a, b } = await twoInstances();
    const fence = (tx: Sql) => writerOf(a).fence(tx);
    // Counts of a day far ahead (retention, which the takeover runs, leaves it alone), written
    // as RecordRows writes: the fence first, in the same transaction.
    const counts = (day: string) => (tx: Sql) =>
      tx.run(
        `insert into day_problems (site_id, day, problems, flags, updated_at)
         values (?, ?, 0, 0, ?)`,
        [SITE, day, Date.now()],
      );
    let finish = () => {};
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let passed = () => {};
    const fenced = new Promise<void>((resolve) => {
      passed = resolve;
    });
    const early = a.server.db.transaction(async (tx) => {
      await fence(tx);
      passed();
      await held;
      await counts('2099-01-01')(tx);
    });
    await fenced;

    try {
      await cutUnnoticed(relay, a);
      // B holds the lock now, and its turn waits for A's open transaction.
      await until(
        async () =>
          (
            await b.server.db.all(
              `select 1 from pg_stat_activity
               where application_name = ? and wait_event_type = 'Lock'`,
              [`headcount record ${schemaFor(a.dir)}`.slice(0, 63)],
            )
          ).length === 1,
        "B's takeover to wait for A's transaction",
      );
      expect(believesItWrites(b)).toBe(false);
    } finally {
      // Also when the test failed: A could not close with the transaction open.
      finish();
    }
    await early;
    await until(() => believesItWrites(b), 'B to take over the record', 15_000);

    // A still believes it writes; its next record transaction writes nothing.
    expect(believesItWrites(a)).toBe(true);
    await expect(
      a.server.db.transaction(async (tx) => {
        await fence(tx);
        await counts('2099-01-02')(tx);
      }),
    ).rejects.toBeInstanceOf(NotTheWriter);
    expect(believesItWrites(a)).toBe(false);
    expect(
      await b.server.db.all('select day from day_problems where day >= ? order by day', [
        '2099-01-01',
      ]),
    ).toEqual([{ day: '2099-01-01' }]);
  });
});
