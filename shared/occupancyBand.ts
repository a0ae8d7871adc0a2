/**
 * How busy a site is, in words, from the share of its capacity in use ([S9]): the one rule the
 * dashboard's "currently in" tile and the public page ([P1]) both follow.
 */

/** Share of capacity, whole percent, from which a site is busy: the desk's orange warning. */
export const BUSY_PERCENT = 80;
/** Share of capacity, whole percent, from which a site is very busy: the desk's red warning. */
export const VERY_BUSY_PERCENT = 90;

export const OCCUPANCY_BANDS = ['quiet', 'busy', 'very-busy'] as const;
export type OccupancyBand = (typeof OCCUPANCY_BANDS)[number];

/**
 * `count` as a share of `capacity` in whole percent (rounded, as the dashboard shows it); null
 * when the site sets no capacity (or a value that is not one: never throws on data).
 */
export function percentOfCapacity(count: number, capacity: number | null): number | null {
  if (capacity === null || !Number.isFinite(capacity) || capacity <= 0) return null;
  if (!Number.isFinite(count) || count < 0) return null;
  return Math.round((count / capacity) * 100);
}

/** The band of `count` people at a site that holds `capacity`; null without a capacity. */
export function occupancyBand(count: number, capacity: number | null): OccupancyBand | null {
  const percent = percentOfCapacity(count, capacity);
  if (percent === null) return null;
  if (percent >= VERY_BUSY_PERCENT) return 'very-busy';
  if (percent >= BUSY_PERCENT) return 'busy';
  return 'quiet';
}
