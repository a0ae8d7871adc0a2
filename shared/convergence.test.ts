import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries, recordEvent, watchEntries } from './checkinsDoc';
import { DayLedger } from './DayLedger';
import { deriveDay } from './deriveDay';
import { encodeEntry } from './entryCodec';
import { METHODS, type Method, type NewEvent, type Writer } from './events';
import { addDays, dayWindow, instantAt, localDayOf } from './localTime';
import { TEST_CONFIG, withoutTargetWriter } from './testing/entries';
import { testEventId } from './testing/ids';
import { type ModelEvent, referenceModel } from './testing/referenceModel';
import { parseWriterName, writerName } from './writer';

/**
 * [S7][V9][E2] Replicas that record while partitioned and then exchange updates in any order, any
 * number of times, derive identical results — equal to the reference model of SPEC.md.
 * fast-check prints the seed and path of a failing run; replay with `{ seed, path }`.
 */

/** Ordinary days and both daylight-saving changes, so 23- and 25-hour days are covered. */
const DAYS = ['2026-03-10', '2026-03-29', '2026-10-25'];
let config = { ...TEST_CONFIG, closingTime: '23:00' };
let window = dayWindow(config.day, config.timeZone);
let previous = addDays(config.day, -1);

function useDay(day: string): void {
  config = { ...TEST_CONFIG, day, closingTime: '23:00' };
  window = dayWindow(day, config.timeZone);
  previous = addDays(day, -1);
}
const WRITERS = ['kiosk:front', 'kiosk:back', 'kiosk:side', 'staff:lee'] as const;

const opArb = fc.record({
  replica: fc.nat({ max: 3 }),
  kind: fc.constantFrom('in', 'in', 'in', 'out', 'out', 'denied', 'void', 'all'),
  member: fc.nat({ max: 5 }),
  // From 21:00 the day before to the end of the day, in seconds; repeats cluster below.
  second: fc.integer({ min: -3 * 3600, max: 24 * 3600 - 1 }),
  nearPrevious: fc.boolean(),
  // Seconds after the previous op; the debounce boundary (120 s) gets extra weight.
  jitter: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constantFrom(119, 120, 121)),
  target: fc.nat(),
  method: fc.constantFrom(...METHODS),
  sync: fc.option(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })), { freq: 3 }),
  /** Re-use an earlier event's id in this writer's array: another event ([E2]). */
  reuse: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.nat(), weight: 1 }),
  /** Write a void as before voids named the writer: it names the id in any array ([V10]). */
  legacy: fc.boolean(),
  /**
   * The writer's clock jumps by this many seconds before it records (a new clock segment it has
   * not measured, [T5]), and whether it measures the server's clock after recording.
   */
  jump: fc.option(fc.integer({ min: -1800, max: 1800 }), { freq: 4 }),
  measure: fc.boolean(),
});

/** A writer's clock segment it has not measured yet ([T5]). */
interface Segment {
  readonly id: string;
  readonly errorMs: number;
  readonly days: Set<string>;
}

interface Replica {
  writer: string;
  docs: Map<string, Y.Doc>;
  log: { day: string; update: Uint8Array }[];
  ledger: DayLedger;
  segment: Segment | null;
}

function makeReplica(writer: string): Replica {
  const replica: Replica = {
    writer,
    docs: new Map(),
    log: [],
    ledger: new DayLedger(config),
    segment: null,
  };
  for (const day of [previous, config.day]) {
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => replica.log.push({ day, update }));
    watchEntries(doc, day, (added, removed) => {
      replica.ledger.add(added);
      replica.ledger.remove(removed);
    });
    replica.docs.set(day, doc);
  }
  return replica;
}

function deliver(from: Replica, to: Replica, rng: () => number, duplicate: boolean): void {
  const updates = [...from.log];
  if (duplicate) updates.push(...from.log.filter(() => rng() < 0.3));
  for (let i = updates.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [updates[i], updates[j]] = [
      updates[j] as (typeof updates)[0],
      updates[i] as (typeof updates)[0],
    ];
  }
  for (const { day, update } of updates) Y.applyUpdate(to.docs.get(day) as Y.Doc, update, 'remote');
}

