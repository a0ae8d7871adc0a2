import pg from 'pg';
import type { PostgresDatabase } from './storage/PostgresDatabase';
import type { Sql } from './storage/Sql';

/** Most document names one signal carries: PostgreSQL's NOTIFY takes under 8 000 bytes. */
export const MAX_SIGNAL_NAMES = 200;

/** What one instance tells every instance (itself too). */
export type ClusterSignal =
  /** Close the sockets of this device or account: revoked, disabled, changed ([C4]). */
  | { readonly kind: 'subject'; readonly subject: string; readonly reason: string }
  /** Read the sites table again: one was created, archived or restored ([C2]). */
  | { readonly kind: 'sites' }
  /** Members changed: these roster documents, where open, follow the table ([D7]). */
  | { readonly kind: 'rosters'; readonly names: readonly string[] }
  /** Stored here: the instance that writes the SQL record follows these documents ([R1]). */
  | { readonly kind: 'stored'; readonly names: readonly string[] };

/**
 * Signals between the instances that share a database. They only make things fast: every
 * instance also sweeps its open connections and re-reads the sites every so often, so a signal
 * lost while an instance was disconnected (PostgreSQL's LISTEN/NOTIFY is at most once) is
 * caught up on by the next sweep.
 */
export interface ClusterSignals {
  /** Applies `signal` here at once and tells the other instances. */
  send(signal: ClusterSignal): void;
  close(): Promise<void>;
}

/** One instance (SQLite): a signal is applied here only. */
export class LocalSignals implements ClusterSignals {
  constructor(private readonly apply: (signal: ClusterSignal) => void) {}

  send(signal: ClusterSignal): void {
    this.apply(signal);
  }

  async close(): Promise<void> {}
}

/** Milliseconds before listening again after the connection dropped; doubles up to 30 s. */
const RELISTEN_MS = 1_000;

/**
 * Several instances on one PostgreSQL: `pg_notify` on a channel of the schema, and a dedicated
 * connection that listens (LISTEN needs one session, not a pool). When that connection drops it
 * listens again with backoff, and then asks for a catch-up (`onReconnected`), because what was
 * sent meanwhile is gone.
 */
export class PostgresSignals implements ClusterSignals {
  private readonly channel: string;
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = RELISTEN_MS;
  private timer: NodeJS.Timeout | undefined;
  /** Connections already given up on ('error' and 'end' may both come). */
  private readonly dead = new WeakSet<pg.Client>();

  constructor(
    private readonly db: PostgresDatabase,
    private readonly connection: { url: string },
    private readonly apply: (signal: ClusterSignal) => void,
    private readonly onReconnected: () => void,
    private readonly onError: (message: string) => void,
  ) {
    this.channel = signalChannel(db.schema);
  }

  /** Listens; resolves once listening (or once the first attempt failed: it keeps trying). */
  async start(): Promise<void> {
    await this.listen(false);
  }

  send(signal: ClusterSignal): void {
    this.apply(signal);
    notifyCluster(this.db, signal).catch((error) => {
      this.onError(`cluster signal not sent: ${(error as Error).message}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async listen(again: boolean): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.connection.url,
      // Named in pg_stat_activity beside the pool's connections.
      application_name: `headcount signals ${this.db.schema}`.slice(0, 63),
    });
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      const signal = parseSignal(message.payload);
      if (signal) this.apply(signal);
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      this.client = client;
      this.retryMs = RELISTEN_MS;
      if (again) this.onReconnected();
    } catch (error) {
      this.lost(client, (error as Error).message);
    }
  }

  private lost(client: pg.Client, why: string): void {
    if (this.closed || this.dead.has(client)) return;
    this.dead.add(client);
    if (this.client === client) this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    this.onError(`cluster signals: ${why}; listening again in ${this.retryMs} ms`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.listen(true), this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }
}

/** The channel of a schema's instances. */
export function signalChannel(schema: string): string {
  return `hc_${schema}`.slice(0, 63);
}

/**
 * Tells the instances on `db` (the CLI, which is none of them, uses this too); nothing on
 * SQLite, whose one instance follows within a sweep.
 */
export async function notifyCluster(db: Sql, signal: ClusterSignal): Promise<void> {
  if (!isPostgres(db)) return;
  await db.run('select pg_notify(?, ?)', [signalChannel(db.schema), JSON.stringify(signal)]);
}

function isPostgres(db: Sql): db is PostgresDatabase {
  return db.engine === 'postgres' && 'schema' in db;
}

/** A signal from the channel, or null for anything else (the channel is ours, but still). */
export function parseSignal(payload: string): ClusterSignal | null {
  try {
    const value = JSON.parse(payload) as Record<string, unknown>;
    if (value.kind === 'sites') return { kind: 'sites' };
    if (
      (value.kind === 'rosters' || value.kind === 'stored') &&
      Array.isArray(value.names) &&
      value.names.length <= MAX_SIGNAL_NAMES &&
      value.names.every((name) => typeof name === 'string' && name.length <= 100)
    )
      return { kind: value.kind, names: value.names as string[] };
    if (
      value.kind === 'subject' &&
      typeof value.subject === 'string' &&
      value.subject.length <= 64 &&
      typeof value.reason === 'string' &&
      value.reason.length <= 64
    )
      return { kind: 'subject', subject: value.subject, reason: value.reason };
  } catch {
    // Not JSON: not ours.
  }
  return null;
}
