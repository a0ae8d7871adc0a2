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

/**
 * `1 h 12 min`, `45 min`, or `under a minute`: a 3-second stay is not "1 min" (the feed and the
 * reports keep the exact times).
 */
export function formatStay(ms: number): string {
  if (ms < 60_000) return 'under a minute';
  const minutes = Math.round(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

const weekdays = new Map<string, Intl.DateTimeFormat>();

/** `18:05` today, `Fri 23:04` on another day (in the site's zone when given). */
export function formatWhen(at: number, now: number, timeZone?: string): string {
  const key = timeZone ?? '';
  let day = weekdays.get(key);
  if (!day) {
    day = new Intl.DateTimeFormat([], {
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(timeZone ? { timeZone } : {}),
    });
    weekdays.set(key, day);
  }
  const sameDay = day.format(at) === day.format(now);
  if (sameDay) return formatClock(at, timeZone);
  const weekday = day.formatToParts(at).find((part) => part.type === 'weekday')?.value ?? '';
  return `${weekday} ${formatClock(at, timeZone)}`;
}

/**
 * What a device still has to deliver, in one line ([D6]): `All check-ins synced`, or
 * `12 waiting to sync since Fri 23:04`, and how many the server no longer takes ([W3]).
 */
export function formatBacklog(
  backlog: { pending: number; oldestAt: number | null; tooOld: number },
  now: number,
  timeZone?: string,
): string {
  if (backlog.pending === 0) return 'All check-ins synced';
  const since =
    backlog.oldestAt === null ? '' : ` since ${formatWhen(backlog.oldestAt, now, timeZone)}`;
  const tooOld = backlog.tooOld === 0 ? '' : `; ${backlog.tooOld} too old to send: tell staff`;
  return `${backlog.pending} waiting to sync${since}${tooOld}`;
}
