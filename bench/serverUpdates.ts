/**
 * The server's cost per accepted check-in, before and after the durable update log of issue #9
 * (`npm run bench -- --server`). Both servers run side by side in one run, each as its own
 * process: "before" from a git worktree of the commit before the change, "after" from this
 * working tree. Rounds alternate between them, because the machine is shared and noisy.
 *
 * One round: a fresh DATA_DIR, the first admin made with that version's CLI, a kiosk paired and
 * a staff token got through the HTTP API; then a kiosk provider writes check-ins at a steady
 * rate into today's document while a dashboard provider watches the same document. Measured:
 * kiosk → dashboard (the write until the entry is in the dashboard's Y.Doc), the kiosk's
 * acknowledgement round trip (the write until the server's SyncStatus for it), and the server
 * process's CPU time (utime + stime from /proc) per update, stores and records included.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { recordEvent, watchEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { eventIdFromBytes, newEventId } from '../shared/eventId';
import { localDayOf } from '../shared/localTime';

/** main before issue #9: its server stores documents through @hocuspocus/extension-database. */
export const BEFORE_COMMIT = '59a5ec2';

const SITE = 'riverside';
const ZONE = 'Europe/Amsterdam';
const PASSWORD = 'correct horse battery staple';

export interface ServerRound {
  readonly version: 'before' | 'after';
  /** Check-ins written (and acknowledged) in the measured part of the round. */
  readonly updates: number;
  /** Milliseconds from a kiosk's write to the entry in the dashboard's document. */
  readonly relayMs: number[];
  /** Milliseconds from a kiosk's write to the server's acknowledgement of it. */
  readonly ackMs: number[];
  /** Server CPU time (user + system) over the measured part, milliseconds. */
  readonly cpuMs: number;
  /** Seconds the measured part lasted (load, catching up, the last store). */
  readonly elapsedS: number;
  /** Server CPU time per second with both clients connected and nothing written, ms/s. */
  readonly idleCpuMsPerS: number;
  /** Stores of the day's document in the measured part, and their total seconds (/metrics). */
  readonly stores: number;
  readonly storeSeconds: number;
  /** Writes never acknowledged or never seen by the dashboard within the drain time. */
  readonly missing: number;
  /** Times the kiosk's socket closed during the round (each breaks the ack pairing). */
  readonly closes: number;
}

export interface ServerComparison {
  readonly rounds: ServerRound[];
  readonly rate: number;
  readonly seconds: number;
  /** `DocumentStore.append` alone, in a WAL database like the server's. */
  readonly append: AppendCost;
}

export interface AppendCost {
  readonly p50Us: number;
  readonly meanUs: number;
  /** The slowest append: the one that checkpointed the WAL (with fsync). */
  readonly maxUs: number;
  /** CPU (user + system) per append. */
  readonly cpuUs: number;
}

export interface ServerOptions {
  /** Rounds per version, alternated before/after. Default 3. */
  roundsEach?: number;
  /** Check-ins per second from the kiosk. Default 50. */
  rate?: number;
  /** Measured seconds of load per round. Default 20 (after 2 s of warm-up). */
  seconds?: number;
  log?: (line: string) => void;
}

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A worktree of `commit` that runs with this checkout's node_modules: every package linked, plus
 * the direct dependencies that commit had and this checkout no longer installs (fetched with
 * `npm pack` at the version of that commit's lockfile; npm's cache serves later runs).
 */
