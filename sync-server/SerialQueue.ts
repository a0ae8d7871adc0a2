/** A job dropped, or refused, because the queue is closing: it never ran. */
export class QueueClosed extends Error {
  constructor() {
    super('the queue is closing');
  }
}

type Job = {
  readonly run: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
};

/**
 * Runs async jobs one at a time: a job that yields between slices is never interleaved with
 * another touching the same state. Urgent jobs (a store someone is waiting for) go before
 * background ones (a catch-up rebuild), which wait for a moment when nothing urgent is queued.
 */
export class SerialQueue {
  private readonly urgent: Job[] = [];
  private readonly background: Job[] = [];
  private running = false;
  private closing = false;

  /** Queues a job; settles with it. Rejects with `QueueClosed` once the queue is closing. */
  add(priority: 'urgent' | 'background', run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closing && priority === 'background') return reject(new QueueClosed());
      (priority === 'urgent' ? this.urgent : this.background).push({ run, resolve, reject });
      void this.drain();
    });
  }

  /** Settles once every job queued so far (and any urgent one queued meanwhile) has run. */
  settled(): Promise<void> {
    return this.add(this.closing ? 'urgent' : 'background', async () => {});
  }

  /**
   * The server is closing: background jobs not started yet are dropped and reject with
   * `QueueClosed`, and so do background jobs added from now on. Urgent ones (stores) still run.
   */
  close(): void {
    this.closing = true;
    for (const job of this.background.splice(0)) job.reject(new QueueClosed());
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Ends when both lists are empty; each job is taken out before it runs.
      for (;;) {
        const job = this.urgent.shift() ?? this.background.shift();
        if (!job) return;
        try {
          await job.run();
          job.resolve();
        } catch (error) {
          job.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
