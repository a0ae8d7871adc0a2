import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from './database';
import { until } from './testing/testServer';
import { WalCheckpoints } from './WalCheckpoints';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('WalCheckpoints', () => {
  it('[R3] copies the log into the database file from a worker thread, not from the writing connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-wal-'));
    dirs.push(dir);
    const db = SqliteDatabase.open(dir);
    const reports: { frames: number; checkpointed: number }[] = [];
    const checkpoints = new WalCheckpoints(db, {
      intervalMs: 20,
      onCheckpoint: (frames, checkpointed) => reports.push({ frames, checkpointed }),
    });
    try {
      // The writing connection would checkpoint only past ~40 MB of log.
      expect(db.raw.pragma('wal_autocheckpoint', { simple: true })).toBe(
        WalCheckpoints.FALLBACK_PAGES,
      );
      // About 8 MB: past the 1000 pages at which SQLite would have checkpointed on this thread.
      for (let i = 0; i < 20; i++) {
        await db.run('insert into documents (name, state, updated_at) values (?, ?, 0)', [
          `doc-${i}`,
          Buffer.alloc(400_000, i),
        ]);
      }
      await until(
        () => reports.some((r) => r.frames > 1000 && r.checkpointed === r.frames),
        'a checkpoint of the whole log by the worker',
      );
    } finally {
      await checkpoints.stop();
      await db.close();
    }
  });
});