function prepareWorktree(commit: string): { root: string; remove: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'headcount-before-'));
  const root = join(parent, 'tree');
  execFileSync('git', ['worktree', 'add', '--detach', root, commit], { cwd: repo, stdio: 'pipe' });
  const remove = () => {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: repo, stdio: 'pipe' });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  };
  try {
    const modules = join(root, 'node_modules');
    const ours = join(repo, 'node_modules');
    mkdirSync(modules);
    for (const entry of readdirSync(ours)) {
      if (entry.startsWith('@') && lstatSync(join(ours, entry)).isDirectory()) {
        // A real scope folder, so that a missing package of the scope can be added to it.
        mkdirSync(join(modules, entry));
        for (const inner of readdirSync(join(ours, entry)))
          symlinkSync(join(ours, entry, inner), join(modules, entry, inner));
      } else symlinkSync(join(ours, entry), join(modules, entry));
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    for (const name of Object.keys(manifest.dependencies)) {
      if (existsSync(join(modules, name))) continue;
      const version = lock.packages[`node_modules/${name}`]?.version;
      if (!version) throw new Error(`${commit} needs ${name}, which its lockfile does not pin`);
      const packed = join(parent, 'packed');
      mkdirSync(packed, { recursive: true });
      const [info] = JSON.parse(
        execFileSync(
          'npm',
          [
            'pack',
            `${name}@${version}`,
            '--json',
            '--prefer-offline',
            '--pack-destination',
            packed,
          ],
          { cwd: parent, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      ) as { filename: string }[];
      const unpacked = join(packed, name.replace('/', '+'));
      mkdirSync(unpacked, { recursive: true });
      execFileSync('tar', [
        '-xzf',
        join(packed, (info as { filename: string }).filename),
        '-C',
        unpacked,
      ]);
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      cpSync(join(unpacked, 'package'), join(modules, name), { recursive: true });
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { root, remove };
}

interface RunningVersion {
  readonly child: ChildProcess;
  readonly http: string;
  readonly ws: string;
  readonly kiosk: { deviceId: string; token: string };
  readonly staffToken: string;
  stop(): Promise<void>;
}

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat times (100 on Linux as a rule). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time of a process so far, milliseconds (all its threads). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / CLOCK_TICKS;
}

async function startVersion(root: string): Promise<RunningVersion> {
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-bench-data-'));
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SITE_ID: SITE,
    SITE_TIME_ZONE: ZONE,
    LOG_LEVEL: 'silent',
  };
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'sync-server/cli.ts', 'create-admin', '--username', 'boss'],
    { cwd: root, env, input: `${PASSWORD}\n`, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const http = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
        try {
          return (await fetch(`${http}/readyz`)).ok;
        } catch {
          return false;
        }
      },
      `the server in ${root}`,
      30_000,
    );
    const api = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
      const response = await fetch(`${http}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const session = await api<{ accessToken: string }>('/api/session', {
      username: 'boss',
      password: PASSWORD,
    });
    const { code } = await api<{ code: string }>(
      '/api/pairing-codes',
      { name: 'Bench door', siteId: SITE },
      session.accessToken,
    );
    const paired = await api<{ deviceId: string; deviceSecret: string }>('/api/devices/pair', {
      code,
      appVersion: 'bench',
    });
    const device = await api<{ accessToken: string }>('/api/devices/token', paired);
    return {
      child,
      http,
      ws: `ws://127.0.0.1:${port}`,
      kiosk: { deviceId: paired.deviceId, token: device.accessToken },
      staffToken: session.accessToken,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function providerFor(url: string, name: string, token: string, doc: Y.Doc) {
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket });
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    document: doc,
    token,
  });
  provider.attach();
  const synced = new Promise<void>((resolve, reject) => {
    provider.on('synced', () => resolve());
    provider.on('authenticationFailed', ({ reason }: { reason: string }) =>
      reject(new Error(`refused: ${reason}`)),
    );
  });
  return {
    provider,
    synced,
    destroy() {
      provider.destroy();
      socket.destroy();
    },
  };
}

/** Sums of a Prometheus histogram for one label set, from the /metrics text. */
async function storeMetrics(http: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const read = (suffix: string) =>
    Number(
      new RegExp(
        `^headcount_store_duration_seconds_${suffix}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`,
        'm',
      ).exec(text)?.[1] ?? 0,
    );
  return { count: read('count'), sum: read('sum') };
}

