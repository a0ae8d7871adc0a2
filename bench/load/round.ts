/**
 * One round against one server: start it, seed site 0's day, connect every kiosk and dashboard,
 * warm up, then the measured part (load, and the catching up until every dashboard has every
 * check-in), with the server's CPU, memory and event-loop stalls read around exactly that part;
 * then `kill -9` of the server (the kiosks' instance of two), a start again on the same port,
 * and the time until every client has synced again.
 */
import { checkinsDocName } from '../../shared/docName';
import { localDayOf } from '../../shared/localTime';
import { sleep, ZONE } from '../versionServers';
import { ClientPool } from './clientPool';
import type { Client } from './clients';
import type { LoadOptions } from './options';
import { type MeasuredPart, machineBusyMs } from './processProbe';
import type { ClientResult, SitePlan, ToClients } from './protocol';
import { waitForQuietMachine } from './quietMachine';
import { seedDay } from './seed';
import { type LoadServer, type ServerKind, startServer } from './servers';

/** Longest the dashboards may take to catch up after the load before a check-in counts as lost. */
const DRAIN_MS = 30_000;
/** Pause between the warm-up and the measured part, so its stragglers (stores) settle. */
const SETTLE_MS = 2_500;
/** Longest wait for every client to sync again after the restart. */
const RESYNC_MS = 120_000;

/** The server killed with SIGKILL and started again, as a crash and a supervisor would. */
export interface Restart {
  /** Clients whose connection the kill closed (those on the other instance of two keep theirs). */
  readonly clients: number;
  /** From the kill until the server answered /readyz again, s. */
  readonly readyS: number;
  /** From the kill until the last client had synced again, s. */
  readonly backS: number;
  /** Clients not synced again within RESYNC_MS. */
  readonly missing: number;
}

export interface RoundResult {
  readonly kind: ServerKind;
  /** The code Headcount ran (`servers.ts`), '' for the relay. */
  readonly tree: string;
  readonly written: number;
  readonly latencies: number[];
  readonly seededLatencies: number[];
  readonly lost: number;
  readonly closes: number;
  readonly server: MeasuredPart;
  /** The load generator over the same part: CPU of all client processes, their worst stall. */
  readonly clientsCpuMs: number;
  /** Everything else the machine ran meanwhile, ms of CPU: noise, if it is not near zero. */
  readonly othersCpuMs: number;
  readonly clientsLoopMaxMs: number;
  readonly maxLateMs: number;
  /** Seconds to connect every client (dashboards of site 0 sync the seeded day). */
  readonly connectS: number;
  /** Bytes on every client socket over the measured part (both ways, frames and all). */
  readonly wireBytes: number;
  readonly restart: Restart;
  readonly warmupLost: number;
}

