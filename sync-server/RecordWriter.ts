import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PostgresDatabase } from './storage/PostgresDatabase';
import type { Sql } from './storage/Sql';

/**
 * Which instance writes the SQL record ([R1]) and runs the work that must run once per cluster
 * (retention, catching up): one at a time, or two instances each holding an older copy of a day
 * would delete each other's rows.
 */
export interface RecordWriter {
  /** Whether this instance writes the record now. */
  readonly writing: boolean;
  /**
   * Inside each transaction that writes the record: throws `NotTheWriter` once another instance
   * has taken over, so a writer that lost its turn writes nothing more.
   */
  fence(tx: Sql): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by `fence` in a transaction of an instance that is no longer the record's writer. */
export class NotTheWriter extends Error {
  constructor() {
    super('another instance writes the record now');
  }
}

/** One instance (SQLite): always the writer. */
export const SOLE_WRITER: RecordWriter = {
  writing: true,
  fence: async () => {},
  close: async () => {},
};

/** How often an instance that is not the writer tries to become it, ms. */
const TRY_EVERY_MS = 5_000;

/** The `meta` key naming the current writer's turn: taking over changes it. */
const TURN_KEY = 'record_writer_turn';

export interface PostgresRecordWriterOptions {
  url: string;
  /** Called when this instance becomes the writer (then catch up) or stops being it. */
  onChange: (writing: boolean) => void;
  onError: (message: string) => void;
  tryEveryMs?: number;
}

/**
 * Several instances on one PostgreSQL: the writer holds a session advisory lock on a dedicated
 * connection. The others try again every few seconds; when the writer's process dies its
 * connection ends and PostgreSQL releases the lock. A lock alone does not stop the old writer's
 * pool connections from finishing a write after its lock connection dropped, so every write
 * transaction also takes a share lock on the turn row (`fence`), which the new writer updates
 * first: that update waits for the old writer's open transactions, and after it they fail.
 */
export class PostgresRecordWriter implements RecordWriter {
  private client: pg.Client | null = null;
  private turn: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly tryEveryMs: number;

  constructor(
    private readonly db: PostgresDatabase,
    private readonly options: PostgresRecordWriterOptions,
  ) {
    this.tryEveryMs = options.tryEveryMs ?? TRY_EVERY_MS;
  }

  get writing(): boolean {
    return this.turn !== null;
  }

  /** Tries once now, then every few seconds while another instance writes. */
  async start(): Promise<void> {
    await this.attempt();
  }

  async fence(tx: Sql): Promise<void> {
    const turn = this.turn;
    if (turn === null) throw new NotTheWriter();
    const row = await tx.get<{ value: string }>('select value from meta where key = ? for share', [
      TURN_KEY,
    ]);
    if (row?.value === turn) return;
    // Another instance took over, so this one's lock is gone, though its connection may not say
    // so yet (a network that dropped it without a word): stop now, and tell the writer from here.
    if (this.turn === turn && this.client) this.lost(this.client, 'another instance took over');
    throw new NotTheWriter();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    this.turn = null;
    await client?.end().catch(() => {});
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: `headcount record ${this.db.schema}`.slice(0, 63),
      // It is idle while it holds the lock: keepalive notices a dead peer, as the pool's does.
      keepAlive: true,
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    try {
      await client.connect();
      const [namespace, key] = this.db.lockKey('record-writer');
      const { rows } = await client.query('select pg_try_advisory_lock($1, $2) as held', [
        namespace,
        key,
      ]);
      if ((rows[0] as { held: boolean }).held !== true) {
        client.removeAllListeners('end');
        await client.end();
        return this.later();
      }
      // Waits for the transactions of a writer that lost its lock but still writes.
      const turn = randomUUID();
      await client.query(
        `insert into "${this.db.schema}".meta (key, value) values ($1, $2)
         on conflict (key) do update set value = excluded.value`,
        [TURN_KEY, turn],
      );
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.turn = turn;
      this.options.onChange(true);
    } catch (error) {
      this.lost(client, (error as Error).message);
    }
  }

  private lost(client: pg.Client, why: string): void {
    if (this.closed) return;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    const wasWriting = this.client === client;
    // An old connection's late error (one `fence` already gave up) must not end a newer turn.
    if (!wasWriting && (this.timer !== undefined || this.client !== null)) return;
    this.client = null;
    this.turn = null;
    this.options.onError(`record writer: ${why}; trying again in ${this.tryEveryMs} ms`);
    if (wasWriting) this.options.onChange(false);
    this.later();
  }

  private later(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, this.tryEveryMs);
    this.timer.unref();
  }
}