async function runRound(
  version: 'before' | 'after',
  root: string,
  rate: number,
  seconds: number,
): Promise<ServerRound> {
  const server = await startVersion(root);
  const day = localDayOf(Date.now(), ZONE);
  const name = checkinsDocName(SITE, day);
  const kioskDoc = new Y.Doc();
  const dashboardDoc = new Y.Doc();
  const kiosk = providerFor(server.ws, name, server.kiosk.token, kioskDoc);
  const dashboard = providerFor(server.ws, name, server.staffToken, dashboardDoc);
  try {
    await Promise.all([kiosk.synced, dashboard.synced]);
    // The acknowledgement of the kiosk's own first sync message: before pairing writes to acks.
    await waitFor(() => !kiosk.provider.hasUnsyncedChanges, 'the first sync', 30_000);
    let closes = 0;
    kiosk.provider.on('close', () => closes++);

    let recording = false;
    const writtenAt = new Map<string, number>();
    const relayMs: number[] = [];
    const ackMs: number[] = [];
    let seen = 0;
    watchEntries(dashboardDoc, day, (added) => {
      const now = performance.now();
      for (const entry of added) {
        const id = eventIdFromBytes((entry.value as unknown[])[1]);
        const at = id === null ? undefined : writtenAt.get(id);
        if (at === undefined) continue;
        seen++;
        if (recording) relayMs.push(now - at);
      }
    });
    // The server acknowledges a connection's updates one by one, in order: the k-th
    // decrement of the unsynced count answers the k-th write still waiting.
    const waiting: { at: number; measured: boolean }[] = [];
    let unsynced = 0;
    let acknowledged = 0;
    kiosk.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
      if (number < unsynced) {
        const now = performance.now();
        for (let i = number; i < unsynced; i++) {
          const write = waiting.shift();
          if (!write) continue;
          acknowledged++;
          if (write.measured) ackMs.push(now - write.at);
        }
      }
      unsynced = number;
    });

    const writer = { role: 'kiosk' as const, id: server.kiosk.deviceId };
    let written = 0;
    const write = (measured: boolean) => {
      const at = Date.now();
      const id = newEventId(at);
      const t = performance.now();
      writtenAt.set(id, t);
      waiting.push({ at: t, measured });
      written++;
      recordEvent(
        kioskDoc,
        writer,
        { kind: 'checkIn', memberId: `M${written}` },
        { id, at, clockTrusted: true, method: 'qr' },
      );
    };
    const load = async (count: number, measured: boolean) => {
      const interval = 1000 / rate;
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        await sleep(start + i * interval - performance.now());
        write(measured);
      }
    };

    await load(rate * 2, false); // warm-up: JIT, first store
    await waitFor(
      () => acknowledged === written && seen === written,
      'the warm-up to settle',
      30_000,
    );
    // The warm-up's store, then what the server burns with nothing to do (timers, sockets).
    await sleep(2500);
    const idleFrom = performance.now();
    const idleCpu = cpuMsOf(server.child.pid as number);
    await sleep(3000);
    const idleCpuMsPerS =
      (cpuMsOf(server.child.pid as number) - idleCpu) / ((performance.now() - idleFrom) / 1000);
    const storesBefore = await storeMetrics(server.http);
    const from = performance.now();
    const cpuBefore = cpuMsOf(server.child.pid as number);
    recording = true;
    const updates = rate * seconds;
    await load(updates, true);
    const drained = await waitFor(
      () => acknowledged === written && seen === written,
      'the kiosk and the dashboard to catch up',
      30_000,
    ).then(
      () => true,
      () => false,
    );
    // The last store comes 2 s after the last change (Hocuspocus' debounce): it is part of the cost.
    await sleep(2500);
    const cpuMs = cpuMsOf(server.child.pid as number) - cpuBefore;
    const elapsedS = (performance.now() - from) / 1000;
    const storesAfter = await storeMetrics(server.http);
    return {
      version,
      updates,
      relayMs,
      ackMs,
      cpuMs,
      elapsedS,
      idleCpuMsPerS,
      stores: storesAfter.count - storesBefore.count,
      storeSeconds: storesAfter.sum - storesBefore.sum,
      missing: drained ? 0 : written - Math.min(acknowledged, seen),
      closes,
    };
  } finally {
    kiosk.destroy();
    dashboard.destroy();
    await server.stop();
  }
}

