import type { CheckinsReplica } from './CheckinsReplica';
import type { LiveDays } from './LiveDays';

/**
 * Least time between two recoveries, ms. Default 30 s: a server that refuses the same day again
 * at once (a bug on either side) must not turn recovery into a reconnect loop.
 */
const MIN_INTERVAL_MS = 30_000;

/**
 * What a kiosk or a dashboard does when the server refuses an update of its own to a day's
 * document ([W5] in SPEC.md). The refused content stays in this device's copy and would be sent
 * again on every reconnect, so the day starts again from the server's copy on a new socket (the
 * server keeps routing a closed document's messages on the old one), and this device appends
 * again its own valid entries: at once those the server had not acknowledged, and once synced
 * any other of its own the server does not hold (it may have lost them with a restored backup).
 * They keep their ids, so an entry the server had counts once ([E1]). Content that is not a
 * valid entry of this device is dropped.
 *
 * A day refused for its quota ([W4]) is left as it is: starting again cannot help, and its
 * entries stay counted as waiting to sync.
 */
export class RefusalRecovery {
  /** How often a refused update was recovered from. */
  recoveries = 0;
  private running = false;
  private last = Number.NEGATIVE_INFINITY;
  private readonly restart: () => Promise<LiveDays | null>;

  /** `restart` closes the device's connection, opens a new one and returns its days. */
  constructor(restart: () => Promise<LiveDays | null>) {
    this.restart = restart;
  }

  async recover(refused: CheckinsReplica): Promise<void> {
    if (this.running || refused.refusedWith === 'quota-exceeded') return;
    this.running = true;
    try {
      const wait = this.last + MIN_INTERVAL_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.last = Date.now();
      await refused.discard();
      // Read after the copy is gone: entries written meanwhile went into `refused` too.
      const unsent = refused.unacknowledged();
      const own = refused.ownEntries();
      const days = await this.restart();
      // An older day still delivering is reopened from the list of undelivered days ([D6]).
      const fresh = [...(days?.documents ?? []), ...(days?.delivering ?? [])].find(
        (replica) => replica.day === refused.day,
      );
      if (!fresh) return;
      fresh.reapply(unsent);
      this.recoveries++;
      void fresh.whenSynced().then(() => fresh.reapplyMissing(own));
    } finally {
      this.running = false;
    }
  }
}
