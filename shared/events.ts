import type { EventId } from './eventId';

/**
 * The check-in event model. Events are append-only and never edited: corrections are events too.
 * See SPEC.md [E1]–[E6].
 */

/** Codes are stored as small integers (one byte each in the document); the order is fixed forever. */
export const EVENT_KINDS = [
  'checkIn',
  'checkOut',
  'denied',
  'void',
  'checkOutAll',
  'clock',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** How an event was recorded; `device` is the device itself, not a person (a clock correction). */
export const METHODS = ['keypad', 'qr', 'wedge', 'search', 'staff', 'device'] as const;
export type Method = (typeof METHODS)[number];

/** Why a kiosk refused a member at the door. */
export const DENIAL_REASONS = ['expired', 'frozen', 'unknown', 'capacity', 'policy'] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** Who wrote an event: the top-level array it sits in names the writer ([D4]). */
export interface Writer {
  readonly role: 'kiosk' | 'staff';
  readonly id: string;
}

interface EventBase {
  readonly id: EventId;
  /** When it happened: device time corrected by the last known server offset, then clamped ([T2]). */
  readonly at: number;
  /** `at` as recorded, before clamping. */
  readonly recordedAt: number;
  /** The device clock when recorded (the id's timestamp). */
  readonly deviceTime: number;
  /**
   * False when the device had never learned the server's time offset ([T1]), or had noticed its
   * clock jump and not yet measured again; true once a clock correction re-timed it ([T5]).
   */
  readonly clockTrusted: boolean;
  /**
   * The device's clock segment, when it recorded the event before measuring the server's clock
   * in that segment ([T5]): a later clock correction of the same writer and segment re-times it.
   */
  readonly segment?: string;
  /** How far a clock correction moved the event: corrected time minus `recordedAt`, ms ([T5]). */
  readonly clockShiftMs?: number;
  readonly writer: Writer;
  readonly method: Method;
  readonly location?: string;
  /** The local day of the document the event was read from. */
  readonly docDay: string;
}

export interface CheckInEvent extends EventBase {
  readonly kind: 'checkIn';
  readonly memberId: string;
  /** The alert a staff member overrode to let the member in ("check in anyway"). */
  readonly override?: string;
  /** The event this one replaces, by the same writer: the member switched at the kiosk ([K5]). */
  readonly corrects?: EventId;
}

export interface CheckOutEvent extends EventBase {
  readonly kind: 'checkOut';
  readonly memberId: string;
  /** The event this one replaces, by the same writer: the member switched at the kiosk ([K5]). */
  readonly corrects?: EventId;
}

export interface DeniedEvent extends EventBase {
  readonly kind: 'denied';
  /** Empty when the scanned code matched no member. */
  readonly memberId: string;
  readonly reason: DenialReason;
  /** The scanned code, kept only when it matched no member. */
  readonly code?: string;
}

export interface VoidEvent extends EventBase {
  readonly kind: 'void';
  readonly targetId: EventId;
  /**
   * The writer whose event `targetId` is ([V10]). Null for a void written before voids named
   * the writer: it names the event with that id in any writer's array.
   */
  readonly targetWriter: Writer | null;
  readonly reason: string;
}

export interface CheckOutAllEvent extends EventBase {
  readonly kind: 'checkOutAll';
}

/**
 * A writer's clock correction ([T5]): the server offset it measured in `segment`, which re-times
 * its own earlier events of that segment. `recordedAt - deviceTime` is the offset. Not an event
 * anyone sees in the feed: derivations read it and apply it.
 */
export interface ClockEvent extends EventBase {
  readonly kind: 'clock';
  readonly segment: string;
}

export type CheckinEvent =
  | CheckInEvent
  | CheckOutEvent
  | DeniedEvent
  | VoidEvent
  | CheckOutAllEvent
  | ClockEvent;

/** What a writer supplies to record an event; the codec derives the rest. */
export type NewEvent =
  | { kind: 'checkIn'; memberId: string; override?: string; corrects?: EventId }
  | { kind: 'checkOut'; memberId: string; corrects?: EventId }
  | { kind: 'denied'; memberId: string; reason: DenialReason; code?: string }
  | { kind: 'void'; targetId: EventId; targetWriter: Writer; reason: string }
  | { kind: 'checkOutAll' }
  | { kind: 'clock'; segment: string };

/** Common fields of every recorded event. */
export interface Recording {
  readonly id: EventId;
  readonly at: number;
  readonly clockTrusted: boolean;
  readonly method: Method;
  readonly location?: string;
  /** The clock segment, while the device has not measured the server's clock in it ([T5]). */
  readonly segment?: string;
}

/**
 * Orders events by time, then id, then writer: a total order every replica agrees on ([V1]).
 * The writer only separates two writers' events that share an id ([E2]).
 */
export function compareEvents(
  a: { at: number; id: string; writer: Writer },
  b: { at: number; id: string; writer: Writer },
): number {
  return a.at - b.at || compareText(a.id, b.id) || compareWriters(a.writer, b.writer);
}

/** Orders writers as their array names sort (`kiosk:…` before `staff:…`). */
export function compareWriters(a: Writer, b: Writer): number {
  return compareText(a.role, b.role) || compareText(a.id, b.id);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
