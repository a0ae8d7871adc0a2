export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** p50, p95 and max of some samples (nearest rank). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] as number };
}
