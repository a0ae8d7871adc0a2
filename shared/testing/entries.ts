import type { RawEntry } from '../checkinsDoc';
import type { DayConfig } from '../DayLedger';
import { type DayDerivation, deriveDay } from '../deriveDay';
import { type EntryTuple, encodeEntry } from '../entryCodec';
import { newEventId } from '../eventId';
import type { EventRef } from '../eventRef';
import type { Method, NewEvent } from '../events';
import { addDays, instantAt, type LocalDay } from '../localTime';
import { parseWriterName } from '../writer';

/** Test helpers: entries without a Y.Doc, and a small scenario language for rule tests. */

let sequence = 0;

export interface EntryOptions {
  readonly at: number;
  readonly day: LocalDay;
  readonly writer?: string;
  readonly id?: string;
  readonly clockTrusted?: boolean;
  readonly method?: Method;
  readonly location?: string;
  readonly key?: string;
  /** The device's clock segment, when it had not measured the server's clock in it ([T5]). */
  readonly segment?: string;
}

export function entryOf(event: NewEvent, options: EntryOptions): RawEntry {
  const id = options.id ?? newEventId(options.at);
  return {
    key: options.key ?? `test:${++sequence}`,
    docDay: options.day,
    container: options.writer ?? 'kiosk:door',
    value: encodeEntry(event, {
      id,
      at: options.at,
      clockTrusted: options.clockTrusted ?? true,
      method: options.method ?? 'keypad',
      ...(options.location === undefined ? {} : { location: options.location }),
      ...(options.segment === undefined ? {} : { segment: options.segment }),
    }),
  };
}

/**
 * The tuple as version 1 wrote a void before voids named their target's writer (no `tw` in
 * `extra`): such a void names the id in any writer's array ([V10]). Writers can no longer
 * produce one, but documents hold them.
 */
export function withoutTargetWriter(tuple: EntryTuple): EntryTuple {
  const [version, id, kind, memberId, correction, trusted, method, extra] = tuple;
  if (extra === undefined) return tuple;
  const { tw: _, ...rest } = extra as Record<string, string>;
  return [version, id, kind, memberId, correction, trusted, method, rest];
}

export const TEST_DAY = '2026-03-10';
export const TEST_ZONE = 'Europe/Amsterdam';

/** `HH:MM` or `HH:MM:SS` on `day` (offset in days from the scenario's day) in the test zone. */
export function clock(time: string, dayOffset = 0, day = TEST_DAY, zone = TEST_ZONE): number {
  const [h = 0, m = 0, s = 0] = time.split(':').map(Number);
  return instantAt(addDays(day, dayOffset), h * 60 + m, zone) + s * 1000;
}

export const TEST_CONFIG: DayConfig = {
  day: TEST_DAY,
  timeZone: TEST_ZONE,
  maxStayMs: 4 * 3_600_000,
  closingTime: null,
  debounceMs: 120_000,
};

/**
 * A day written in a few lines:
 *   const s = new Scenario(); s.in('ana', '10:00'); s.out('ana', '11:00'); s.derive('12:00');
 * Times are on the scenario's day unless a day offset is given; the entry lands in the document
 * of the day it is dated (unless `doc` says otherwise).
 */
export class Scenario {
  readonly entries: RawEntry[] = [];
  readonly config: DayConfig;
  /** The writer array of each id written here (the last, when several wrote one id). */
  private readonly writerOf = new Map<string, string>();

  constructor(config: Partial<DayConfig> = {}) {
    this.config = { ...TEST_CONFIG, ...config };
  }

  time(time: string, dayOffset = 0): number {
    return clock(time, dayOffset, this.config.day, this.config.timeZone);
  }

  add(
    event: NewEvent,
    time: string,
    options: Partial<EntryOptions> & { dayOffset?: number } = {},
  ): string {
    const at = options.at ?? this.time(time, options.dayOffset ?? 0);
    const id = options.id ?? newEventId(at);
    this.writerOf.set(id, options.writer ?? 'kiosk:door');
    this.entries.push(
      entryOf(event, {
        at,
        day: options.day ?? addDays(this.config.day, options.dayOffset ?? 0),
        id,
        ...options,
      }),
    );
    return id;
  }

  in(
    memberId: string,
    time: string,
    options: Partial<EntryOptions> & { dayOffset?: number } = {},
  ): string {
    return this.add({ kind: 'checkIn', memberId }, time, options);
  }

  out(
    memberId: string,
    time: string,
    options: Partial<EntryOptions> & { dayOffset?: number } = {},
  ): string {
    return this.add({ kind: 'checkOut', memberId }, time, options);
  }

  /** The ref of an id written here (by `writer`, or by whoever wrote it here). */
  ref(id: string, writer?: string): EventRef {
    return `${writer ?? this.writerOf.get(id) ?? 'kiosk:door'}/${id}`;
  }

  /**
   * A staff void of `targetId` in `targetWriter`'s array: by default whoever wrote that id here
   * (`kiosk:door` for an id not written yet); null writes a legacy void that names no writer.
   */
  void(
    targetId: string,
    time: string,
    reason = 'mistake',
    targetWriter: string | null = this.writerOf.get(targetId) ?? 'kiosk:door',
  ): string {
    const writer = parseWriterName(targetWriter ?? 'kiosk:door');
    if (!writer) throw new RangeError(`not a writer: ${targetWriter}`);
    const id = this.add({ kind: 'void', targetId, targetWriter: writer, reason }, time, {
      writer: 'staff:lee',
      method: 'staff',
    });
    if (targetWriter === null) {
      const entry = this.entries.pop() as RawEntry;
      this.entries.push({ ...entry, value: withoutTargetWriter(entry.value as EntryTuple) });
    }
    return id;
  }

  checkOutAll(time: string): string {
    return this.add({ kind: 'checkOutAll' }, time, { writer: 'staff:lee', method: 'staff' });
  }

  derive(now: string, dayOffset = 0): DayDerivation {
    return deriveDay(this.config, this.entries, this.time(now, dayOffset));
  }
}
