import { describe, expect, it } from 'vitest';
import { SingleFlightCache } from './SingleFlightCache';

/** A computation that resolves when told, counting how often it ran. */
function gate<V>() {
  let runs = 0;
  const waiting: ((value: V) => void)[] = [];
  return {
    compute: () => {
      runs++;
      return new Promise<V>((resolve) => waiting.push(resolve));
    },
    release: (value: V) => {
      for (const resolve of waiting.splice(0)) resolve(value);
    },
    get runs() {
      return runs;
    },
  };
}

describe('SingleFlightCache', () => {
  it('[P3] lets concurrent requests share one computation and serves it for the window', async () => {
    let now = 1_000;
    const cache = new SingleFlightCache<string>({ ttlMs: 5_000, maxEntries: 10, now: () => now });
    const source = gate<string>();
    const asked = Array.from({ length: 100 }, () => cache.get('riverside', source.compute));
    expect(source.runs).toBe(1);
    source.release('first');
    expect(new Set(await Promise.all(asked))).toEqual(new Set(['first']));
    now += 4_999;
    expect(await cache.get('riverside', source.compute)).toBe('first');
    expect(source.runs).toBe(1);
    now += 1;
    const next = cache.get('riverside', source.compute);
    expect(source.runs).toBe(2);
    source.release('second');
    expect(await next).toBe('second');
  });

  it('[P3] shares a failure for the window too, and hands the next computation the last value', async () => {
    let now = 0;
    const cache = new SingleFlightCache<number>({ ttlMs: 5_000, maxEntries: 10, now: () => now });
    expect(await cache.get('a', async () => 1)).toBe(1);
    now = 5_000;
    let runs = 0;
    const failing = async (previous: number | undefined) => {
      runs++;
      throw new Error(`down; had ${previous}`);
    };
    await expect(cache.get('a', failing)).rejects.toThrow('down; had 1');
    await expect(cache.get('a', failing)).rejects.toThrow('down; had 1');
    expect(runs).toBe(1);
    now = 10_000;
    expect(await cache.get('a', async (previous) => (previous ?? 0) + 1)).toBe(2);
  });

  it('[P3] holds at most maxEntries keys, dropping the least recently computed', async () => {
    const cache = new SingleFlightCache<string>({ ttlMs: 5_000, maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.get(key, async () => key);
    expect(cache.size).toBe(3);
    let runs = 0;
    await cache.get('a', async () => `${++runs}`);
    await cache.get('e', async () => `${++runs}`);
    expect(runs).toBe(1);
  });
});
