import type { FeedItem } from '../../shared/DayLedger';

/** Least time between two toasts, ms: a burst at opening time becomes one summary. */
export const TOAST_GAP_MS = 5_000;
/** Least time between two screen-reader announcements, ms (WCAG 4.1.3 without chatter). */
export const ANNOUNCE_GAP_MS = 15_000;

/**
 * Turns the live feed into throttled notices of new arrivals ([B3]). Arrivals are visit starts
 * dated from when the dashboard opened on: the day that syncs in after opening (or after a
 * network drop) is not news, however late it arrives. Names wait in a queue and come out as one
 * summary at most once per gap.
 */
export class ArrivalNotices {
  private readonly gapMs: number;
  private readonly since: number;
  private readonly seen = new Set<string>();
  private queued: string[] = [];
  private lastAt = Number.NEGATIVE_INFINITY;

  /** `since`: when the dashboard opened (ms); earlier check-ins are never announced. */
  constructor(gapMs: number, since = Date.now()) {
    this.gapMs = gapMs;
    this.since = since;
  }

  /** Takes the newest feed (newest first) and queues members who arrived since the last one. */
  observe(feed: readonly FeedItem[]): void {
    const fresh = feed
      .filter(
        (item) =>
          item.outcome === 'visit-start' &&
          !item.voided &&
          item.at >= this.since &&
          !this.seen.has(item.ref),
      )
      .reverse();
    for (const item of fresh) {
      // By ref: two kiosks' check-ins may share an id and are two arrivals ([E2]).
      this.seen.add(item.ref);
      this.queued.push(item.name);
    }
  }

  /** The summary to show now, or null while nothing is queued or the last one is too recent. */
  next(now: number): string | null {
    if (this.queued.length === 0 || now - this.lastAt < this.gapMs) return null;
    this.lastAt = now;
    return summarizeArrivals(this.queued.splice(0));
  }

  /** When `next` can give the queued summary, or null when nothing waits. */
  dueAt(): number | null {
    return this.queued.length === 0 ? null : this.lastAt + this.gapMs;
  }

  /** Forgets what is queued (notices paused: nothing piles up to burst out later). */
  drop(): void {
    this.queued = [];
  }
}

/** "Ana Lima checked in", "Ana Lima and Bob Stone checked in", "Ana, Bob and 3 others …". */
export function summarizeArrivals(names: readonly string[]): string {
  const [first, second] = names;
  if (names.length === 1) return `${first} checked in`;
  if (names.length === 2) return `${first} and ${second} checked in`;
  const others = names.length - 2;
  return `${first}, ${second} and ${others} other${others === 1 ? '' : 's'} checked in`;
}
