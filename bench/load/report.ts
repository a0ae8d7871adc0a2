/**
 * The load benchmark as Markdown for docs/BENCHMARKS.md: the setup, medians over rounds per server
 * with Headcount / relay ratios, and every round as run.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { percentiles } from '../percentiles';
import { quantile } from '../serverUpdates';
import type { IdleResult } from './idle';
import type { LoadOptions } from './options';
import type { RoundResult } from './round';
import type { ServerKind } from './servers';

export interface Context {
  readonly options: LoadOptions;
  readonly loadAtStart: number[];
  readonly startedAt: Date;
}

export function machineContext(options: LoadOptions): Context {
  return { options, loadAtStart: loadavg(), startedAt: new Date() };
}

interface Summary {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly seededP50: number;
  readonly seededP99: number;
  /** Server CPU over the measured part, ms, and as a share of one core. */
  readonly cpuMs: number;
  readonly cpuShare: number;
  readonly rssMiB: number;
  readonly hwmMiB: number;
  readonly stallMs: number;
  readonly loopP99Ms: number;
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
  readonly written: number;
  readonly lost: number;
  /** Bytes on the clients' sockets per check-in written, both ways, over the measured part. */
  readonly wirePerCheckIn: number;
  /** kill -9 and start again: until /readyz, and until the last client synced again, s. */
  readonly readyS: number;
  readonly backS: number;
  readonly missingAfterRestart: number;
}

function summarize(round: RoundResult): Summary {
  const all = percentiles(round.latencies);
  return {
    p50: all.p50,
    p95: all.p95,
    p99: quantile(round.latencies, 0.99),
    max: all.max,
    seededP50: quantile(round.seededLatencies, 0.5),
    seededP99: quantile(round.seededLatencies, 0.99),
    cpuMs: round.server.cpuMs,
    cpuShare: round.server.cpuMs / (round.server.seconds * 1000),
    rssMiB: round.server.rssPeakMiB,
    hwmMiB: round.server.hwmMiB,
    stallMs: round.server.loop.maxMs,
    loopP99Ms: round.server.loop.p99Ms,
    gcMaxMs: round.server.loop.gcMaxMs,
    gcTotalMs: round.server.loop.gcTotalMs,
    written: round.written,
    lost: round.lost,
    wirePerCheckIn: round.written > 0 ? round.wireBytes / round.written : Number.NaN,
    readyS: round.restart.readyS,
    backS: round.restart.backS,
    missingAfterRestart: round.restart.missing,
  };
}

const median = (values: number[]) => quantile(values, 0.5);

/** Medians over rounds; check-ins written and lost are totals. */
function medians(summaries: Summary[]): Summary {
  const keys = Object.keys(summaries[0] as Summary) as (keyof Summary)[];
  const total = (key: keyof Summary) => summaries.reduce((n, s) => n + s[key], 0);
  return {
    ...(Object.fromEntries(
      keys.map((key) => [key, median(summaries.map((s) => s[key]))]),
    ) as unknown as Summary),
    written: total('written'),
    lost: total('lost'),
    missingAfterRestart: total('missingAfterRestart'),
  };
}

/** A duration; '–' when there is none (no check-in arrived to measure). */
const ms = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? `${v.toFixed(0)}` : v.toFixed(1);
const mib = (v: number) => `${v.toFixed(0)} MiB`;
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const LABEL: Record<ServerKind, string> = {
  headcount: 'Headcount',
  postgres: 'Headcount on PostgreSQL',
  cluster: 'Headcount ×2 + Redis',
  relay: 'bare relay',
};