/** p50/p95/p99 by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * `DocumentStore.append` on its own, in a WAL database like the server's (this working tree):
 * 5 000 check-ins, enough for the WAL to be checkpointed a few times, as it is in the server.
 */
async function measureAppend(): Promise<AppendCost> {
  const { openDatabase } = await import('../sync-server/database');
  const { DocumentStore } = await import('../sync-server/DocumentStore');
  const dir = mkdtempSync(join(tmpdir(), 'headcount-bench-append-'));
  const db = openDatabase(dir);
  try {
    const store = new DocumentStore(db);
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 5000; i++) {
      const at = Date.now();
      recordEvent(
        doc,
        { role: 'kiosk', id: 'bench' },
        { kind: 'checkIn', memberId: `M${i}` },
        { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
      );
    }
    const name = checkinsDocName(SITE, localDayOf(Date.now(), ZONE));
    const samples: number[] = [];
    const cpu = process.cpuUsage();
    for (const update of updates) {
      const t0 = performance.now();
      store.append(name, update);
      samples.push((performance.now() - t0) * 1000);
    }
    const used = process.cpuUsage(cpu);
    return {
      p50Us: quantile(samples, 0.5),
      meanUs: samples.reduce((a, b) => a + b, 0) / samples.length,
      maxUs: Math.max(...samples),
      cpuUs: (used.user + used.system) / samples.length,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureServerUpdates(options: ServerOptions = {}): Promise<ServerComparison> {
  const { roundsEach = 3, rate = 50, seconds = 20, log = () => {} } = options;
  const before = prepareWorktree(BEFORE_COMMIT);
  const rounds: ServerRound[] = [];
  try {
    for (let i = 0; i < roundsEach; i++) {
      for (const [version, root] of [
        ['before', before.root],
        ['after', repo],
      ] as const) {
        const round = await runRound(version, root, rate, seconds);
        log(
          `  ${version} round ${i + 1}: ack p50 ${quantile(round.ackMs, 0.5).toFixed(2)} ms, relay p50 ${quantile(round.relayMs, 0.5).toFixed(2)} ms, CPU ${((round.cpuMs * 1000) / round.updates).toFixed(0)} µs/update`,
        );
        rounds.push(round);
      }
    }
  } finally {
    before.remove();
  }
  return { rounds, rate, seconds, append: await measureAppend() };
}

/** The comparison as Markdown for docs/BENCHMARKS.md. */
export function printServerComparison(print: (line?: string) => void, r: ServerComparison): void {
  const ms = (v: number, digits = 2) => `${v.toFixed(digits)} ms`;
  const us = (v: number) => `${Math.round(v)} µs`;
  const ratio = (after: number, before: number) => `${(after / before).toFixed(2)}×`;
  const pooled = (version: ServerRound['version']) => {
    const rounds = r.rounds.filter((round) => round.version === version);
    const relay = rounds.flatMap((round) => round.relayMs);
    const ack = rounds.flatMap((round) => round.ackMs);
    const updates = rounds.reduce((n, round) => n + round.updates, 0);
    const cpu = rounds.reduce((n, round) => n + round.cpuMs, 0);
    const idle = rounds.reduce((n, round) => n + round.idleCpuMsPerS * round.elapsedS, 0);
    return {
      rounds: rounds.length,
      updates,
      relay: [0.5, 0.95, 0.99].map((q) => quantile(relay, q)) as [number, number, number],
      ack: [0.5, 0.99].map((q) => quantile(ack, q)) as [number, number],
      cpuUs: (cpu * 1000) / updates,
      netCpuUs: ((cpu - idle) * 1000) / updates,
      stores: rounds.reduce((n, round) => n + round.stores, 0),
      storeMs: rounds.reduce((n, round) => n + round.storeSeconds * 1000, 0),
      missing: rounds.reduce((n, round) => n + round.missing, 0),
      closes: rounds.reduce((n, round) => n + round.closes, 0),
    };
  };
  const before = pooled('before');
  const after = pooled('after');
  print('### Server: cost per accepted check-in, before and after the durable update log');
  print();
  print(
    `One kiosk provider writes ${r.rate} check-ins a second for ${r.seconds} s into today's document (after 2 s of warm-up) while a dashboard provider watches it; both in this Node process, over loopback, against the server as its own process. Rounds alternate before/after, ${before.rounds} each; samples are pooled over a version's rounds. "before" is \`${BEFORE_COMMIT}\` (a git worktree), "after" this working tree. CPU is the server process's utime + stime from /proc over the load, its catching up and the last debounced store; "net" takes off what it burns idle with both clients connected.`,
  );
  print();
  print(
    '| server | updates | kiosk → dashboard p50 / p95 / p99 | ack round trip p50 / p99 | server CPU per update | net of idle | stores (total time) |',
  );
  print('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [label, v] of [
    [`before (\`${BEFORE_COMMIT}\`)`, before],
    ['after (working tree)', after],
  ] as const) {
    print(
      `| ${label} | ${v.updates} | ${v.relay.map((x) => ms(x)).join(' / ')} | ${v.ack.map((x) => ms(x)).join(' / ')} | ${us(v.cpuUs)} | ${us(v.netCpuUs)} | ${v.stores} (${ms(v.storeMs, 1)}) |`,
    );
  }
  print(
    `| after / before | | ${after.relay.map((x, i) => ratio(x, before.relay[i] as number)).join(' / ')} | ${after.ack.map((x, i) => ratio(x, before.ack[i] as number)).join(' / ')} | ${ratio(after.cpuUs, before.cpuUs)} | ${ratio(after.netCpuUs, before.netCpuUs)} | |`,
  );
  print();
  print('Round by round (in the order run):');
  print();
  print(
    '| round | server | kiosk → dashboard p50 / p99 | ack p50 / p99 | CPU per update | idle CPU |',
  );
  print('| ---: | --- | ---: | ---: | ---: | ---: |');
  r.rounds.forEach((round, i) => {
    print(
      `| ${i + 1} | ${round.version} | ${ms(quantile(round.relayMs, 0.5))} / ${ms(quantile(round.relayMs, 0.99))} | ${ms(quantile(round.ackMs, 0.5))} / ${ms(quantile(round.ackMs, 0.99))} | ${us((round.cpuMs * 1000) / round.updates)} | ${round.idleCpuMsPerS.toFixed(1)} ms/s |`,
    );
  });
  print();
  const problems = before.missing + after.missing + before.closes + after.closes;
  print(
    `${problems === 0 ? 'Every write was acknowledged and reached the dashboard; no socket closed.' : `Not caught up or closed: before ${before.missing} writes missing, ${before.closes} closes; after ${after.missing} missing, ${after.closes} closes (acknowledgement times of a round with a close are unreliable).`} The log's own write, \`DocumentStore.append\` alone in a WAL database like the server's (5 000 check-ins, in this process): p50 ${r.append.p50Us.toFixed(1)} µs, mean ${r.append.meanUs.toFixed(1)} µs, slowest ${(r.append.maxUs / 1000).toFixed(1)} ms (a WAL checkpoint); CPU ${r.append.cpuUs.toFixed(1)} µs per append.`,
  );
  print();
}