describe('convergence', () => {
  it('[S7][V9][E2][T5] replicas partitioned while recording, re-using ids across writers, with clocks that jump and are corrected later (or never), converge to the reference model', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 24 * 3600 - 1 }),
        fc.integer(),
        fc.constantFrom(...DAYS),
        (ops, nowSecond, seed, day) => {
          useDay(day);
          let state = seed >>> 0;
          const rng = () => {
            state = (state * 1664525 + 1013904223) >>> 0;
            return state / 2 ** 32;
          };
          const replicas = WRITERS.map(makeReplica);
          const truth: ModelEvent[] = [];
          /** The time each event is recorded at, by its segment: corrected if it was measured. */
          const recorded: { event: ModelEvent; segment: string; recordedAt: number }[] = [];
          const measured = new Set<string>();
          let lastAt = window.start;
          ops.forEach((op, index) => {
            const replica = replicas[op.replica] as Replica;
            // Inside the two documents' days: clamping ([T2]) has its own tests.
            const at = Math.min(
              window.end - 1,
              op.nearPrevious ? lastAt + op.jitter * 1000 : window.start + op.second * 1000,
            );
            lastAt = at;
            const staff = replica.writer.startsWith('staff:');
            const memberId = `m${op.member}`;
            const [role, name] = replica.writer.split(':') as ['kiosk' | 'staff', string];
            let event: NewEvent;
            if (op.kind === 'void' && staff && truth.length > 0) {
              const target = truth[op.target % truth.length] as ModelEvent;
              const targetWriter = parseWriterName(target.writer) as Writer;
              event = { kind: 'void', targetId: target.id, targetWriter, reason: 'mistake' };
            } else if (op.kind === 'all' && staff) event = { kind: 'checkOutAll' };
            else if (op.kind === 'out') event = { kind: 'checkOut', memberId };
            else if (op.kind === 'denied') event = { kind: 'denied', memberId, reason: 'expired' };
            else event = { kind: 'checkIn', memberId };
            // Another writer's id, unless this writer already holds an event with it.
            const reused = op.reuse === null ? undefined : truth[op.reuse % truth.length];
            const id =
              reused && !truth.some((e) => e.writer === replica.writer && e.id === reused.id)
                ? reused.id
                : testEventId(at, index);
            // A jump starts a new segment; its events stay inside both documents' days even
            // when moved by the error, so that clamping ([T2], tested on its own) stays out.
            const margin = 1800 * 1000;
            if (op.jump !== null && replica.segment === null) {
              replica.segment = { id: `s${index}`, errorMs: op.jump * 1000, days: new Set() };
            }
            const segment =
              replica.segment && at >= window.start + margin && at < window.end - margin
                ? replica.segment
                : null;
            const recordedAt = at + (segment?.errorMs ?? 0);
            // A device's id carries its own clock's time ([E1]): a segment's events mint theirs.
            const eventId = segment ? testEventId(recordedAt, index) : id;
            const day =
              localDayOf(recordedAt, config.timeZone) === previous ? previous : config.day;
            const recording = {
              id: eventId,
              at: recordedAt,
              clockTrusted: segment === null,
              method: (staff ? 'staff' : op.method) as Method,
              ...(segment ? { segment: segment.id } : {}),
            };
            segment?.days.add(day);
            const legacy = event.kind === 'void' && op.legacy;
            const doc = replica.docs.get(day) as Y.Doc;
            if (legacy) {
              doc
                .getArray(replica.writer)
                .push([withoutTargetWriter(encodeEntry(event, recording))]);
            } else {
              recordEvent(doc, { role, id: name }, event, recording);
            }
            truth.push({
              id: eventId,
              writer: replica.writer,
              at,
              kind: event.kind,
              memberId: 'memberId' in event ? event.memberId : '',
              ...(event.kind === 'void'
                ? {
                    targetId: event.targetId,
                    targetWriter: legacy ? null : writerName(event.targetWriter),
                  }
                : {}),
            });
            if (segment) {
              recorded.push({
                event: truth.at(-1) as ModelEvent,
                segment: `${replica.writer} ${segment.id}`,
                recordedAt,
              });
            }
            // The measure: one correction in every day the segment wrote to, stating the offset.
            if (op.measure && replica.segment) {
              const { id: segmentId, errorMs, days } = replica.segment;
              for (const [n, clockDay] of [...days].entries()) {
                recordEvent(
                  replica.docs.get(clockDay) as Y.Doc,
                  { role, id: name },
                  { kind: 'clock', segment: segmentId },
                  {
                    id: testEventId(at + errorMs, 4096 + index * 2 + n),
                    at,
                    clockTrusted: true,
                    method: 'device',
                  },
                );
              }
              measured.add(`${replica.writer} ${segmentId}`);
              replica.segment = null;
            }
            if (op.sync) {
              const [a, b] = op.sync;
              deliver(replicas[a] as Replica, replicas[b] as Replica, rng, true);
            }
          });
          for (const to of replicas)
            for (const from of replicas) if (from !== to) deliver(from, to, rng, true);
          // A segment never measured keeps the times its wrong clock recorded ([T5]).
          for (const { event, segment, recordedAt } of recorded) {
            if (!measured.has(segment)) event.at = recordedAt;
          }

          const now = window.start + nowSecond * 1000;
          const results = replicas.map((r) =>
            deriveDay(
              config,
              [...r.docs].flatMap(([day, doc]) => readEntries(doc, day)),
              now,
            ),
          );
          for (const [i, r] of replicas.entries()) {
            expect(results[i]).toEqual(results[0]);
            expect({
              stats: r.ledger.stats(now),
              flags: r.ledger.flags(now),
              problems: r.ledger.problems(),
              visits: r.ledger.visits(),
            }).toEqual(results[0]);
          }

          const closingMinutes = 23 * 60;
          const model = referenceModel(
            truth,
            {
              dayStart: window.start,
              dayEnd: window.end,
              debounceMs: config.debounceMs,
              maxStayMs: config.maxStayMs,
              closings: [-1, 0, 1].map((d) =>
                instantAt(addDays(config.day, d), closingMinutes, config.timeZone),
              ),
            },
            now,
          );
          const derived = results[0];
          if (!derived) throw new Error('no result');
          const { stats } = derived;
          expect({
            visits: derived.visits
              .map((v) => ({
                memberId: v.memberId,
                start: v.start,
                end: v.end,
                closedBy: v.closedBy,
                autoCloseAt: v.autoCloseAt,
              }))
              .sort((a, b) => a.start - b.start || (a.memberId < b.memberId ? -1 : 1)),
            currentlyIn: stats.currentlyIn.map((p) => p.memberId),
            visitsToday: stats.visitsToday,
            uniqueMembersToday: stats.uniqueMembersToday,
            deniedToday: stats.deniedToday,
            completedVisits: stats.completedVisits,
            averageStayMs: stats.averageStayMs,
            autoClosedVisits: stats.autoClosedVisits,
            peak: stats.peak,
            occupancy: stats.occupancy.map((b) => b.max),
          }).toEqual(model);
          expect(derived.problems).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
