import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Sql, SqlParam } from './Sql';
import { SQLITE_MIGRATIONS } from './sqliteMigrations';

/**
 * SQLite in DATA_DIR through better-sqlite3: one connection, WAL, statements prepared once per
 * text. Its calls are synchronous, so every query resolves at once; a transaction holds the one
 * connection, and queries from outside it wait until it ends (otherwise they would run inside
 * it, and roll back with it).
 */
export class SqliteDatabase implements Database {
  readonly engine = 'sqlite';
  readonly description: string;
  /** The connection itself, for what only SQLite has (WAL checkpoints, benchmarks). */
  readonly raw: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** Settles when the transaction holding the connection ends; null when none does. */
  private held: Promise<void> | null = null;
  private readonly inside: Sql;

  private constructor(raw: BetterSqlite3.Database, description: string) {
    this.raw = raw;
    this.description = description;
    this.inside = {
      engine: 'sqlite',
      all: async (text, params) => this.allNow(text, params),
      get: async (text, params) => this.getNow(text, params),
      run: async (text, params) => this.runNow(text, params),
      transaction: (work) => work(this.inside),
      lock: async () => {},
    };
  }

  /** Opens (creating) `headcount.sqlite` in `dataDir`, or an in-memory database, and migrates it. */
  static open(dataDir: string | ':memory:'): SqliteDatabase {
    const file = dataDir === ':memory:' ? ':memory:' : join(dataDir, 'headcount.sqlite');
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    const version = raw.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
      raw.transaction(() => {
        raw.exec(SQLITE_MIGRATIONS[v] as string);
        raw.pragma(`user_version = ${v + 1}`);
      })();
    }
    return new SqliteDatabase(raw, file);
  }

  async all<Row>(text: string, params?: readonly SqlParam[]): Promise<Row[]> {
    while (this.held) await this.held;
    return this.allNow(text, params);
  }

  async get<Row>(text: string, params?: readonly SqlParam[]): Promise<Row | undefined> {
    while (this.held) await this.held;
    return this.getNow(text, params);
  }

  async run(text: string, params?: readonly SqlParam[]): Promise<number> {
    while (this.held) await this.held;
    return this.runNow(text, params);
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    // Waited for here, not in an async helper: the connection must be taken in the same tick
    // as it is found free, or a second transaction (or a query) waiting too slips in between.
    while (this.held) await this.held;
    let release = (): void => {};
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      this.raw.exec('begin immediate');
      try {
        const result = await work(this.inside);
        this.raw.exec('commit');
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('rollback');
        throw error;
      }
    } finally {
      this.held = null;
      release();
    }
  }

  /** Nothing to hold: a write transaction already excludes every other, in the one process. */
  async lock(): Promise<void> {}

  async close(): Promise<void> {
    while (this.held) await this.held;
    this.raw.close();
  }

  private statement(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.raw.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private allNow<Row>(text: string, params: readonly SqlParam[] = []): Row[] {
    return this.statement(text).all(...params.map(bound)) as Row[];
  }

  private getNow<Row>(text: string, params: readonly SqlParam[] = []): Row | undefined {
    return this.statement(text).get(...params.map(bound)) as Row | undefined;
  }

  private runNow(text: string, params: readonly SqlParam[] = []): number {
    return this.statement(text).run(...params.map(bound)).changes;
  }
}

/** better-sqlite3 binds bytes only as a Buffer. */
function bound(param: SqlParam): unknown {
  return param instanceof Uint8Array && !Buffer.isBuffer(param)
    ? Buffer.from(param.buffer, param.byteOffset, param.byteLength)
    : param;
}
