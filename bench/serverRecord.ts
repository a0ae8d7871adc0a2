import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import type { onStoreDocumentPayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { recordEvent } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { newEventId } from '../shared/eventId';
import { dayWindow } from '../shared/localTime';
import { DocumentStore } from '../sync-server/DocumentStore';
import { SqliteDatabase } from '../sync-server/database';
import { RecordKeeper } from '../sync-server/RecordKeeper';
import { TimeSlicer } from '../sync-server/TimeSlicer';
import { BENCH_DAY, BENCH_ZONE, recordDay, syntheticDay } from './dayGenerator';
import { type Percentiles, percentiles } from './percentiles';

export interface ServerRecordCost {
  readonly entries: number;
  /** The first store after a start: the day's ledger built and every row written, ms. */
  readonly buildWallMs: number;
  /** Its longest piece of synchronous work between two yields, ms. */
  readonly buildLongestSliceMs: number;
  /** The longest garbage-collection pause meanwhile, ms (it lands inside some slice). */
  readonly buildLongestGcMs: number;
  /** Later stores, each with `batch` new check-ins: wall time per store, ms. */
  readonly follow: Percentiles;
  readonly batch: number;
  /** The longest synchronous piece over all those stores, ms, and the longest GC pause. */
  readonly followLongestSliceMs: number;
  readonly followLongestGcMs: number;
  /** The old full rewrite (every event and visit of the day at every store), for comparison. */
  readonly rewrite: Percentiles;
}

/**
 * What the server's record costs per store of a 10 000-entry day ([R2], [R3]): the incremental
 * `RecordKeeper` against a rebuild of the whole day at every store (what it did before issue
 * 14), in one run, in a WAL database in a temp dir like the server's.
 */
export async function measureServerRecord(stores = 40, batch = 20): Promise<ServerRecordCost> {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-bench-record-'));
  const db = SqliteDatabase.open(dir);
  try {
    const documents = new DocumentStore(db);
    const doc = recordDay(syntheticDay(10_000));
    const entries = doc.getArray('kiosk:front').length * 3;
    const name = checkinsDocName('riverside', BENCH_DAY);
    await db.run(
      "insert into sites (id, name, time_zone, created_at) values ('riverside', 'Riverside', ?, 0)",
      [BENCH_ZONE],
    );
    await documents.store(name, Y.encodeStateAsUpdate(doc));
    const keeper = new RecordKeeper({ db, documents, onRecorded() {} });
    const longest = watchSlices();
    const gc = watchGc();
    const store = async () => {
      longest.begin();
      await keeper.onStoreDocument({ documentName: name, document: doc } as onStoreDocumentPayload);
      longest.end();
    };

    let started = performance.now();
    await store();
    const buildWallMs = performance.now() - started;
    const buildLongestSliceMs = longest.take();
    const buildLongestGcMs = gc.take();

    const { start } = dayWindow(BENCH_DAY, BENCH_ZONE);
    const follow: number[] = [];
    const door = { role: 'kiosk', id: 'front' } as const;
    for (let s = 0; s < stores; s++) {
      for (let i = 0; i < batch; i++) {
        const at = start + 15 * 3_600_000 + (s * batch + i) * 1000;
        recordEvent(
          doc,
          door,
          {
            kind: i % 3 === 2 ? 'checkOut' : 'checkIn',
            memberId: `M${10_000 + ((s * batch + i) % 2000)}`,
          },
          { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
        );
      }
      await documents.store(name, Y.encodeStateAsUpdate(doc));
      started = performance.now();
      await store();
      follow.push(performance.now() - started);
    }
    const followLongestSliceMs = longest.take();
    const followLongestGcMs = gc.take();
    longest.stop();
    gc.stop();

    // Before: a new ledger and every row of the day, at every store.
    const rewrite: number[] = [];
    for (let s = 0; s < Math.min(stores, 10); s++) {
      started = performance.now();
      await keeper.rebuild('riverside', BENCH_DAY);
      rewrite.push(performance.now() - started);
    }
    return {
      entries,
      buildWallMs,
      buildLongestSliceMs,
      buildLongestGcMs,
      follow: percentiles(follow),
      batch,
      followLongestSliceMs,
      followLongestGcMs,
      rewrite: percentiles(rewrite),
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The longest garbage-collection pause since the last `take`. */
function watchGc(): { take(): number; stop(): void } {
  let longest = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longest = Math.max(longest, entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    take() {
      const value = longest;
      longest = 0;
      return value;
    },
    stop() {
      observer.disconnect();
    },
  };
}

/**
 * The longest synchronous stretch between `begin`, the `TimeSlicer` yields and `end`, since the
 * last `take`.
 */
function watchSlices(): { begin(): void; end(): void; take(): number; stop(): void } {
  const original = TimeSlicer.prototype.pause;
  let longest = 0;
  let since = performance.now();
  TimeSlicer.prototype.pause = async function pause(this: TimeSlicer) {
    longest = Math.max(longest, performance.now() - since);
    await original.call(this);
    since = performance.now();
  };
  return {
    begin() {
      since = performance.now();
    },
    end() {
      longest = Math.max(longest, performance.now() - since);
    },
    take() {
      const value = longest;
      longest = 0;
      since = performance.now();
      return value;
    },
    stop() {
      TimeSlicer.prototype.pause = original;
    },
  };
}