export async function runRound(
  kind: ServerKind,
  options: LoadOptions,
  log: (line: string) => void,
): Promise<RoundResult> {
  if (options.waitForQuiet) await waitForQuietMachine(log);
  const t0 = performance.now();
  const server = await startServer(kind, options);
  const pool = ClientPool.start(options.processes);
  let seeder: Client | null = null;
  try {
    const day = localDayOf(Date.now(), ZONE);
    const sites: SitePlan[] = server.sites.map((site, index) => ({
      index,
      docName: checkinsDocName(site.siteId, day),
      kiosks: site.kiosks,
      dashboards: site.dashboards,
    }));
    seeder = await seedDay(
      server.ws,
      (sites[0] as SitePlan).docName,
      server.seeder,
      options.seedEntries,
    );
    log(`    started and seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const assigned = pool.assign(sites);
    const batch = Math.min(25, Math.floor(100 / pool.size));
    const connected = await pool.step(
      assigned.map((mine) => ({
        type: 'connect',
        ws: server.ws,
        dashboardWs: server.dashboardWs,
        day,
        sites: mine,
        batch,
      })),
      'connected',
      600_000,
    );
    const connectS = Math.max(...connected.map((reply) => reply.ms)) / 1000;
    log(
      `    ${connected.reduce((n, r) => n + r.clients, 0)} clients synced in ${connectS.toFixed(1)} s`,
    );

    // Each process writes its share of the rate: its kiosks' share of all kiosks.
    const kioskShare = assigned.map(
      (mine) => mine.reduce((n, site) => n + site.kiosks.length, 0) / options.kiosks,
    );
    const load = (seconds: number, measured: boolean): ToClients[] =>
      kioskShare.map((share) => ({ type: 'load', rate: options.rate * share, seconds, measured }));
    const finish: ToClients = { type: 'finish', drainMs: DRAIN_MS };

    await pool.step(
      load(options.warmupSeconds, false),
      'loaded',
      options.warmupSeconds * 3000 + 60_000,
    );
    const warmup = await pool.all(finish, 'finished', DRAIN_MS + 60_000);
    await sleep(SETTLE_MS);

    // Tokens are given once and not refreshed: the measured part must end well before they do.
    const endsBy = Date.now() + (options.seconds * 1000 + DRAIN_MS + 60_000);
    if (endsBy > server.tokensValidUntil - 60_000)
      throw new Error(
        'access tokens would expire during the measured part: raise ACCESS_TOKEN_TTL',
      );

    const measuring = await server.probe.start();
    const clientsCpu0 = pool.cpuMs();
    const ownCpu0 = process.cpuUsage();
    const machine0 = machineBusyMs();
    await pool.step(load(options.seconds, true), 'loaded', options.seconds * 3000 + 60_000);
    const finished = (await pool.all(finish, 'finished', DRAIN_MS + 60_000)).map(
      (reply) => reply.result,
    );
    const part = await measuring.end();
    const machineMs = machineBusyMs() - machine0;
    const own = process.cpuUsage(ownCpu0);
    const restart = await restartServer(server, pool, log);
    // The load generator: the client processes and this one (the seeder's client, the probes).
    const clientsCpuMs = pool.cpuMs() - clientsCpu0 + (own.user + own.system) / 1000;
    const sum = (pick: (r: ClientResult) => number) =>
      finished.reduce((n, result) => n + pick(result), 0);
    const max = (pick: (r: ClientResult) => number) => Math.max(...finished.map(pick));
    return {
      kind,
      tree: server.tree,
      written: sum((r) => r.written),
      latencies: finished.flatMap((r) => r.latencies),
      seededLatencies: finished.flatMap((r) => r.seededLatencies),
      lost: sum((r) => r.lost),
      closes: sum((r) => r.closes),
      server: part,
      clientsCpuMs,
      othersCpuMs: Math.max(0, machineMs - part.cpuMs - clientsCpuMs),
      clientsLoopMaxMs: max((r) => r.loopMaxMs),
      maxLateMs: max((r) => r.maxLateMs),
      connectS,
      warmupLost: warmup.reduce((n, reply) => n + reply.result.lost, 0),
      wireBytes: sum((r) => r.wireBytes),
      restart,
    };
  } finally {
    seeder?.destroy();
    await pool.close();
    await server.stop();
  }
}

/** Kills the server with SIGKILL, starts it again, and waits for every client to sync again. */
async function restartServer(
  server: LoadServer,
  pool: ClientPool,
  log: (line: string) => void,
): Promise<Restart> {
  await pool.all({ type: 'watch' }, 'watching', 30_000);
  const killedAt = Date.now();
  await server.restart();
  const readyS = (Date.now() - killedAt) / 1000;
  const back = await pool.all(
    { type: 'resync', timeoutMs: RESYNC_MS },
    'resynced',
    RESYNC_MS + 30_000,
  );
  const missing = back.reduce((n, reply) => n + reply.missing, 0);
  const clients = back.reduce((n, reply) => n + reply.dropped, 0);
  const lastAt = Math.max(...back.map((reply) => reply.lastAt));
  const backS = (lastAt - killedAt) / 1000;
  log(
    `    kill -9: ready again in ${readyS.toFixed(1)} s, ${clients - missing} of ${clients} clients synced again in ${backS.toFixed(1)} s`,
  );
  return { clients, readyS, backS, missing };
}
