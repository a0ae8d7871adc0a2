import type { EventId } from './eventId';
import { type CheckinEvent, type ClockEvent, EVENT_KINDS } from './events';
import { writerName } from './writer';

/**
 * A correction under this many ms re-times its events without flagging them: clocks corrected by
 * the server offset still differ by milliseconds, which no staff member needs to look at ([T5]).
 */
export const CLOCK_SHIFT_FLAG_MS = 1000;

/**
 * Clock corrections one writer may hold in one day's document ([W4]): one per clock segment (a
 * page load or a clock jump recorded across), so a tablet reloaded every few minutes all day
 * stays under it. Each makes every replica re-time events, hence a bound.
 */
export const MAX_CLOCK_CORRECTIONS_PER_DAY = 200;

const CLOCK_KIND = EVENT_KINDS.indexOf('clock');

/** True for a stored entry of the clock kind (read without parsing: a count, not a check). */
export function isClockCorrectionEntry(value: unknown): boolean {
  return Array.isArray(value) && value[2] === CLOCK_KIND;
}

/**
 * The clock corrections of a day's writers, and which events each one re-times ([T5]). A writer
 * that recorded events before it had measured the server's clock in its current clock segment
 * tags them with the segment; its later `clock` entry for that segment states the measured
 * offset, and every replica then dates those events `deviceTime + offset`. Corrections are
 * keyed by writer and segment, so one writer can never re-time another's events.
 */
export class ClockCorrections {
  /** Per writer and segment: the correction entries held, by entry key. */
  private readonly corrections = new Map<string, Map<string, ClockEvent>>();
  /** Per writer and segment: the correction that applies, chosen when corrections change. */
  private readonly applied = new Map<string, ClockEvent>();
  /** Per writer and segment: the ids of the events that carry it. */
  private readonly carriers = new Map<string, Set<EventId>>();

  /** Notes an event that carries a segment, so that a correction arriving later finds it. */
  track(event: CheckinEvent): void {
    if (event.segment === undefined) return;
    const key = segmentKey(event);
    let ids = this.carriers.get(key);
    if (!ids) {
      ids = new Set();
      this.carriers.set(key, ids);
    }
    ids.add(event.id);
  }

  /** Takes in a correction entry; returns the ids of the events it may re-time. */
  add(entryKey: string, clock: ClockEvent): Iterable<EventId> {
    const key = segmentKey(clock);
    let held = this.corrections.get(key);
    if (!held) {
      held = new Map();
      this.corrections.set(key, held);
    }
    held.set(entryKey, clock);
    this.choose(key);
    return this.carriers.get(key) ?? [];
  }

  /** Takes out a correction entry; returns the ids of the events it may have re-timed. */
  remove(entryKey: string, clock: ClockEvent): Iterable<EventId> {
    const key = segmentKey(clock);
    const held = this.corrections.get(key);
    held?.delete(entryKey);
    if (held?.size === 0) this.corrections.delete(key);
    this.choose(key);
    return this.carriers.get(key) ?? [];
  }

  /**
   * Of several corrections for one segment (a device writes the same measure into each day it
   * touched) the earliest measured applies, then the smallest id, offset, day and entry key:
   * the same one everywhere, whatever order they arrived in ([S7]), even for a writer that put
   * one id with two offsets in two days. Chosen once per change, so re-timing an event costs
   * one lookup however many corrections a writer sent.
   */
  private choose(key: string): void {
    let chosen: [string, ClockEvent] | null = null;
    for (const held of this.corrections.get(key) ?? []) {
      if (chosen === null || compareCorrections(held, chosen) < 0) chosen = held;
    }
    if (chosen === null) this.applied.delete(key);
    else this.applied.set(key, chosen[1]);
  }

  /**
   * The event as every replica dates it: re-timed by its writer's correction for its segment,
   * if one is held, else as recorded. `clamp` pulls a time into the event's document's day
   * ([T2]).
   */
  retime(event: CheckinEvent, clamp: (at: number, docDay: string) => number): CheckinEvent {
    if (event.segment === undefined || event.kind === 'clock') return event;
    const chosen = this.applied.get(segmentKey(event));
    if (chosen === undefined) return event;
    const corrected = event.deviceTime + (chosen.recordedAt - chosen.deviceTime);
    return {
      ...event,
      at: clamp(corrected, event.docDay),
      clockTrusted: true,
      clockShiftMs: corrected - event.recordedAt,
    };
  }
}

/** Clamped to its day ([T2]): its time differs from the (corrected) time it was recorded at. */
export function isClamped(event: CheckinEvent): boolean {
  return event.at !== event.recordedAt + (event.clockShiftMs ?? 0);
}

/** Moved by a clock correction far enough for staff to be told ([T5]). */
export function isCorrected(event: CheckinEvent): boolean {
  return Math.abs(event.clockShiftMs ?? 0) >= CLOCK_SHIFT_FLAG_MS;
}

function compareCorrections(
  [aKey, a]: [string, ClockEvent],
  [bKey, b]: [string, ClockEvent],
): number {
  return (
    a.deviceTime - b.deviceTime ||
    compareText(a.id, b.id) ||
    a.recordedAt - b.recordedAt ||
    compareText(a.docDay, b.docDay) ||
    compareText(aKey, bKey)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function segmentKey(event: CheckinEvent): string {
  return `${writerName(event.writer)} ${event.segment}`;
}
