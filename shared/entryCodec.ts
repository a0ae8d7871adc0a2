import {
  deviceTimeOf,
  deviceTimeOfBytes,
  eventIdFromBytes,
  eventIdToBytes,
  isEventId,
} from './eventId';
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
import { parseWriterName, WRITER_NAME_MAX, writerName } from './writer';

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
 * - extra: optional object with `loc`, `override`, `reason`, `code`, `target` (the id of the
 *   event a void names, or that a check-in or check-out corrects), `tw` (the writer array
 *   holding a void's target, e.g. `kiosk:front`) and `seg` (the device's clock segment, on
 *   entries recorded before the device measured the server's clock in it, and on the `clock`
 *   entry that corrects them, [T5]).
 *
 * `tw` came later, inside version 1, because an id alone no longer names an event: identity is
 * writer and id ([E2], [V10]). Adding an optional key to `extra` needs no new version, in both
 * directions. Backwards: a void without `tw` (written before) is read as naming the event with
 * that id in any writer's array, which is what it meant when written; the frozen fixture proves
 * those documents derive as before. Forwards: readers that predate `tw` skip unknown keys of
 * `extra`, so old devices still read new voids (they apply them to every writer's event with
 * that id, as they always did). A switch ([K5]) needs no `tw`: it only names its own writer's
 * events.
 *
 * `seg` and the `clock` kind (with the `device` method) came the same way. A reader that
 * predates them ignores `seg` and lists a `clock` entry as an `unknown-kind` problem: it derives
 * the times as recorded, as every reader did before corrections existed.
 */
export const ENTRY_VERSION = 1;

/** Longest member id, scanned code or location accepted. */
export const MAX_SHORT_TEXT = 64;
/** Longest void reason accepted. */
export const MAX_REASON = 500;
/**
 * How far past the end of its document's day an event may lie before it is clamped ([T2]): a
 * kiosk that picks the day's document a moment before midnight and records just after it is not
 * an error.
 */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

export type EntryTuple = [number, Uint8Array, number, string, number, boolean, number, Extra?];

interface Extra {
  loc?: string;
  override?: string;
  reason?: string;
  code?: string;
  target?: string;
  tw?: string;
  seg?: string;
}

/** Longest clock segment id accepted ([T5]); devices write 12 characters. */
export const MAX_SEGMENT = 24;

/** The tuple to append for a new event. Throws on values no writer should produce. */
export function encodeEntry(event: NewEvent, recording: Recording): EntryTuple {
  const extra: Extra = {};
  if (recording.location !== undefined) extra.loc = checkText(recording.location, MAX_SHORT_TEXT);
  if (recording.segment !== undefined) extra.seg = checkText(recording.segment, MAX_SEGMENT);
  let memberId = '';
  switch (event.kind) {
    case 'checkIn':
    case 'checkOut':
      memberId = event.memberId;
      if (event.kind === 'checkIn' && event.override !== undefined) {
        extra.override = checkText(event.override, MAX_SHORT_TEXT);
      }
      if (event.corrects !== undefined) {
        if (!isEventId(event.corrects)) throw new RangeError('corrects must be an event id');
        extra.target = event.corrects;
      }
      break;
    case 'denied':
      memberId = event.memberId;
      extra.reason = event.reason;
      if (event.code !== undefined) extra.code = checkText(event.code, MAX_SHORT_TEXT);
      break;
    case 'void':
      if (!isEventId(event.targetId)) throw new RangeError('void needs a target event id');
      extra.target = event.targetId;
      extra.tw = writerName(event.targetWriter);
      extra.reason = checkText(event.reason, MAX_REASON);
      break;
    case 'checkOutAll':
      break;
    case 'clock':
      extra.seg = checkText(event.segment, MAX_SEGMENT);
      if (recording.method !== 'device' || !recording.clockTrusted) {
        throw new RangeError('a clock correction is recorded by the device with a measured clock');
      }
      break;
  }
  if (memberId.length > MAX_SHORT_TEXT) throw new RangeError('member id too long');
  if (memberId.includes(NUL)) throw new RangeError('member id holds NUL');
  if ((event.kind === 'checkIn' || event.kind === 'checkOut') && memberId === '') {
    throw new RangeError(`${event.kind} needs a member id`);
  }
  if (event.kind === 'denied' && !DENIAL_REASONS.includes(event.reason)) {
    throw new RangeError(`unknown denial reason ${describeValue(event.reason)}`);
  }
  if (!METHODS.includes(recording.method))
    throw new RangeError(`unknown method ${describeValue(recording.method)}`);
  if (!Number.isFinite(recording.at)) throw new RangeError('at must be a time');
  if (!isEventId(recording.id)) throw new RangeError('id must be a UUIDv7');
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
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > max ||
    value.includes(NUL)
  ) {
    throw new RangeError(`text must be 1–${max} characters, without NUL`);
  }
  return value;
}

