import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { recordEvent, watchEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { eventIdFromBytes, newEventId } from '../shared/eventId';
import { localDayOf } from '../shared/localTime';
import { connectClient } from './load/clients';
import {
  cpuMsOf,
  prepareWorktree,
  repo,
  SITE,
  sleep,
  startVersion,
  waitFor,
  ZONE,
} from './versionServers';

/** main before issue #9: its server stores documents through @hocuspocus/extension-database. */
export const BEFORE_COMMIT = '59a5ec2';

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
  const kiosk = connectClient(
    server.ws,
    name,
    (server.kiosks[0] as { token: string }).token,
    kioskDoc,
  );
  const dashboard = connectClient(server.ws, name, server.staffToken, dashboardDoc);
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

    const writer = {
      role: 'kiosk' as const,
      id: (server.kiosks[0] as { deviceId: string }).deviceId,
    };
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
  const { SqliteDatabase } = await import('../sync-server/database');
  const { DocumentStore } = await import('../sync-server/DocumentStore');
  const dir = mkdtempSync(join(tmpdir(), 'headcount-bench-append-'));
  const db = SqliteDatabase.open(dir);
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
      await store.append(name, update);
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
    await db.close();
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
