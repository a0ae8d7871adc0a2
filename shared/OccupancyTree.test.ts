import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OccupancyTree } from './OccupancyTree';

describe('OccupancyTree', () => {
  it('[S4] answers range maxima and their earliest second exactly like a plain array', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(
          fc.tuple(
            fc.integer({ min: -20, max: 320 }),
            fc.integer({ min: -20, max: 320 }),
            fc.constantFrom(1, -1, 2),
          ),
          { maxLength: 40 },
        ),
        fc.array(fc.tuple(fc.integer({ min: -5, max: 310 }), fc.integer({ min: -5, max: 310 })), {
          maxLength: 20,
        }),
        (size, adds, queries) => {
          const tree = new OccupancyTree(size);
          const plain = new Array<number>(size).fill(0);
          for (const [from, to, delta] of adds) {
            tree.add(from, to, delta);
            for (let s = Math.max(0, from); s < Math.min(size, to); s++)
              plain[s] = (plain[s] as number) + delta;
          }
          for (const [from, to] of queries) {
            const lo = Math.max(0, from);
            const hi = Math.min(size, to);
            if (lo >= hi) {
              expect(tree.max(from, to)).toEqual({ value: 0, second: -1 });
              continue;
            }
            const slice = plain.slice(lo, hi);
            const value = Math.max(...slice);
            expect(tree.max(from, to)).toEqual({ value, second: lo + slice.indexOf(value) });
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