/**
 * U+0000 in any text of an entry makes it malformed ([E5]): PostgreSQL's text type cannot hold
 * it, so one such entry would stop its day's record and everything told after it.
 */
const NUL = '\u0000';

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
  kiosk: new Set(['checkIn', 'checkOut', 'denied', 'clock']),
  staff: new Set(EVENT_KINDS),
};

/** Reads one raw entry into an event, or says exactly what is wrong with it. Never throws. */
export function parseEntry(value: unknown, context: EntryContext): ParsedEntry {
  if (!Array.isArray(value))
    return bad('malformed', `entry is ${describeValue(value)}, not a tuple`);
  const version = value[0];
  if (Number.isInteger(version) && (version as number) > ENTRY_VERSION) {
    return bad('unsupported-version', `entry version ${version} is newer than ${ENTRY_VERSION}`);
  }
  if (version !== 1) return bad('malformed', `unknown entry version ${describeValue(version)}`);
  return parseV1(value, context);
}

function parseV1(value: unknown[], { writer, window }: EntryContext): ParsedEntry {
  if (value.length < 7 || value.length > 8) {
    return bad('malformed', `v1 entry has ${value.length} fields, expected 7 or 8`);
  }
  const idBytes = value[1];
  const kindIndex = value[2];
  const memberId = value[3];
  const correction = value[4];
  const clockTrusted = value[5];
  const methodIndex = value[6];
  const id = eventIdFromBytes(idBytes);
  if (id === null) return bad('malformed', 'id is not 16 bytes of a UUIDv7');
  // Check for an integer before indexing: a key like `{ toString: [] }` throws when converted.
  const kind = Number.isInteger(kindIndex) ? EVENT_KINDS[kindIndex as number] : undefined;
  if (kind === undefined) {
    const code = Number.isInteger(kindIndex) ? 'unknown-kind' : 'malformed';
    return bad(code, `kind ${describeValue(kindIndex)}`, id);
  }
  const method = Number.isInteger(methodIndex) ? METHODS[methodIndex as number] : undefined;
  if (method === undefined) {
    return bad('malformed', `method ${describeValue(methodIndex)}`, id);
  }
  if (typeof memberId !== 'string' || memberId.length > MAX_SHORT_TEXT || memberId.includes(NUL)) {
    return bad('malformed', `member id is ${describeValue(memberId)}`, id);
  }
  if (!Number.isSafeInteger(correction)) return bad('malformed', 'clock correction', id);
  if (typeof clockTrusted !== 'boolean') return bad('malformed', 'clock-trusted flag', id);
  const extra = value.length === 8 ? readExtra(value[7]) : NO_EXTRA;
  if (typeof extra === 'string') return bad('malformed', extra, id);
  if (!PERMITTED[writer.role].has(kind)) {
    return bad('not-permitted', `a ${writer.role} may not write ${kind}`, id);
  }

  // One object per event, fields added by kind: a day's full derivation parses every entry.
  const deviceTime = deviceTimeOfBytes(idBytes as Uint8Array);
  const recordedAt = deviceTime + (correction as number);
  const event: Record<string, unknown> = {
    id,
    kind,
    at: clampToWindow(recordedAt, window),
    recordedAt,
    deviceTime,
    clockTrusted,
    writer,
    method,
    docDay: window.day,
  };
  if (extra.loc !== undefined) event.location = extra.loc;
  if (extra.seg !== undefined) event.segment = extra.seg;
  switch (kind) {
    case 'checkIn':
    case 'checkOut':
      if (memberId === '') return bad('malformed', `${kind} without a member id`, id);
      event.memberId = memberId;
      if (kind === 'checkIn' && extra.override !== undefined) event.override = extra.override;
      if (extra.target !== undefined) {
        if (!isEventId(extra.target)) return bad('malformed', 'corrects is not an event id', id);
        event.corrects = extra.target;
      }
      break;
    case 'denied':
      if (!DENIAL_REASONS.includes(extra.reason as DenialReason)) {
        return bad('malformed', 'denial without a reason', id);
      }
      event.memberId = memberId;
      event.reason = extra.reason;
      if (extra.code !== undefined) event.code = extra.code;
      break;
    case 'void':
      if (!isEventId(extra.target)) return bad('malformed', 'void without a target id', id);
      if (!extra.reason) return bad('malformed', 'void without a reason', id);
      event.targetId = extra.target;
      if (extra.tw === undefined) event.targetWriter = null;
      else {
        const targetWriter = parseWriterName(extra.tw);
        if (!targetWriter) return bad('malformed', 'void target writer is not a writer array', id);
        event.targetWriter = targetWriter;
      }
      event.reason = extra.reason;
      break;
    case 'checkOutAll':
      break;
    case 'clock':
      if (extra.seg === undefined)
        return bad('malformed', 'clock correction without a segment', id);
      if (method !== 'device' || !clockTrusted || memberId !== '') {
        return bad('malformed', 'clock correction not recorded by the device from a measure', id);
      }
      break;
  }
  return { ok: true, event: event as unknown as CheckinEvent };
}

