/**
 * Work that grows with a document (a day's record rebuilt, a retention sweep) runs in slices on
 * the event loop: after each piece the caller asks `pause()`, which yields to sockets and timers
 * once the slice has run for `budgetMs`. Check-ins keep flowing while a 10 000-entry day is
 * rebuilt; only the rebuild takes longer.
 */
export class TimeSlicer {
  /** Milliseconds of work between two yields. 4 ms: well under the 10 ms stall target (#14). */
  static readonly DEFAULT_BUDGET_MS = 4;
  private readonly budgetMs: number;
  private sliceStart = performance.now();

  constructor(budgetMs = TimeSlicer.DEFAULT_BUDGET_MS) {
    this.budgetMs = budgetMs;
  }

  /** Whether the current slice has used its budget (the caller should end a transaction). */
  get due(): boolean {
    return performance.now() - this.sliceStart >= this.budgetMs;
  }

  /** Yields to the event loop when the slice is due; otherwise returns at once. */
  async pause(): Promise<void> {
    if (!this.due) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}
