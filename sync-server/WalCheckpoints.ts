import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database';

export interface WalCheckpointsConfiguration {
  /** How often the worker checkpoints, ms. Default 1000: the log stays a few MB at most. */
  intervalMs?: number;
  /** After each checkpoint: frames in the log, and how many of them are in the database file. */
  onCheckpoint?: (frames: number, checkpointed: number) => void;
  onError?: (message: string) => void;
}

/**
 * Checkpoints the WAL of the server's SQLite database from a worker thread (only SQLite has
 * one). SQLite otherwise checkpoints in whichever connection commits the 1000th page, on the
 * event loop: 5-16 ms of copying and fsync every few stores of a busy day (docs/BENCHMARKS.md,
 * issue 14). The main connection keeps a far higher automatic threshold as a safety net, should
 * the worker die.
 */
export class WalCheckpoints {
  /** Pages of log after which the main connection checkpoints by itself (about 40 MB). */
  static readonly FALLBACK_PAGES = 10_000;
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;

  /** Only for a database in a file: an in-memory one has no log to checkpoint. */
  constructor(db: SqliteDatabase, configuration: WalCheckpointsConfiguration = {}) {
    db.raw.pragma(`wal_autocheckpoint = ${WalCheckpoints.FALLBACK_PAGES}`);
    this.worker = new Worker(new URL('./walCheckpointWorker.mjs', import.meta.url), {
      workerData: { file: db.raw.name, intervalMs: configuration.intervalMs ?? 1000 },
    });
    // Never rejects: a worker that failed has exited too, and the server must not fall over
    // with it (the fallback threshold keeps the log bounded).
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.on(
      'message',
      (message: { frames?: number; checkpointed?: number; error?: string }) => {
        if (message.error !== undefined) configuration.onError?.(message.error);
        else configuration.onCheckpoint?.(message.frames ?? 0, message.checkpointed ?? 0);
      },
    );
    this.worker.on('error', (error) => configuration.onError?.(String(error)));
    // A server that exits must not wait for it.
    this.worker.unref();
  }

  /** A last checkpoint, then the worker ends. */
  async stop(): Promise<void> {
    // Kept alive until it has closed its connection.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
