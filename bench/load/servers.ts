/**
 * The servers under load, started the same way and described the same way: Headcount from this
 * working tree (`startVersion`, with kiosks paired and desk accounts made at every site) as one
 * instance on SQLite, as two instances on one PostgreSQL schema relaying through Redis (kiosks
 * on the first, dashboards on the second), and the bare Hocuspocus relay (`bareRelay.ts`, which
 * takes any token). Each is its own process, `node --import loopMonitor.mjs --import tsx
 * <script>`, on 127.0.0.1.
 */

import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SOCKET_LIMITS } from '../../sync-server/SocketGate';
import { freePort, repo, SITE, sleep, startVersion, waitFor } from '../versionServers';
import { disposable } from './cleanup';
import type { LoadOptions } from './options';
import { LOOP_MONITOR, type Probe, ProbeGroup, ProcessProbe } from './processProbe';

export type ServerKind = 'headcount' | 'postgres' | 'cluster' | 'relay';

/** The PostgreSQL and Redis of the two-instance rounds (CI's, by default). */
export const CLUSTER_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const CLUSTER_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Credential {
  readonly deviceId: string;
  readonly token: string;
}

/** Who connects to one site's today document. */
export interface SiteCredentials {
  readonly siteId: string;
  readonly kiosks: readonly Credential[];
  /** One access token per dashboard (several dashboards share a desk account). */
  readonly dashboards: readonly string[];
}

export interface LoadServer {
  readonly kind: ServerKind;
  /** The (first) server process now. */
  readonly pid: () => number;
  /** Where kiosks connect. */
  readonly ws: string;
  /** Where dashboards connect: `ws`, or the second instance. */
  readonly dashboardWs: string;
  readonly probe: Probe;
  readonly sites: readonly SiteCredentials[];
  /** The kiosk that writes the seeded day at site 0 (its own device, as a busy door would be). */
  readonly seeder: Credential;
  /** When the first access token expires, ms since the epoch (Infinity for the relay). */
  readonly tokensValidUntil: number;
  /** The commit the server ran from, `+` if its code had uncommitted changes ('' for the relay). */
  readonly tree: string;
  /** `kill -9` of the (first) server process, started again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Site 0 is the server's configured site; the others are made for the bench. */
export const siteIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => (i === 0 ? SITE : `site-${i}`));

/** Kiosk i and dashboard i are at site i mod S. */
const siteOf = (i: number, sites: number) => i % sites;
const countAt = (site: number, total: number, sites: number) =>
  Math.floor(total / sites) + (site < total % sites ? 1 : 0);

/**
 * Node flags for both servers. `BENCH_SERVER_NODE_ARGS` adds some to both, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/profiles` for a profile of each round's server.
 */
const nodeArgs = [
  '--import',
  LOOP_MONITOR,
  ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];

export function startServer(kind: ServerKind, options: LoadOptions): Promise<LoadServer> {
  return kind === 'relay' ? startRelay(options) : startHeadcount(options, kind);
}

