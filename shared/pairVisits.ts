import type { EventId } from './eventId';
import { sameWriter } from './eventRef';
import {
  type CheckInEvent,
  type CheckinEvent,
  type CheckOutAllEvent,
  type CheckOutEvent,
  compareEvents,
} from './events';

/**
 * One member's check-ins and check-outs, in time order, become visits ([V1]–[V11]). Pure: the
 * result depends only on the events given, never on the order they arrived in.
 */

export interface PairingRules {
  /** A check-in this soon after the visit's latest scan is the same visit ([V3]). */
  readonly debounceMs: number;
  /** An open visit is closed this long after it started ([V7]). */
  readonly maxStayMs: number;
  /** Closing instants around the day, ascending; a visit is closed at the first after its start. */
  readonly closings: readonly number[];
}

export type VisitClose = 'checkOut' | 'reentry' | 'checkOutAll' | 'auto';

export interface Visit {
  /**
   * The id of the check-in that started it. Another writer may hold the same id ([E2]): the
   * visit is named unambiguously by `refOf(startEvent)`, built only when asked for (a ref kept
   * per visit would be rebuilt at every re-pairing).
   */
  readonly id: EventId;
  readonly memberId: string;
  readonly start: number;
  /** When it ended, once known; null while no check-out, re-entry or closing has ended it. */
  readonly end: number | null;
  readonly closedBy: VisitClose | null;
  /** When it closes by itself if nothing else ends it first ([V7]). */
  readonly autoCloseAt: number;
  /** Every check-in scan of the visit: the first, then repeats ([V3]). */
  readonly checkInIds: readonly EventId[];
  readonly checkOutId: EventId | null;
  readonly startEvent: CheckInEvent;
}

/** What became of each event in the pairing; the feed and the audit trail show it. */
export type Outcome =
  | { readonly kind: 'visit-start'; readonly visitId: EventId }
  | { readonly kind: 'repeat-check-in'; readonly visitId: EventId }
  | { readonly kind: 'visit-end'; readonly visitId: EventId; readonly stayMs: number }
  | { readonly kind: 'repeat-check-out' }
  | { readonly kind: 'unmatched'; readonly afterAutoClose: boolean }
  /** Voided by staff ([V10]): left out of pairing, kept in the audit trail. */
  | { readonly kind: 'voided' }
  /** Replaced by the member's switch at the kiosk ([K5]). */
  | { readonly kind: 'corrected' };

export interface Pairing {
  readonly visits: Visit[];
  /** What became of `events[i]`, at index i. */
  readonly outcomes: Outcome[];
}

/** The time a visit starting at `start` closes by itself. */
export function autoCloseTime(start: number, rules: PairingRules): number {
  let at = start + rules.maxStayMs;
  for (const closing of rules.closings) {
    if (closing > start) {
      at = Math.min(at, closing);
      break;
    }
  }
  return at;
}

