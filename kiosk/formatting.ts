/**
 * Times and durations as people at a gym read them. Times are shown in the site's zone when it
 * is given (a phone abroad still shows the gym's clock), else in the device's.
 */
const clocks = new Map<string, Intl.DateTimeFormat>();

/** `18:05` (or `6:05 PM`, as the device's locale writes times). */
export function formatClock(at: number, timeZone?: string): string {
  const key = timeZone ?? '';
  let format = clocks.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat([], {
      hour: '2-digit',
      minute: '2-digit',
      ...(timeZone ? { timeZone } : {}),
    });
    clocks.set(key, format);
  }
  return format.format(at);
}

/** `1 h 12 min`, `45 min`; at least one minute, since "0 min" reads like an error. */
export function formatStay(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}
