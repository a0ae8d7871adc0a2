import * as Y from 'yjs';
import { recordEvent } from '../shared/checkinsDoc';
import { newEventId } from '../shared/eventId';
import type { NewEvent, Writer } from '../shared/events';
import { dayWindow } from '../shared/localTime';

/**
 * A synthetic but plausible gym day for benchmarks: visits start between 05:00 and 22:00, last
 * 30–120 minutes, 70 % end with a check-out, 5 % have a repeat scan, spread over three kiosks.
 * Seeded, so every run measures the same day.
 */
export interface SyntheticEvent {
  readonly writer: Writer;
  readonly event: NewEvent;
  readonly at: number;
}

export const BENCH_DAY = '2026-03-10';
export const BENCH_ZONE = 'Europe/Amsterdam';
const KIOSKS: Writer[] = ['front', 'back', 'side'].map((id) => ({ role: 'kiosk', id }));

export function syntheticDay(events: number, seed = 1): SyntheticEvent[] {
  let state = seed;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const { start } = dayWindow(BENCH_DAY, BENCH_ZONE);
  const members = Math.max(50, Math.round(events / 5));
  const out: SyntheticEvent[] = [];
  while (out.length < events) {
    const memberId = `M${10000 + Math.floor(random() * members)}`;
    const kiosk = KIOSKS[Math.floor(random() * KIOSKS.length)] as Writer;
    const at = start + (5 + random() * 17) * 3_600_000;
    out.push({ writer: kiosk, event: { kind: 'checkIn', memberId }, at });
    if (random() < 0.05)
      out.push({ writer: kiosk, event: { kind: 'checkIn', memberId }, at: at + 20_000 });
    if (random() < 0.7) {
      const leave = KIOSKS[Math.floor(random() * KIOSKS.length)] as Writer;
      out.push({
        writer: leave,
        event: { kind: 'checkOut', memberId },
        at: at + (30 + random() * 90) * 60_000,
      });
    }
  }
  out.length = events;
  return out.sort((a, b) => a.at - b.at);
}

/** Records events the way kiosks do: one transaction per scan, each kiosk its own replica. */
export function recordDay(events: readonly SyntheticEvent[], sessionsPerKiosk = 3): Y.Doc {
  const merged = new Y.Doc();
  const replicas = new Map<string, Y.Doc>();
  const perKiosk = new Map<string, number>();
  for (const e of events) perKiosk.set(e.writer.id, (perKiosk.get(e.writer.id) ?? 0) + 1);
  const written = new Map<string, number>();
  for (const e of events) {
    const n = written.get(e.writer.id) ?? 0;
    written.set(e.writer.id, n + 1);
    let doc = replicas.get(e.writer.id);
    // A kiosk reload is a new Yjs client id: start a new replica from the merged state.
    const session = Math.floor((n * sessionsPerKiosk) / (perKiosk.get(e.writer.id) ?? 1));
    if (!doc || (doc as Y.Doc & { session?: number }).session !== session) {
      if (doc) Y.applyUpdate(merged, Y.encodeStateAsUpdate(doc));
      doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(merged));
      (doc as Y.Doc & { session?: number }).session = session;
      replicas.set(e.writer.id, doc);
    }
    const correction = Math.round((e.at % 997) - 498);
    recordEvent(doc, e.writer, e.event, {
      id: newEventId(e.at - correction),
      at: e.at,
      clockTrusted: true,
      method: 'qr',
    });
  }
  for (const doc of replicas.values()) Y.applyUpdate(merged, Y.encodeStateAsUpdate(doc));
  return merged;
}
