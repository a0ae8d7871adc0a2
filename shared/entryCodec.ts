import { deviceTimeOf, eventIdFromBytes, eventIdToBytes, isEventId } from './eventId';
import {
  type CheckinEvent,
  DENIAL_REASONS,
  type DenialReason,
  EVENT_KINDS,
  type EventKind,
  METHODS,
  type NewEvent,
  type Recording,
  type Writer,
} from './events';
import type { DayWindow } from './localTime';
import type { ProblemCode } from './problems';

/**
 * Entries in a check-ins document are compact tuples, not objects, because field names would be
 * stored in every entry (see docs/BENCHMARKS.md, bytes per visit):
 *
 *   [version, idBytes, kind, memberId, correctionMs, clockTrusted, method, extra?]
 *
 * - version: 1. Every version ever written keeps a reader here ([E4]).
 * - idBytes: the UUIDv7 as 16 bytes; its timestamp is the device time.
 * - kind, method: indexes into EVENT_KINDS and METHODS.
 * - memberId: '' for kinds without a member.
 * - correctionMs: `at - deviceTime`, the server offset the device applied (0 when unknown).
 * - extra: optional object with `loc`, `override`, `reason`, `code`, `target`.
 */
export const ENTRY_VERSION = 1;

/** Longest member id, scanned code or location accepted. */
export const MAX_SHORT_TEXT = 64;
/** Longest void reason accepted. */
export const MAX_REASON = 500;
/**
 * How far an event may lie outside its document's day before it is clamped ([T2]): a kiosk that
 * picks the day's document a moment before midnight and records just after it is not an error.
 */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

export type EntryTuple = [number, Uint8Array, number, string, number, boolean, number, Extra?];

interface Extra {
  loc?: string;
  override?: string;
  reason?: string;
  code?: string;
  target?: string;
}

/** The tuple to append for a new event. Throws on values no writer should produce. */
export function encodeEntry(event: NewEvent, recording: Recording): EntryTuple {
  const extra: Extra = {};
  if (recording.location !== undefined) extra.loc = checkText(recording.location, MAX_SHORT_TEXT);
  let memberId = '';
  switch (event.kind) {
    case 'checkIn':
      memberId = event.memberId;
      if (event.override !== undefined) extra.override = checkText(event.override, MAX_SHORT_TEXT);
      break;
    case 'checkOut':
      memberId = event.memberId;
      break;
    case 'denied':
      memberId = event.memberId;
      extra.reason = event.reason;
      if (event.code !== undefined) extra.code = checkText(event.code, MAX_SHORT_TEXT);
      break;
    case 'void':
      if (!isEventId(event.targetId)) throw new RangeError('void needs a target event id');
      extra.target = event.targetId;
      extra.reason = checkText(event.reason, MAX_REASON);
      break;
    case 'checkOutAll':
      break;
  }
  if (memberId.length > MAX_SHORT_TEXT) throw new RangeError('member id too long');
  const tuple: EntryTuple = [
    ENTRY_VERSION,
    eventIdToBytes(recording.id),
    EVENT_KINDS.indexOf(event.kind),
    memberId,
    Math.round(recording.at) - deviceTimeOf(recording.id),
    recording.clockTrusted,
    METHODS.indexOf(recording.method),
  ];
  if (Object.keys(extra).length > 0) tuple.push(extra);
  return tuple;
}

function checkText(value: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new RangeError(`text must be 1–${max} characters`);
  }
  return value;
}

export type ParsedEntry =
  | { readonly ok: true; readonly event: CheckinEvent }
  | {
      readonly ok: false;
      readonly code: ProblemCode;
      readonly detail: string;
      readonly eventId?: string;
    };

export interface EntryContext {
  readonly writer: Writer;
  /** The window of the document's day, for clamping ([T2]). */
  readonly window: DayWindow;
}

const PERMITTED: Record<Writer['role'], ReadonlySet<EventKind>> = {
  kiosk: new Set(['checkIn', 'checkOut', 'denied']),
  staff: new Set(EVENT_KINDS),
};

/** Reads one raw entry into an event, or says exactly what is wrong with it. Never throws. */
export function parseEntry(value: unknown, context: EntryContext): ParsedEntry {
  if (!Array.isArray(value)) return bad('malformed', `entry is ${describe(value)}, not a tuple`);
  const version = value[0];
  if (Number.isInteger(version) && (version as number) > ENTRY_VERSION) {
    return bad('unsupported-version', `entry version ${version} is newer than ${ENTRY_VERSION}`);
  }
  if (version !== 1) return bad('malformed', `unknown entry version ${describe(version)}`);
  return parseV1(value, context);
}