// Outcomes that carry no data are shared.
const VOIDED: Outcome = { kind: 'voided' };
const CORRECTED: Outcome = { kind: 'corrected' };
const REPEAT_CHECK_OUT: Outcome = { kind: 'repeat-check-out' };
const UNMATCHED: Outcome = { kind: 'unmatched', afterAutoClose: false };
const UNMATCHED_AFTER_AUTO_CLOSE: Outcome = { kind: 'unmatched', afterAutoClose: true };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function pairVisits(
  events: readonly (CheckInEvent | CheckOutEvent)[],
  closeAlls: readonly CheckOutAllEvent[],
  isVoided: (event: CheckInEvent | CheckOutEvent) => boolean,
  rules: PairingRules,
): Pairing {
  const visits: Mutable<Visit>[] = [];
  const outcomes: Outcome[] = new Array(events.length);
  // Indexes in time order, so outcomes land at their event's index without a lookup table.
  const order: number[] = [];
  const corrected = correctedBySwitch(events, rules.debounceMs);
  events.forEach((event, i) => {
    if (isVoided(event)) outcomes[i] = VOIDED;
    else if (corrected.has(event)) outcomes[i] = CORRECTED;
    else order.push(i);
  });
  order.sort((a, b) => compareEvents(events[a] as CheckinEvent, events[b] as CheckinEvent));

  let open: (Mutable<Visit> & { checkInIds: EventId[] }) | null = null;
  let lastScanAt = 0;
  let lastClosedBy: VisitClose | null = null;
  let lastCheckOutAt = Number.NEGATIVE_INFINITY;
  const close = (end: number, closedBy: VisitClose, checkOutId: EventId | null = null): void => {
    if (!open) return;
    open.end = end;
    open.closedBy = closedBy;
    open.checkOutId = checkOutId;
    lastClosedBy = closedBy;
    open = null;
  };
  const autoClose = (before: number): void => {
    if (open && open.autoCloseAt < before) close(open.autoCloseAt, 'auto');
  };
  // "Check everyone out" events are already sorted: merge them in as the member's events pass.
  let nextCloseAll = 0;
  const closeAllUpTo = (event: CheckinEvent | null): void => {
    for (; nextCloseAll < closeAlls.length; nextCloseAll++) {
      const closeAll = closeAlls[nextCloseAll] as CheckOutAllEvent;
      if (event && compareEvents(closeAll, event) > 0) return;
      autoClose(closeAll.at);
      if (open && open.start < closeAll.at) close(closeAll.at, 'checkOutAll');
    }
  };

  for (const i of order) {
    const event = events[i] as CheckInEvent | CheckOutEvent;
    closeAllUpTo(event);
    autoClose(event.at);
    if (event.kind === 'checkIn') {
      if (open && event.at - lastScanAt <= rules.debounceMs) {
        lastScanAt = event.at;
        open.checkInIds.push(event.id);
        outcomes[i] = { kind: 'repeat-check-in', visitId: open.id };
        continue;
      }
      close(event.at, 'reentry');
      open = {
        id: event.id,
        memberId: event.memberId,
        start: event.at,
        end: null,
        closedBy: null,
        autoCloseAt: autoCloseTime(event.at, rules),
        checkInIds: [event.id],
        checkOutId: null,
        startEvent: event,
      };
      lastScanAt = event.at;
      visits.push(open);
      outcomes[i] = { kind: 'visit-start', visitId: event.id };
    } else {
      if (open) {
        outcomes[i] = { kind: 'visit-end', visitId: open.id, stayMs: event.at - open.start };
        close(event.at, 'checkOut', event.id);
      } else if (event.at - lastCheckOutAt <= rules.debounceMs) {
        outcomes[i] = REPEAT_CHECK_OUT;
      } else {
        outcomes[i] = lastClosedBy === 'auto' ? UNMATCHED_AFTER_AUTO_CLOSE : UNMATCHED;
      }
      lastCheckOutAt = event.at;
    }
  }
  closeAllUpTo(null);

  return { visits, outcomes };
}

/**
 * The events a member's switch replaced ([K5]): a check-in or check-out that names an earlier
 * event of the same member, written by the same writer within the debounce window. Anything else
 * that names an event is an ordinary scan (a kiosk cannot undo what it did not record). The id
 * is looked up only among the switching writer's events: another writer's event with the same id
 * is a different event ([E2]).
 */
function correctedBySwitch(
  events: readonly (CheckInEvent | CheckOutEvent)[],
  windowMs: number,
): Set<CheckInEvent | CheckOutEvent> {
  const corrected = new Set<CheckInEvent | CheckOutEvent>();
  for (const event of events) {
    if (event.corrects === undefined) continue;
    const target = events.find(
      (other) => other.id === event.corrects && sameWriter(other.writer, event.writer),
    );
    if (target && event.at >= target.at && event.at - target.at <= windowMs) corrected.add(target);
  }
  return corrected;
}