async function startHeadcount(
  options: LoadOptions,
  kind: Exclude<ServerKind, 'relay'>,
): Promise<LoadServer> {
  const cluster = kind === 'cluster';
  const onPostgres = kind !== 'headcount';
  const ids = siteIds(options.sites);
  // Headcount lets one account hold 16 sockets (SocketGate's maxPerAccount), so the dashboards of
  // a site share as few desk accounts as fit, as a gym's front-desk phones and screens would.
  const perAccount = SOCKET_LIMITS.maxPerAccount;
  const accounts = ids.map((siteId, s) =>
    Array.from(
      { length: Math.ceil(countAt(s, options.dashboards, options.sites) / perAccount) },
      (_, k) => ({ username: `desk-${s}-${k}`, siteId }),
    ),
  );
  const temp = mkdtempSync(join(tmpdir(), 'headcount-load-'));
  const loopFile = ProcessProbe.loopFileIn(temp);
  const sockets = options.kiosks + options.dashboards + 1 + options.idle;
  const env: Record<string, string> = { LOOP_MONITOR_FILE: loopFile };
  // On PostgreSQL: a schema of their own per attempt (dropped at the end); two instances: Redis.
  let schema = '';
  const attemptEnv = () => {
    if (!onPostgres) return env;
    schema = `bench_load_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    return {
      ...env,
      DATABASE_URL: CLUSTER_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      ...(cluster ? { REDIS_URL: CLUSTER_REDIS_URL } : {}),
    };
  };
  // Only when the defaults cannot hold the run: every client is on 127.0.0.1, one address.
  if (sockets + 32 > SOCKET_LIMITS.maxPerAddress) env.MAX_CONNECTIONS_PER_IP = String(sockets + 64);
  // Tokens are not refreshed (the provider re-sends the same one): they must outlive a round.
  const roundSeconds = options.warmupSeconds + options.seconds + 600;
  if (roundSeconds > 900) env.ACCESS_TOKEN_TTL = String(Math.min(86_400, roundSeconds));
  const removeTemp = disposable(async () => {
    rmSync(temp, { recursive: true, force: true });
    if (onPostgres) await dropSchema(schema);
  });
  const tree = treeState();
  let version: Awaited<ReturnType<typeof startVersion>>;
  try {
    version = await retryWhileStarting(async () => {
      const attempt = attemptEnv();
      try {
        return await startVersion(repo, {
          kiosks: options.kiosks + 1,
          // The last kiosk is the seeder, at site 0.
          kioskSites: [
            ...Array.from({ length: options.kiosks }, (_, i) => ids[siteOf(i, options.sites)]),
            SITE,
          ] as string[],
          staff: accounts.flat(),
          env: attempt,
          nodeArgs,
        });
      } catch (error) {
        if (onPostgres) await dropSchema(schema);
        throw error;
      }
    });
  } catch (error) {
    await removeTemp();
    throw error;
  }
  let second: { ws: string; pid: number; loopFile: string } | null = null;
  if (cluster) {
    const loopFile2 = join(temp, 'loop-monitor-2.json');
    try {
      const peer = await version.peer({ LOOP_MONITOR_FILE: loopFile2 });
      second = { ws: peer.ws, pid: peer.child.pid as number, loopFile: loopFile2 };
    } catch (error) {
      await version.stop();
      await removeTemp();
      throw error;
    }
  }
  const kiosks = version.kiosks.slice(0, options.kiosks);
  const seeder = version.kiosks[options.kiosks] as Credential;
  const sites = ids.map((siteId, s) => {
    const desks = version.staff.filter((account) => account.siteId === siteId);
    return {
      siteId,
      kiosks: kiosks.filter((kiosk) => kiosk.siteId === siteId),
      dashboards: Array.from(
        { length: countAt(s, options.dashboards, options.sites) },
        (_, j) => (desks[j % desks.length] as { token: string }).token,
      ),
    };
  });
  const first = new ProcessProbe(version.child.pid as number, loopFile);
  return {
    kind,
    pid: () => version.child.pid as number,
    ws: version.ws,
    dashboardWs: second?.ws ?? version.ws,
    probe: second ? new ProbeGroup([first, new ProcessProbe(second.pid, second.loopFile)]) : first,
    sites,
    seeder,
    tokensValidUntil: version.tokensValidUntil,
    tree,
    restart: () => version.restart(),
    stop: async () => {
      try {
        await version.stop();
      } finally {
        await removeTemp();
      }
    },
  };
}

/**
 * Which code Headcount ran (read-only git): the server may be edited between rounds, and rounds
 * of different code should not be compared as one.
 */
function treeState(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const head = git('rev-parse', '--short', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--', 'sync-server', 'shared').trim() !== '';
    return `${head}${dirty ? '+' : ''}`;
  } catch {
    return '?';
  }
}

/**
 * The server in this working tree is being edited while benchmarks run: a start that fails is
 * tried again a minute later, at most three times.
 */
async function retryWhileStarting<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 3) throw error;
      console.error(
        `Headcount did not start (${(error as Error).message.slice(0, 300)}); retrying in 60 s`,
      );
      await sleep(60_000);
    }
  }
}

async function startRelay(options: LoadOptions): Promise<LoadServer> {
  const temp = mkdtempSync(join(tmpdir(), 'headcount-load-'));
  const loopFile = ProcessProbe.loopFileIn(temp);
  const port = await freePort();
  let relay = spawnRelay(port, loopFile);
  const stop = disposable(async () => {
    await relay.stop();
    rmSync(temp, { recursive: true, force: true });
  });
  try {
    await relay.ready;
  } catch (error) {
    await stop();
    throw error;
  }
  const restart = async () => {
    relay.child.kill('SIGKILL');
    await relay.stop();
    relay = spawnRelay(port, loopFile);
    await relay.ready;
  };
  // Any token will do; device ids like Headcount's (UUIDs), so documents are the same size.
  const device = (): Credential => ({ deviceId: randomUUID(), token: 'relay' });
  const sites = siteIds(options.sites).map((siteId, s) => ({
    siteId,
    kiosks: Array.from({ length: countAt(s, options.kiosks, options.sites) }, device),
    dashboards: Array.from(
      { length: countAt(s, options.dashboards, options.sites) },
      () => 'relay',
    ),
  }));
  return {
    kind: 'relay',
    pid: () => relay.child.pid as number,
    ws: `ws://127.0.0.1:${port}`,
    dashboardWs: `ws://127.0.0.1:${port}`,
    probe: new ProcessProbe(relay.child.pid as number, loopFile),
    sites,
    seeder: device(),
    tokensValidUntil: Number.POSITIVE_INFINITY,
    tree: '',
    restart,
    stop,
  };
}

/** The bare relay as its own process on `port`; `ready` once it answers. */
function spawnRelay(port: number, loopFile: string) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'bench/load/bareRelay.ts'],
    {
      cwd: repo,
      env: { ...process.env, PORT: String(port), LOOP_MONITOR_FILE: loopFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the relay exited: ${stderr}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/`)).ok;
      } catch {
        return false;
      }
    },
    'the relay',
    60_000,
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  };
  return { child, ready, stop };
}

/** Drops a two-instance round's schema (its documents, log and record). */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: CLUSTER_DATABASE_URL });
  try {
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
  } catch (error) {
    console.error(`could not drop schema ${schema}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}
