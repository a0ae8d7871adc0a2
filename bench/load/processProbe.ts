/**
 * What the bench reads about a server process from outside, identically for both servers: CPU
 * time and memory from /proc, and event-loop stalls from the preloaded `loopMonitor.mjs`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK_TICKS, cpuMsOf, sleep } from '../versionServers';

/** The preload module, for `node --import`. */
export const LOOP_MONITOR = fileURLToPath(new URL('./loopMonitor.mjs', import.meta.url));

/**
 * CPU time all processes on the machine have had so far, ms over all cores (/proc/stat user,
 * nice and system; interrupt time is left out, as loopback traffic of our own shows up there).
 * Less the bench's own processes, it shows what else ran during a round.
 */
export function machineBusyMs(): number {
  const fields = (/^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? '')
    .split(/\s+/)
    .map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const busy = (fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0);
  return (busy * 1000) / CLOCK_TICKS;
}

/** A /proc/<pid>/status field in kB as MiB (VmRSS now, VmHWM the peak since start). */
export function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

export interface LoopReport {
  readonly seq: number;
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly count: number;
  /** The longest garbage-collection pause, and all of them together, ms. */
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
}

export interface MeasuredPart {
  readonly cpuMs: number;
  readonly seconds: number;
  /** Largest VmRSS sampled every 100 ms during the part, MiB. */
  readonly rssPeakMiB: number;
  /** VmHWM at the end: the peak since the process started (setup and seeding too), MiB. */
  readonly hwmMiB: number;
  readonly loop: LoopReport;
}

/** Samples VmRSS often enough to catch a store's or a sync's peak, for as long as it runs. */
const RSS_SAMPLE_MS = 100;

export class ProcessProbe {
  private seq = 0;

  constructor(
    readonly pid: number,
    /** The file `loopMonitor.mjs` writes: LOOP_MONITOR_FILE in the child's environment. */
    readonly loopFile: string,
  ) {}

  static loopFileIn(dir: string): string {
    return join(dir, 'loop-monitor.json');
  }

  /** Asks the child's loop monitor for its histogram since the last ask, and resets it. */
  async loop(): Promise<LoopReport> {
    const want = ++this.seq;
    process.kill(this.pid, 'SIGUSR2');
    let report: LoopReport | null = null;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (existsSync(this.loopFile)) {
        report = JSON.parse(readFileSync(this.loopFile, 'utf8')) as LoopReport;
        if (report.seq === want) return report;
      }
      await sleep(10);
    }
    throw new Error(`no loop report ${want} from ${this.pid} within 30 s (last ${report?.seq})`);
  }

  /** Starts a measured part: loop histogram reset, CPU noted, RSS sampled until `end`. */
  async start(): Promise<{ end: () => Promise<MeasuredPart> }> {
    await this.loop();
    const cpu0 = cpuMsOf(this.pid);
    const t0 = performance.now();
    let rssPeakMiB = statusMiB(this.pid, 'VmRSS');
    const sampler = setInterval(() => {
      try {
        rssPeakMiB = Math.max(rssPeakMiB, statusMiB(this.pid, 'VmRSS'));
      } catch {
        // The process is gone; `end` reports that.
      }
    }, RSS_SAMPLE_MS);
    return {
      end: async () => {
        clearInterval(sampler);
        const cpuMs = cpuMsOf(this.pid) - cpu0;
        const seconds = (performance.now() - t0) / 1000;
        rssPeakMiB = Math.max(rssPeakMiB, statusMiB(this.pid, 'VmRSS'));
        const hwmMiB = statusMiB(this.pid, 'VmHWM');
        return { cpuMs, seconds, rssPeakMiB, hwmMiB, loop: await this.loop() };
      },
    };
  }
}

/** What a round measures on its server: one process, or several (`ProbeGroup`). */
export interface Probe {
  start(): Promise<{ end: () => Promise<MeasuredPart> }>;
}

/**
 * The processes of one deployment measured together (two instances): CPU, RSS and GC time
 * added up, the longest stall and pause of either.
 */
export class ProbeGroup implements Probe {
  constructor(private readonly probes: readonly ProcessProbe[]) {}

  async start(): Promise<{ end: () => Promise<MeasuredPart> }> {
    const parts = await Promise.all(this.probes.map((probe) => probe.start()));
    return {
      end: async () => {
        const ended = await Promise.all(parts.map((part) => part.end()));
        const sum = (pick: (part: MeasuredPart) => number) =>
          ended.reduce((n, part) => n + pick(part), 0);
        const most = (pick: (part: MeasuredPart) => number) => Math.max(...ended.map(pick));
        return {
          cpuMs: sum((part) => part.cpuMs),
          seconds: most((part) => part.seconds),
          rssPeakMiB: sum((part) => part.rssPeakMiB),
          hwmMiB: sum((part) => part.hwmMiB),
          loop: {
            seq: 0,
            maxMs: most((part) => part.loop.maxMs),
            p99Ms: most((part) => part.loop.p99Ms),
            meanMs: sum((part) => part.loop.meanMs) / ended.length,
            count: sum((part) => part.loop.count),
            gcMaxMs: most((part) => part.loop.gcMaxMs),
            gcTotalMs: sum((part) => part.loop.gcTotalMs),
          },
        };
      },
    };
  }
}
