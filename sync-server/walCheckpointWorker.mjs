// Runs in a worker thread (WalCheckpoints.ts): checkpoints the server's SQLite WAL on its own
// connection, so that copying the log into the database file and its fsync never run on the
// event loop that relays check-ins. Plain JavaScript: a worker needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');

function checkpoint() {
  try {
    // PASSIVE: copies what it can without waiting for, or blocking, readers and writers.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort?.postMessage({ frames: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort?.postMessage({ error: String(error) });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer);
    checkpoint();
    db.close();
    parentPort?.close();
  }
});
