/**
 * Kiosk → dashboard latency of one client process: a check-in counts as delivered when the last
 * dashboard of its site has it, and its latency is the time from the kiosk's write to then.
 */
export class LatencyTracker {
  /** Written and not yet in every dashboard: write time, site, dashboards still to see it. */
  private readonly pending = new Map<string, { at: number; site: number; missing: number }>();
  latencies: number[] = [];
  seededLatencies: number[] = [];
  written = 0;

  constructor(
    /** Dashboards per site index. */
    private readonly dashboardsAt: ReadonlyMap<number, number>,
    private readonly seededSite: number,
  ) {}

  get outstanding(): number {
    return this.pending.size;
  }

  wrote(id: string, site: number, at: number): void {
    this.written++;
    this.pending.set(id, { at, site, missing: this.dashboardsAt.get(site) ?? 0 });
  }

  /** A dashboard's document got entry `id` at `now` (ids not written here are ignored). */
  seen(id: string, now: number): void {
    const write = this.pending.get(id);
    if (!write) return;
    write.missing--;
    if (write.missing > 0) return;
    this.pending.delete(id);
    this.latencies.push(now - write.at);
    if (write.site === this.seededSite) this.seededLatencies.push(now - write.at);
  }

  /** Starts a new phase: samples and counts from here on. What is still pending is lost. */
  reset(): { lost: number } {
    const lost = this.pending.size;
    this.pending.clear();
    this.latencies = [];
    this.seededLatencies = [];
    this.written = 0;
    return { lost };
  }
}