function parseV1(value: unknown[], { writer, window }: EntryContext): ParsedEntry {
  if (value.length < 7 || value.length > 8) {
    return bad('malformed', `v1 entry has ${value.length} fields, expected 7 or 8`);
  }
  const [, idBytes, kindIndex, memberId, correction, clockTrusted, methodIndex, rawExtra] = value;
  const id = eventIdFromBytes(idBytes);
  if (id === null) return bad('malformed', 'id is not 16 bytes of a UUIDv7');
  const fail = (code: ProblemCode, detail: string): ParsedEntry => bad(code, detail, id);
  const kind = EVENT_KINDS[kindIndex as number];
  if (!Number.isInteger(kindIndex) || kind === undefined) {
    return fail(
      Number.isInteger(kindIndex) ? 'unknown-kind' : 'malformed',
      `kind ${describe(kindIndex)}`,
    );
  }
  const method = METHODS[methodIndex as number];
  if (!Number.isInteger(methodIndex) || method === undefined) {
    return fail('malformed', `method ${describe(methodIndex)}`);
  }
  if (typeof memberId !== 'string' || memberId.length > MAX_SHORT_TEXT) {
    return fail('malformed', `member id is ${describe(memberId)}`);
  }
  if (!Number.isSafeInteger(correction)) return fail('malformed', 'clock correction');
  if (typeof clockTrusted !== 'boolean') return fail('malformed', 'clock-trusted flag');
  const extra = readExtra(rawExtra);
  if (typeof extra === 'string') return fail('malformed', extra);
  if (!PERMITTED[writer.role].has(kind)) {
    return fail('not-permitted', `a ${writer.role} may not write ${kind}`);
  }

  const deviceTime = deviceTimeOf(id);
  const recordedAt = deviceTime + (correction as number);
  const at = clampToWindow(recordedAt, window);
  const base = {
    id,
    at,
    recordedAt,
    deviceTime,
    clockTrusted,
    writer,
    method,
    docDay: window.day,
    ...(extra.loc !== undefined ? { location: extra.loc } : {}),
  };
  switch (kind) {
    case 'checkIn':
    case 'checkOut':
      if (memberId === '') return fail('malformed', `${kind} without a member id`);
      return kind === 'checkIn'
        ? ok({
            ...base,
            kind,
            memberId,
            ...(extra.override !== undefined ? { override: extra.override } : {}),
          })
        : ok({ ...base, kind, memberId });
    case 'denied': {
      const reason = extra.reason as DenialReason;
      if (!DENIAL_REASONS.includes(reason)) return fail('malformed', 'denial without a reason');
      return ok({
        ...base,
        kind,
        memberId,
        reason,
        ...(extra.code !== undefined ? { code: extra.code } : {}),
      });
    }
    case 'void':
      if (!isEventId(extra.target)) return fail('malformed', 'void without a target id');
      if (!extra.reason) return fail('malformed', 'void without a reason');
      return ok({ ...base, kind, targetId: extra.target, reason: extra.reason });
    case 'checkOutAll':
      return ok({ ...base, kind });
  }
}

/** An event far outside its document's day was recorded by a wrong clock: pull it to the edge. */
function clampToWindow(at: number, window: DayWindow): number {
  if (at < window.start - CLOCK_TOLERANCE_MS) return window.start;
  if (at >= window.end + CLOCK_TOLERANCE_MS) return window.end - 1;
  return at;
}

const EXTRA_LIMITS: Record<keyof Extra, number> = {
  loc: MAX_SHORT_TEXT,
  override: MAX_SHORT_TEXT,
  code: MAX_SHORT_TEXT,
  target: 36,
  reason: MAX_REASON,
};

/** The optional extra object, or a sentence saying what is wrong with it. */
function readExtra(raw: unknown): Extra | string {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    return `extra is ${describe(raw)}`;
  }
  const extra: Extra = {};
  for (const [key, value] of Object.entries(raw)) {
    const limit = EXTRA_LIMITS[key as keyof Extra];
    // Unknown keys are tolerated: a newer minor writer may add optional details.
    if (limit === undefined) continue;
    if (typeof value !== 'string' || value.length === 0 || value.length > limit) {
      return `extra.${key} is ${describe(value)}`;
    }
    extra[key as keyof Extra] = value;
  }
  return extra;
}

function ok(event: CheckinEvent): ParsedEntry {
  return { ok: true, event };
}

function bad(code: ProblemCode, detail: string, eventId?: string): ParsedEntry {
  return eventId === undefined ? { ok: false, code, detail } : { ok: false, code, detail, eventId };
}

/** A short description of a bad value for problem details (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
