import pg from 'pg';
import { POSTGRES_MIGRATIONS } from './postgresMigrations';
import {
  type Database,
  numberedPlaceholders,
  SCHEMA_PATTERN,
  type Sql,
  type SqlParam,
} from './Sql';

/** OIDs of int8 (bigint, count(*)) and numeric (sum of bigints): parsed back to numbers. */
const INT8 = 20;
const NUMERIC = 1700;

/** Milliseconds to wait for a new connection before the query fails. Default 5 000. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Advisory-lock namespace for Headcount's cluster-wide locks (`lockKey`): "HC". */
const LOCK_NAMESPACE = 0x4843;

/**
 * PostgreSQL at DATABASE_URL through a `pg` pool, in one schema (DATABASE_SCHEMA; tests use one
 * each). Migrations run at open under an advisory lock, so instances starting together apply each
 * once. Errors of idle pool clients (PostgreSQL restarting) are reported, never thrown: the next
 * query connects again.
 */
export class PostgresDatabase implements Database {
  readonly engine = 'postgres';
  readonly description: string;
  readonly schema: string;
  private readonly pool: pg.Pool;

  private constructor(pool: pg.Pool, description: string, schema: string) {
    this.pool = pool;
    this.description = description;
    this.schema = schema;
  }

  static async open(options: {
    url: string;
    schema: string;
    /** Idle clients' connection errors. */
    onError?: (error: Error) => void;
    /** Pool size; default 10. */
    max?: number;
  }): Promise<PostgresDatabase> {
    const { url, schema } = options;
    if (!SCHEMA_PATTERN.test(schema)) throw new Error(`not a schema name: ${schema}`);
    const connection = {
      connectionString: url,
      // The schema as the search path of every connection: unqualified names are Headcount's.
      options: `-c search_path=${schema}`,
      // Named in pg_stat_activity, so an operator sees whose connections these are.
      application_name: `headcount ${schema}`,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8 || oid === NUMERIC
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    };
    await migrate(connection, schema);
    const pool = new pg.Pool({
      ...connection,
      max: options.max ?? 10,
      // An unreachable host fails a query in seconds instead of holding it (and the update
      // waiting on it) forever; TCP keepalive notices a dead peer on an idle connection.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    pool.on('error', (error) => options.onError?.(error));
    const where = new URL(url);
    return new PostgresDatabase(
      pool,
      `postgresql://${where.host}${where.pathname} schema ${schema}`,
      schema,
    );
  }

  async all<Row>(text: string, params?: readonly SqlParam[]): Promise<Row[]> {
    return (await this.pool.query(numberedPlaceholders(text), bound(params))).rows as Row[];
  }

  async get<Row>(text: string, params?: readonly SqlParam[]): Promise<Row | undefined> {
    return (await this.all<Row>(text, params))[0];
  }

  async run(text: string, params?: readonly SqlParam[]): Promise<number> {
    return (await this.pool.query(numberedPlaceholders(text), bound(params))).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const result = await work(clientSql(client, (what) => this.lockKey(what)));
      await client.query('commit');
      return result;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Outside a transaction a lock would outlive nothing: use it inside `transaction`. */
  async lock(): Promise<void> {
    throw new Error('lock() is for use inside a transaction');
  }

  /** A key for `pg_advisory_lock(namespace, key)` naming `what` in this schema only. */
  lockKey(what: string): [number, number] {
    return [LOCK_NAMESPACE, hash32(`${this.schema}:${what}`)];
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function clientSql(client: pg.PoolClient, keyOf: (what: string) => [number, number]): Sql {
  const sql: Sql = {
    engine: 'postgres',
    all: async <Row>(text: string, params?: readonly SqlParam[]) =>
      (await client.query(numberedPlaceholders(text), bound(params))).rows as Row[],
    get: async <Row>(text: string, params?: readonly SqlParam[]) =>
      (await client.query(numberedPlaceholders(text), bound(params))).rows[0] as Row | undefined,
    run: async (text, params) =>
      (await client.query(numberedPlaceholders(text), bound(params))).rowCount ?? 0,
    transaction: (work) => work(sql),
    lock: async (what) => {
      await client.query('select pg_advisory_xact_lock($1, $2)', keyOf(what));
    },
  };
  return sql;
}

/** Creates the schema when missing and applies the migrations it lacks, once per cluster. */
async function migrate(connection: pg.ClientConfig, schema: string): Promise<void> {
  const client = new pg.Client(connection);
  await client.connect();
  try {
    const [namespace, key] = [LOCK_NAMESPACE, hash32(`${schema}:migrations`)];
    await client.query('select pg_advisory_lock($1, $2)', [namespace, key]);
    try {
      // Under the lock: `if not exists` alone races when instances start together. Looked up
      // first, so a role that owns its schema but may not create schemas still starts.
      const exists = await client.query('select 1 from pg_namespace where nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`create schema "${schema}"`);
      await client.query('create table if not exists schema_migrations (version integer not null)');
      const { rows } = await client.query('select count(*)::integer as n from schema_migrations');
      for (let v = (rows[0] as { n: number }).n; v < POSTGRES_MIGRATIONS.length; v++) {
        await client.query('begin');
        try {
          await client.query(POSTGRES_MIGRATIONS[v] as string);
          await client.query('insert into schema_migrations (version) values ($1)', [v + 1]);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          throw error;
        }
      }
    } finally {
      await client.query('select pg_advisory_unlock($1, $2)', [namespace, key]);
    }
  } finally {
    await client.end();
  }
}

function bound(params: readonly SqlParam[] = []): unknown[] {
  return params.map((param) =>
    param instanceof Uint8Array && !Buffer.isBuffer(param)
      ? Buffer.from(param.buffer, param.byteOffset, param.byteLength)
      : param,
  );
}

/** FNV-1a, as a signed 32-bit integer (advisory keys are int4). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