const NO_EXTRA: Extra = Object.freeze({});

/**
 * An event outside its document's day was recorded by a wrong clock: pull it to the edge. Only
 * the end has a tolerance: an event just after midnight in the previous day's document is still
 * read by the next day (which reads the day before), while one dated before the start of its
 * document's day would be counted by no day at all.
 */
export function clampToWindow(at: number, window: DayWindow): number {
  if (at < window.start) return window.start;
  if (at >= window.end + CLOCK_TOLERANCE_MS) return window.end - 1;
  return at;
}

const EXTRA_LIMITS: Record<keyof Extra, number> = {
  loc: MAX_SHORT_TEXT,
  override: MAX_SHORT_TEXT,
  code: MAX_SHORT_TEXT,
  target: 36,
  tw: WRITER_NAME_MAX,
  reason: MAX_REASON,
  seg: MAX_SEGMENT,
};

/** The optional extra object, or a sentence saying what is wrong with it. */
/**
 * Keys of an entry's extra object that this version of the codec does not know. Readers
 * tolerate them (a newer minor writer may add optional details); the server, which is always
 * updated before the devices it serves, refuses them at its door ([W2]), so nobody can pad
 * entries with content no reader uses.
 */
export function unknownExtraKeys(value: unknown): string[] {
  if (!Array.isArray(value) || value.length !== 8) return [];
  const raw = value[7];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  return Object.keys(raw).filter((key) => !Object.hasOwn(EXTRA_LIMITS, key));
}

/**
 * The member an entry names, read without parsing it ('' when it names none or is not an
 * entry): for grouping a document's entries by member before a ledger takes them in slices.
 */
export function memberIdOf(value: unknown): string {
  return Array.isArray(value) && typeof value[3] === 'string' ? value[3] : '';
}

function readExtra(raw: unknown): Extra | string {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) {
    return `extra is ${describeValue(raw)}`;
  }
  const extra: Extra = {};
  for (const [key, value] of Object.entries(raw)) {
    // Own keys only: `toString` or `__proto__` must not find Object.prototype's members.
    const limit = Object.hasOwn(EXTRA_LIMITS, key) ? EXTRA_LIMITS[key as keyof Extra] : undefined;
    // Unknown keys are tolerated: a newer minor writer may add optional details.
    if (limit === undefined) continue;
    if (
      typeof value !== 'string' ||
      value.length === 0 ||
      value.length > limit ||
      value.includes(NUL)
    ) {
      return `extra.${key} is ${describeValue(value)}`;
    }
    extra[key as keyof Extra] = value;
  }
  return extra;
}

function bad(code: ProblemCode, detail: string, eventId?: string): ParsedEntry {
  return eventId === undefined ? { ok: false, code, detail } : { ok: false, code, detail, eventId };
}

/** A short description of a bad value for problem details (never the whole value). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
