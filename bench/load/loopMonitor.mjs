/**
 * Preloaded into both servers under test (`node --import <this file> …`), so their event-loop
 * stalls are measured the same way whatever runs inside: a 1 ms event-loop delay histogram.
 *
 * The bench talks to it by signal and file because that works for any child, a server it did not
 * write included: on SIGUSR2 the histogram so far is written to LOOP_MONITOR_FILE (atomically,
 * with a sequence number so the reader knows it is fresh) and then reset. One signal when the
 * measured part starts (that report is discarded), one when it ends.
 *
 * Plain JavaScript (not TypeScript) so it loads before tsx, and does nothing without the variable.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.LOOP_MONITOR_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Garbage-collection pauses, to tell a stall the code caused from one the collector did.
  let gcMaxMs = 0;
  let gcTotalMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
      gcTotalMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  let seq = 0;
  process.on('SIGUSR2', () => {
    seq++;
    const count = histogram.count;
    const report = {
      seq,
      pid: process.pid,
      // Nanoseconds in the histogram; milliseconds in the report.
      maxMs: count > 0 ? histogram.max / 1e6 : 0,
      p99Ms: count > 0 ? histogram.percentile(99) / 1e6 : 0,
      meanMs: count > 0 ? histogram.mean / 1e6 : 0,
      count,
      gcMaxMs,
      gcTotalMs,
    };
    gcMaxMs = 0;
    gcTotalMs = 0;
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
    histogram.reset();
  });
}
