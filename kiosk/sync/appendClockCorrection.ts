import {
  isClockCorrectionEntry,
  MAX_CLOCK_CORRECTIONS_PER_DAY,
} from '../../shared/ClockCorrections';
import { recordEvent } from '../../shared/checkinsDoc';
import { newEventId } from '../../shared/eventId';
import type { Writer } from '../../shared/events';
import { writerName } from '../../shared/writer';
import type { ClockCorrection, ClockReading } from '../device/ServerClock';
import type { CheckinsReplica } from './CheckinsReplica';

/**
 * Appends the clock entry of a measure to each day it names that is open on the device (today,
 * yesterday, or a day it still has to deliver), in the writer's own array ([T5]). A day closed
 * since keeps its recorded times; so does a day that already holds the most corrections the
 * server takes ([W4]): one past the limit would make the server refuse the whole update.
 * `reading` is the clock right after the measure: trusted, its segment measured.
 */
export function appendClockCorrection(
  replicas: readonly CheckinsReplica[],
  writer: Writer,
  { segment, days }: ClockCorrection,
  reading: ClockReading,
): void {
  if (!reading.trusted || reading.segment !== undefined) return;
  const array = writerName(writer);
  for (const day of days) {
    const replica = replicas.find((r) => r.day === day);
    if (!replica) continue;
    const held = replica.doc.getArray(array).toArray().filter(isClockCorrectionEntry).length;
    if (held >= MAX_CLOCK_CORRECTIONS_PER_DAY) continue;
    recordEvent(
      replica.doc,
      writer,
      { kind: 'clock', segment },
      { id: newEventId(reading.deviceTime), at: reading.at, clockTrusted: true, method: 'device' },
    );
  }
}