export function loadReport(
  context: Context,
  rounds: RoundResult[],
  idle: readonly IdleResult[] = [],
): string[] {
  const { options } = context;
  const lines: string[] = [];
  const print = (line = '') => lines.push(line);
  const cpu = cpus();
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' / ');
  print(
    `### Load: ${options.kiosks} kiosks and ${options.dashboards} dashboards at ${options.sites} sites, ${options.servers.map((kind) => LABEL[kind]).join(', ')}`,
  );
  print();
  print(
    `\`npm run bench:load${options.argv.length ? ` -- ${options.argv.join(' ')}` : ''}\` on ${cpu[0]?.model ?? 'an unknown CPU'} (${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB), Node ${process.version}, ${context.startedAt.toISOString().slice(0, 16)}Z. Load average (1/5/15 min) ${load(context.loadAtStart)} at the start, ${load(loadavg())} at the end.`,
  );
  print();
  print(
    `Every kiosk and dashboard is a real \`@hocuspocus/provider\` with its own websocket, on today's check-ins document of its site; all on 127.0.0.1, in ${options.processes} client process${options.processes === 1 ? '' : 'es'} (each with whole sites, so a check-in is written and seen on one clock). The kiosks write ${options.rate} check-ins a second in all, in turn, for ${options.seconds} s after ${options.warmupSeconds} s of warm-up; site 0's document already holds ${options.seedEntries.toLocaleString('en')} entries, written by a kiosk of its own before anyone else connected (it stays connected). Latency is from a kiosk's write until the last dashboard of its site has the entry (\`watchEntries\`). Rounds alternate Headcount (this working tree, its own process, a fresh DATA_DIR with SQLite, kiosks paired and desk accounts signed in through its API), Headcount on PostgreSQL (the same, with \`DATABASE_URL\`: a schema of its own), Headcount ×2 + Redis (two processes of this tree on one PostgreSQL schema of their own, relaying through Redis: kiosks on the first, dashboards on the second, so every check-in crosses Redis; server figures add up both processes) and Hocuspocus with no extensions (\`bench/load/bareRelay.ts\`, any token), as listed in \`--servers\`, ${options.rounds} of each; all run as \`node --import bench/load/loopMonitor.mjs --import tsx …\`. Wire bytes: everything read and written on the clients' sockets over the measured part (frames, awareness and pings included), per check-in written. Then the server (the kiosks' instance of two) is killed with SIGKILL and started again on the same port and data: ready is until it answers /readyz, back until the last of every kiosk and dashboard has synced its document again (providers reconnect on their own, with \`@hocuspocus/provider\`'s default backoff: 1 s, doubling, with jitter). Server figures cover the measured part (the load and the catching up after it): CPU is utime + stime from /proc, RSS the largest VmRSS sampled every 100 ms (VmHWM, the peak since start, per round below), the stall the longest event-loop delay from \`monitorEventLoopDelay\` (1 ms resolution), the GC pause the longest garbage collection reported by \`PerformanceObserver\`. Medians over rounds.`,
  );
  print();
  const by = (kind: ServerKind) => rounds.filter((round) => round.kind === kind).map(summarize);
  const ran = options.servers.filter((kind) => by(kind).length > 0);
  const summary = new Map(ran.map((kind) => [kind, medians(by(kind))]));
  print(
    '| server | kiosk → every dashboard p50 / p95 / p99 / max | seeded site p50 / p99 | server CPU (of one core) | peak RSS | longest stall | longest GC pause | lost | wire bytes per check-in | kill -9: ready, all clients back |',
  );
  print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [kind, s] of summary) {
    print(
      `| ${LABEL[kind]} | ${[s.p50, s.p95, s.p99, s.max].map(ms).join(' / ')} ms | ${ms(s.seededP50)} / ${ms(s.seededP99)} ms | ${Math.round(s.cpuMs)} ms (${pct(s.cpuShare)}) | ${mib(s.rssMiB)} | ${ms(s.stallMs)} ms | ${ms(s.gcMaxMs)} ms | ${s.lost} | ${Math.round(s.wirePerCheckIn).toLocaleString('en')} B | ${s.readyS.toFixed(1)} s, ${s.backS.toFixed(1)} s${s.missingAfterRestart > 0 ? ` (**${s.missingAfterRestart} not back**)` : ''} |`,
    );
  }
  // Targets: one instance within 1.2× of the relay; two instances within 2× of one (on SQLite,
  // the default deployment, and on PostgreSQL, which the two share).
  for (const [a, b] of [
    ['headcount', 'relay'],
    ['postgres', 'headcount'],
    ['cluster', 'headcount'],
    ['cluster', 'postgres'],
  ] as const) {
    const h = summary.get(a);
    const r = summary.get(b);
    if (!h || !r) continue;
    print(
      `| ${LABEL[a]} / ${LABEL[b]} | ${[
        [h.p50, r.p50],
        [h.p95, r.p95],
        [h.p99, r.p99],
        [h.max, r.max],
      ]
        .map(([x, y]) => ratio(x as number, y as number))
        .join(
          ' / ',
        )} | ${ratio(h.seededP50, r.seededP50)} / ${ratio(h.seededP99, r.seededP99)} | ${ratio(h.cpuMs, r.cpuMs)} | ${ratio(h.rssMiB, r.rssMiB)} | ${ratio(h.stallMs, r.stallMs)} | ${ratio(h.gcMaxMs, r.gcMaxMs)} | | ${ratio(h.wirePerCheckIn, r.wirePerCheckIn)} | ${ratio(h.backS, r.backS)} |`,
    );
  }
  print();
  print(
    'Round by round, in the order run. Load generator: CPU of the client processes and the bench process over the measured part (share of one core), their longest event-loop stall, and the latest a check-in went out after its scheduled time; other processes: what else the machine ran meanwhile (/proc/stat less the server and the load generator), noise unless near zero. Connect: seconds for every client to sync its document. Headcount rounds name the commit they ran (`+`: with uncommitted changes to sync-server/ or shared/).',
  );
  print();
  print(
    '| # | server | check-ins | p50 / p95 / p99 / max | server CPU | RSS peak (VmHWM) | stall (loop p99) | GC: longest pause, all | lost | closes | load generator: CPU, longest stall, latest write | other processes | connect | kill -9: clients cut off, ready, back |',
  );
  print(
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  rounds.forEach((round, i) => {
    const s = summarize(round);
    const share = (cpuMs: number) => pct(cpuMs / (round.server.seconds * 1000));
    print(
      `| ${i + 1} | ${LABEL[round.kind]}${round.tree ? ` (\`${round.tree}\`)` : ''} | ${s.written} | ${[s.p50, s.p95, s.p99, s.max].map(ms).join(' / ')} ms | ${Math.round(s.cpuMs)} ms (${pct(s.cpuShare)}) | ${mib(s.rssMiB)} (${mib(s.hwmMiB)}) | ${ms(s.stallMs)} ms (${ms(s.loopP99Ms)} ms) | ${ms(s.gcMaxMs)} ms, ${Math.round(s.gcTotalMs)} ms | ${s.lost} | ${round.closes} | ${share(round.clientsCpuMs)} of a core, ${ms(round.clientsLoopMaxMs)} ms, ${ms(round.maxLateMs)} ms | ${share(round.othersCpuMs)} | ${round.connectS.toFixed(1)} s | ${round.restart.clients}, ${round.restart.readyS.toFixed(1)} s, ${round.restart.backS.toFixed(1)} s${round.restart.missing > 0 ? ` (**${round.restart.missing} not back**)` : ''} |`,
    );
  });
  print();
  const lost = rounds.reduce((n, round) => n + round.lost + round.warmupLost, 0);
  const closes = rounds.reduce((n, round) => n + round.closes, 0);
  print(
    lost === 0 && closes === 0
      ? 'Every check-in reached every dashboard of its site; no connection closed.'
      : `**${lost} check-ins did not reach every dashboard within 30 s; ${closes} connections closed.**`,
  );
  const trees = new Set(rounds.filter((round) => round.kind !== 'relay').map((r) => r.tree));
  if (trees.size > 1)
    print(
      `**The Headcount rounds ran different code (${[...trees].join(', ')}): the server was changed during the run, and its medians mix them.**`,
    );
  print();
  if (idle.length > 0) {
    print(
      `Idle connections: ${idle[0]?.clients.toLocaleString('en')} clients, each with its own websocket, authenticated as kiosks (8 sockets per paired device, Headcount's limit), on the site document without awareness, connected in batches; the server's VmRSS 5 s after the last connected, less its VmRSS before the first (Headcount ×2: the instance they connect to).`,
    );
    print();
    print('| server | clients | RSS before → after | per connection | connect |');
    print('| --- | ---: | ---: | ---: | ---: |');
    for (const result of idle)
      print(
        `| ${LABEL[result.kind]} | ${result.clients.toLocaleString('en')} | ${mib(result.rssBeforeMiB)} → ${mib(result.rssAfterMiB)} | ${(((result.rssAfterMiB - result.rssBeforeMiB) * 1024) / result.clients).toFixed(1)} KB | ${result.connectS.toFixed(1)} s |`,
      );
    print();
  }
  return lines;
}
