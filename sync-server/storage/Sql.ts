/**
 * The server's SQL, whichever engine holds it: SQLite in DATA_DIR (one process) or PostgreSQL at
 * DATABASE_URL (several instances). Statements are written once, in the SQL both engines speak:
 * `?` placeholders (numbered for PostgreSQL by the adapter), `on conflict … do update`, row values,
 * `returning`; numbers are JavaScript numbers (PostgreSQL's bigint and numeric are parsed back),
 * bytes are `Uint8Array` in and `Buffer` out. What only one engine has (SQLite's WAL checkpoints,
 * PostgreSQL's advisory locks) is reached through the adapter's own type, never through here.
 */
export type SqlParam = string | number | null | Uint8Array;

export interface Sql {
  readonly engine: 'sqlite' | 'postgres';
  /** Every row of a query. */
  all<Row>(text: string, params?: readonly SqlParam[]): Promise<Row[]>;
  /** The first row of a query, or undefined. */
  get<Row>(text: string, params?: readonly SqlParam[]): Promise<Row | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(text: string, params?: readonly SqlParam[]): Promise<number>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * Inside, use `tx`, never the outer `Sql`: the outer one waits for the transaction to end (on
   * SQLite's one connection, or for a pool client on PostgreSQL), so calling it from inside would
   * wait forever. A transaction inside a transaction joins the outer one.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other transaction, of this or another instance, holds
   * the lock named `what`, and holds it until this one ends. On PostgreSQL an advisory lock in
   * the schema's namespace; on SQLite nothing (a write transaction already excludes every other,
   * and only one process uses the file).
   */
  lock(what: string): Promise<void>;
}

/** An open database: its SQL, and how to close it. */
export interface Database extends Sql {
  /** Where it is, for logs: a file path or a PostgreSQL host/database/schema (no password). */
  readonly description: string;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (statements here never hold a literal `?`). */
export function numberedPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** A schema name Headcount creates and sets as the search path: a plain lower-case identifier. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
