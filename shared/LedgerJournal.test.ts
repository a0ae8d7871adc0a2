import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawEntry } from './checkinsDoc';
import { DayLedger } from './DayLedger';
import { eventIdFromBytes } from './eventId';
import { refOf } from './eventRef';
import type { CheckinEvent } from './events';
import type { Visit } from './pairVisits';
import { clock, entryOf, TEST_CONFIG, TEST_DAY } from './testing/entries';
import { testEventId } from './testing/ids';

/**
 * [S8] A record kept only from `takeChanges` (as the server keeps its SQL record) equals the
 * ledger after any sequence of added and removed entries: duplicates and conflicts of one id,
 * voids, check-everyone-out, clock corrections, the day before. fast-check prints the seed.
 */
const WRITERS = ['kiosk:front', 'kiosk:back', 'staff:lee'] as const;

const opArb = fc.record({
  kind: fc.constantFrom('in', 'in', 'out', 'denied', 'void', 'all', 'clock', 'remove'),
  writer: fc.nat({ max: 2 }),
  member: fc.nat({ max: 4 }),
  minute: fc.integer({ min: -120, max: 23 * 60 }),
  /** Re-use an earlier id (a retry, or another variant of it). */
  reuse: fc.option(fc.nat(), { freq: 4 }),
  segment: fc.option(fc.constantFrom('s1', 's2'), { freq: 2 }),
  target: fc.nat(),
  batch: fc.boolean(),
});

class Mirror {
  readonly events = new Map<string, CheckinEvent>();
  readonly visits = new Map<string, readonly Visit[]>();

  follow(ledger: DayLedger): void {
    const { upserted, removed, members } = ledger.takeChanges();
    for (const ref of removed) this.events.delete(ref);
    for (const event of upserted) this.events.set(refOf(event), event);
    for (const member of members) this.visits.set(member, [...ledger.visitsOf(member)]);
  }
}

describe('LedgerJournal', () => {
  it('[S8] a record kept from the changes alone equals the ledger, whatever was added or taken out', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.boolean(), (ops, late) => {
        const ledger = new DayLedger(TEST_CONFIG);
        const mirror = new Mirror();
        // Either from the start, or once some entries are already held.
        if (!late) ledger.trackChanges();
        const written: RawEntry[] = [];
        let pending: RawEntry[] = [];
        const flush = () => {
          ledger.add(pending);
          pending = [];
          if (late && written.length > 3) ledger.trackChanges();
          mirror.follow(ledger);
        };
        ops.forEach((op, n) => {
          const writer = WRITERS[op.writer] as string;
          const staff = writer.startsWith('staff:');
          const at = clock('00:00') + op.minute * 60_000;
          const day = op.minute < 0 ? '2026-03-09' : TEST_DAY;
          const earlier = op.reuse === null ? undefined : written[op.reuse % written.length];
          const id = testEventId(at, n);
          // An earlier id again, by its own writer, with other content: a conflicting variant.
          const variantOf = earlier && op.kind === 'out' ? earlier : undefined;
          const options = {
            at,
            day,
            writer: variantOf?.container ?? writer,
            id: variantOf ? (eventIdFromBytes((variantOf.value as unknown[])[1]) ?? id) : id,
            method: staff ? ('staff' as const) : ('qr' as const),
            key: `${writer}:${n}`,
            ...(op.segment === null || op.kind === 'clock' ? {} : { segment: op.segment }),
          };
          let entry: RawEntry | null = null;
          if (op.kind === 'remove') {
            const gone = written[op.target % Math.max(1, written.length)];
            if (gone) {
              flush();
              ledger.remove([gone.key]);
              written.splice(written.indexOf(gone), 1);
              mirror.follow(ledger);
            }
            return;
          }
          if (op.kind === 'in')
            entry = entryOf({ kind: 'checkIn', memberId: `m${op.member}` }, options);
          if (op.kind === 'out')
            entry = entryOf({ kind: 'checkOut', memberId: `m${op.member}` }, options);
          if (op.kind === 'denied') {
            entry = entryOf(
              { kind: 'denied', memberId: `m${op.member}`, reason: 'expired' },
              options,
            );
          }
          if (op.kind === 'void' && staff && written.length > 0) {
            const target = ledger.events()[op.target % Math.max(1, ledger.events().length)];
            if (target) {
              entry = entryOf(
                { kind: 'void', targetId: target.id, targetWriter: target.writer, reason: 'x' },
                options,
              );
            }
          }
          if (op.kind === 'all' && staff) entry = entryOf({ kind: 'checkOutAll' }, options);
          if (op.kind === 'clock') {
            entry = entryOf(
              { kind: 'clock', segment: op.segment ?? 's1' },
              { ...options, at: at - 3_600_000, method: 'device' },
            );
          }
          // A retry: the same entry again under another key.
          if (earlier && op.kind === 'in') entry = { ...earlier, key: options.key };
          if (!entry) return;
          written.push(entry);
          pending.push(entry);
          if (!op.batch) flush();
        });
        flush();
        ledger.trackChanges();
        mirror.follow(ledger);

        const held = new Map(ledger.events().map((e) => [refOf(e), e]));
        expect(new Map([...mirror.events].sort())).toEqual(new Map([...held].sort()));
        const visits = [...mirror.visits.values()]
          .flat()
          .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
        const expected = ledger
          .visits()
          .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
        expect(visits).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
