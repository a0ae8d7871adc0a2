/**
 * What one `npm run bench:load` measures: the command-line flags, with the full run's defaults
 * (issue 14, item 4) and a `--quick` preset for a fast check.
 */
import { parseArgs } from 'node:util';
import type { ServerKind } from './servers';

const KINDS: readonly ServerKind[] = ['headcount', 'postgres', 'cluster', 'relay'];

export interface LoadOptions {
  readonly kiosks: number;
  readonly dashboards: number;
  readonly sites: number;
  /** Check-ins a second over all kiosks together. */
  readonly rate: number;
  /** Seconds of measured load per round. */
  readonly seconds: number;
  /** Rounds of each server; they alternate Headcount, relay, Headcount, … */
  readonly rounds: number;
  /** Seconds of unmeasured load before each round's measured part (JIT, first stores). */
  readonly warmupSeconds: number;
  /** Entries in site 0's document before anyone else connects: a busy day already open. */
  readonly seedEntries: number;
  /** Child processes the clients are spread over (each hosts whole sites, see clientPool.ts). */
  readonly processes: number;
  /**
   * The servers compared, a round of each in turn: one Headcount instance (SQLite), one on
   * PostgreSQL (`postgres`), two on PostgreSQL relaying through Redis (`cluster`), the bare relay.
   */
  readonly servers: readonly ServerKind[];
  /** Idle connections to measure memory with after the rounds (0: none). */
  readonly idle: number;
  /** Wait for a quiet machine before each round (off for the CI run, whose figures mean nothing). */
  readonly waitForQuiet: boolean;
  /** The flags as given, for the report. */
  readonly argv: readonly string[];
}

const FULL = { kiosks: 200, dashboards: 200, sites: 10, rate: 50, seconds: 60, rounds: 3 };
const QUICK = { kiosks: 20, dashboards: 20, sites: 2, rate: 50, seconds: 20, rounds: 1 };

export const USAGE = `npm run bench:load -- [--quick] [--kiosks N] [--dashboards N] [--sites N]
  [--rate check-ins/s] [--seconds N] [--rounds N] [--processes N] [--seed entries]
  [--servers headcount,postgres,cluster,relay] [--no-wait] [--idle N]
postgres: one instance on BENCH_DATABASE_URL; cluster: two instances on BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test,
a schema of their own) relaying through BENCH_REDIS_URL (default redis://127.0.0.1:6379).
Defaults: ${JSON.stringify(FULL)}; --quick: ${JSON.stringify(QUICK)}.`;

export function readOptions(argv: readonly string[]): LoadOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      kiosks: { type: 'string' },
      dashboards: { type: 'string' },
      sites: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      processes: { type: 'string' },
      seed: { type: 'string' },
      servers: { type: 'string' },
      'no-wait': { type: 'boolean' },
      idle: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const base = values.quick ? QUICK : FULL;
  const number = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be ≥ ${min}`);
    return value;
  };
  const whole = (name: string, raw: string | undefined, fallback: number, min: number) => {
    const value = number(name, raw, fallback, min);
    if (!Number.isInteger(value)) throw new Error(`--${name} must be a whole number`);
    return value;
  };
  const sites = whole('sites', values.sites, base.sites, 1);
  const servers = (values.servers ?? KINDS.join(',')).split(',').map((kind) => kind.trim());
  const unknown = servers.find((kind) => !KINDS.includes(kind as ServerKind));
  if (unknown !== undefined || servers.length === 0)
    throw new Error(`--servers must list some of ${KINDS.join(', ')} (got ${unknown ?? 'none'})`);
  const options: LoadOptions = {
    kiosks: whole('kiosks', values.kiosks, base.kiosks, sites),
    dashboards: whole('dashboards', values.dashboards, base.dashboards, sites),
    sites,
    rate: number('rate', values.rate, base.rate, 0.1),
    seconds: number('seconds', values.seconds, base.seconds, 1),
    rounds: whole('rounds', values.rounds, base.rounds, 1),
    warmupSeconds: values.quick ? 3 : 5,
    seedEntries: whole('seed', values.seed, 10_000, 0),
    // Two: the machine has two cores, one is the server's; a second client process only helps
    // where one cannot keep up, and the report shows each one's CPU and stalls to judge that.
    processes: Math.min(sites, whole('processes', values.processes, 2, 1)),
    servers: [...new Set(servers as ServerKind[])],
    waitForQuiet: values['no-wait'] !== true,
    idle: whole('idle', values.idle, 0, 0),
    argv,
  };
  // Each process connects its clients in batches (clients.ts): all batches in flight together
  // must stay below Headcount's 128 unauthenticated sockets per address (SocketGate).
  if (options.processes > 4) throw new Error('--processes must be at most 4');
  return options;
}
