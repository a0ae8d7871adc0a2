import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawEntry } from './checkinsDoc';
import { DayLedger } from './DayLedger';
import { deriveDay } from './deriveDay';
import { encodeEntry } from './entryCodec';
import { eventIdFromBytes } from './eventId';
import type { NewEvent, VoidEvent, Writer } from './events';
import { dayWindow } from './localTime';
import { TEST_CONFIG, withoutTargetWriter } from './testing/entries';
import { testEventId } from './testing/ids';
import { parseWriterName } from './writer';

/**
 * [S8] The ledger fed entries a few at a time — in any order, with replays and deletions —
 * always equals a derivation from scratch of the entries it holds.
 */

const config = { ...TEST_CONFIG, closingTime: '22:30' };
const window = dayWindow(config.day, config.timeZone);

const specArb = fc.record({
  kind: fc.constantFrom(
    'in',
    'in',
    'in',
    'out',
    'out',
    'denied',
    'void',
    'all',
    'bad',
    'conflict',
    'future',
    'switch',
    'reuse',
  ),
  member: fc.nat({ max: 4 }),
  second: fc.integer({ min: -2 * 3600, max: 24 * 3600 + 600 }),
  writer: fc.constantFrom('kiosk:a', 'kiosk:b', 'staff:s'),
  target: fc.nat(),
  /** A legacy void (no target writer), or a switch written by another writer. */
  other: fc.boolean(),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

/** Turns generated specs into raw entries, including bad and conflicting ones. */
function entriesFrom(specs: Spec[]): RawEntry[] {
  const entries: RawEntry[] = [];
  const scans: { id: string; at: number; memberId: string; writer: string; docDay: string }[] = [];
  specs.forEach((spec, index) => {
    const at = window.start + spec.second * 1000;
    const docDay = spec.second < 0 ? '2026-03-09' : config.day;
    const key = `k${index}`;
    const memberId = `m${spec.member}`;
    const staff = spec.writer === 'staff:s';
    const earlier = entries.filter(
      (e) => Array.isArray(e.value) && eventIdFromBytes((e.value as unknown[])[1]) !== null,
    );
    let event: NewEvent = { kind: 'checkIn', memberId };
    let id = testEventId(at, index);
    switch (spec.kind) {
      case 'out':
        event = { kind: 'checkOut', memberId };
        break;
      case 'denied':
        event = { kind: 'denied', memberId, reason: 'unknown', code: 'X1' };
        break;
      case 'void': {
        // Names an earlier entry's writer and id, or nothing held yet ([V10]).
        const target = earlier[spec.target % Math.max(1, earlier.length)];
        const targetId =
          eventIdFromBytes((target?.value as unknown[] | undefined)?.[1]) ??
          testEventId(at + 1, index + 1);
        const targetWriter = parseWriterName(target?.container ?? spec.writer) as Writer;
        const value = encodeEntry(
          { kind: 'void', targetId, targetWriter, reason: 'wrong member' },
          { id, at, clockTrusted: spec.member !== 3, method: staff ? 'staff' : 'qr' },
        );
        // A void written before voids named the writer names the id in any array.
        entries.push({
          key,
          docDay,
          container: spec.writer,
          value: spec.other ? withoutTargetWriter(value) : value,
        });
        return;
      }
      case 'reuse': {
        // An earlier entry's id in this writer's array: another writer's is another event, the
        // same writer's is a retry or a conflict ([E1], [E2]).
        const target = earlier[spec.target % Math.max(1, earlier.length)];
        const reused = eventIdFromBytes((target?.value as unknown[] | undefined)?.[1]);
        if (reused) id = reused;
        break;
      }
      case 'all':
        event = { kind: 'checkOutAll' };
        break;
      case 'bad':
        entries.push({
          key,
          docDay,
          container: spec.writer,
          value: [1, 'not bytes', 0, memberId, 0, true, 0],
        });
        return;
      case 'conflict': {
        // Same id as an earlier entry, different member: one must win everywhere ([E2]).
        const target = earlier[spec.target % Math.max(1, earlier.length)];
        if (target) {
          const value = [...(target.value as unknown[])];
          value[3] = `${value[3]}x`;
          entries.push({ key, docDay: target.docDay, container: target.container, value });
          return;
        }
        break;
      }
      case 'future':
        id = testEventId(window.end + 86_400_000, index);
        break;
      case 'switch': {
        // The member switches right after an earlier scan ([K5]): same member, same writer, 10 s
        // later, naming it. (It names whatever the earlier entry is, so invalid switches occur too.)
        // With `other`, another writer names it: that switch is an ordinary scan.
        const target = scans[spec.target % Math.max(1, scans.length)];
        if (target) {
          const container = spec.other ? spec.writer : target.writer;
          const value = encodeEntry(
            { kind: 'checkOut', memberId: target.memberId, corrects: target.id },
            {
              id: testEventId(target.at + 10_000, index),
              at: target.at + 10_000,
              clockTrusted: true,
              method: 'qr',
            },
          );
          entries.push({ key, docDay: target.docDay, container, value });
          return;
        }
        event = { kind: 'checkOut', memberId };
        break;
      }
    }
    const value = encodeEntry(event, {
      id,
      at: spec.kind === 'future' ? window.end + 86_400_000 : at,
      clockTrusted: spec.member !== 3,
      method: staff ? 'staff' : 'qr',
    });
    entries.push({ key, docDay, container: spec.writer, value });
    if (event.kind === 'checkIn' || event.kind === 'checkOut') {
      scans.push({ id, at, memberId: event.memberId, writer: spec.writer, docDay });
    }
  });
  return entries;
}

function snapshot(ledger: DayLedger, now: number) {
  return {
    stats: ledger.stats(now),
    flags: ledger.flags(now),
    problems: ledger.problems(),
    visits: ledger.visits(),
  };
}

const stepArb = fc.record({
  remove: fc.boolean(),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
});

describe('DayLedger', () => {
  it('[S8] equals a full derivation after every batch of additions, replays and deletions', () => {
    fc.assert(
      fc.property(
        fc.array(specArb, { minLength: 1, maxLength: 30 }),
        fc.array(stepArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: -3600, max: 25 * 3600 }),
        (specs, steps, nowSecond) => {
          const all = entriesFrom(specs);
          const now = window.start + nowSecond * 1000;
          const ledger = new DayLedger(config);
          const held = new Map<string, RawEntry>();
          for (const step of [...steps, { remove: false, picks: all.map((_, i) => i) }]) {
            const chosen = step.picks.map((p) => all[p % all.length] as RawEntry);
            if (step.remove) {
              ledger.remove(chosen.map((e) => e.key));
              for (const e of chosen) held.delete(e.key);
            } else {
              ledger.add(chosen);
              for (const e of chosen) held.set(e.key, e);
            }
            const full = deriveDay(config, held.values(), now);
            expect(snapshot(ledger, now)).toEqual(full);
            // [R1] What the server's record notes: problems, and flags that do not depend on now.
            const {
              'auto-closed': _auto,
              'future-dated': _future,
              ...timeless
            } = full.stats.flagCounts;
            expect(ledger.recordCounts()).toEqual({
              problems: full.problems.filter((p) => p.docDay === config.day).length,
              flags: Object.values(timeless).reduce((a, b) => a + b, 0),
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("[E2] keeps the same variant of one writer's conflicting duplicate whichever arrives first", () => {
    const at = window.start + 10 * 3_600_000;
    const id = testEventId(at, 1);
    const a = encodeEntry(
      { kind: 'checkIn', memberId: 'ana' },
      { id, at, clockTrusted: true, method: 'qr' },
    );
    const b = encodeEntry(
      { kind: 'checkIn', memberId: 'bob' },
      { id, at, clockTrusted: true, method: 'qr' },
    );
    const entries: RawEntry[] = [
      { key: '1:0', docDay: config.day, container: 'kiosk:a', value: a },
      { key: '2:0', docDay: config.day, container: 'kiosk:a', value: b },
    ];
    const forward = deriveDay(config, entries, at + 60_000);
    const backward = deriveDay(config, [...entries].reverse(), at + 60_000);
    expect(forward).toEqual(backward);
    expect(forward.stats.visitsToday).toBe(1);
    expect(forward.problems.map((p) => [p.code, p.container, p.key])).toEqual([
      ['conflicting-duplicate', 'kiosk:a', '2:0'],
    ]);
  });

  it("[E2] holds two writers' entries with one id as two events, each found by its ref", () => {
    const at = window.start + 10 * 3_600_000;
    const id = testEventId(at, 1);
    const entry = (key: string, container: string, memberId: string): RawEntry => ({
      key,
      docDay: config.day,
      container,
      value: encodeEntry(
        { kind: 'checkIn', memberId },
        { id, at, clockTrusted: true, method: 'qr' },
      ),
    });
    const ledger = new DayLedger(config);
    ledger.add([entry('1:0', 'kiosk:a', 'ana'), entry('2:0', 'kiosk:b', 'bob')]);
    expect(ledger.event(`kiosk:a/${id}`)).toMatchObject({ memberId: 'ana' });
    expect(ledger.event(`kiosk:b/${id}`)).toMatchObject({ memberId: 'bob' });
    expect(ledger.event(id)).toBeUndefined();
    expect(ledger.stats(at + 1000).visitsToday).toBe(2);
    expect(ledger.problems()).toEqual([]);
    ledger.remove(['1:0']);
    expect(ledger.event(`kiosk:a/${id}`)).toBeUndefined();
    expect(ledger.stats(at + 1000).currentlyIn.map((p) => p.memberId)).toEqual(['bob']);
  });

  it('[E2][E6] keeps a staff correction when a kiosk writes something else under its id', () => {
    const at = window.start + 10 * 3_600_000;
    const checkIn = encodeEntry(
      { kind: 'checkIn', memberId: 'ana' },
      { id: testEventId(at, 1), at, clockTrusted: true, method: 'qr' },
    );
    const voidId = testEventId(at + 60_000, 2);
    const correction = encodeEntry(
      {
        kind: 'void',
        targetId: testEventId(at, 1),
        targetWriter: { role: 'kiosk', id: 'a' },
        reason: 'wrong member',
      },
      { id: voidId, at: at + 60_000, clockTrusted: true, method: 'staff' },
    );
    // Sorts before the void by content: under id-only identity it would have replaced it.
    const forgery = encodeEntry(
      { kind: 'checkIn', memberId: 'zed' },
      { id: voidId, at: at + 60_000, clockTrusted: true, method: 'qr' },
    );
    const entries: RawEntry[] = [
      { key: 'd/1:0', docDay: config.day, container: 'kiosk:a', value: checkIn },
      { key: 'd/2:0', docDay: config.day, container: 'staff:s', value: correction },
      { key: 'd/3:0', docDay: config.day, container: 'kiosk:rogue', value: forgery },
    ];
    const result = deriveDay(config, entries, at + 3_600_000);
    expect(result.stats.currentlyIn.map((p) => p.memberId)).toEqual(['zed']);
    expect(result.problems).toEqual([]);
    const ledger = new DayLedger(config);
    ledger.add(entries);
    const correctionEvent = ledger.event(`staff:s/${voidId}`);
    expect(correctionEvent).toMatchObject({ kind: 'void', writer: { role: 'staff' } });
    expect(ledger.event(`kiosk:rogue/${voidId}`)).toMatchObject({ kind: 'checkIn' });
    expect(ledger.event(`kiosk:a/${testEventId(at, 99)}`)).toBeUndefined();
    expect(ledger.targetsOf(correctionEvent as VoidEvent)).toEqual([
      ledger.event(`kiosk:a/${testEventId(at, 1)}`),
    ]);
  });

  it('[D5] forgets an entry that was deleted from its document', () => {
    const at = window.start + 9 * 3_600_000;
    const value = encodeEntry(
      { kind: 'checkIn', memberId: 'ana' },
      { id: testEventId(at, 7), at, clockTrusted: true, method: 'qr' },
    );
    const ledger = new DayLedger(config);
    ledger.add([{ key: '5:3', docDay: config.day, container: 'kiosk:a', value }]);
    expect(ledger.stats(at + 1000).visitsToday).toBe(1);
    ledger.remove(['5:3']);
    expect(ledger.stats(at + 1000).visitsToday).toBe(0);
    expect(ledger.stats(at + 1000).feed).toEqual([]);
  });
});
