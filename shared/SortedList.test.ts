import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedList } from './SortedList';

describe('SortedList', () => {
  it('stays sorted and removes by identity through any mix of single and batch operations', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('add' as const),
              values: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }),
            }),
            fc.record({
              op: fc.constant('remove' as const),
              picks: fc.array(fc.nat(), { maxLength: 150 }),
            }),
          ),
          { maxLength: 30 },
        ),
        (steps) => {
          const list = new SortedList<{ v: number }>((a, b) => a.v - b.v);
          let plain: { v: number }[] = [];
          for (const step of steps) {
            if (step.op === 'add') {
              const items = step.values.map((v) => ({ v }));
              list.insertAll(items);
              plain.push(...items);
            } else if (plain.length > 0) {
              const gone = [
                ...new Set(step.picks.map((p) => plain[p % plain.length] as { v: number })),
              ];
              list.removeAll(gone);
              plain = plain.filter((item) => !gone.includes(item));
            }
            const expected = [...plain].sort((a, b) => a.v - b.v).map((i) => i.v);
            expect([...list].map((i) => i.v)).toEqual(expected);
            expect(list.length).toBe(plain.length);
            const descending: number[] = [];
            list.descending((item) => descending.push(item.v) < 5);
            expect(descending).toEqual(expected.reverse().slice(0, 5));
          }
          for (const item of plain) expect(list.remove(item)).toBe(true);
          expect(list.remove({ v: 1 })).toBe(false);
          expect(list.length).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
