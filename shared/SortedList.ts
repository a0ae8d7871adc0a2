/**
 * A list kept sorted by a comparator, stored as chunks of at most `MAX_CHUNK` items.
 *
 * A flat array would move every later element on each insert or removal, and in V8 moving object
 * pointers is not a plain memmove (write barriers): at 100 000 events that cost dominated the
 * ledger (docs/BENCHMARKS.md). With chunks, an insert or removal moves at most one chunk, finding
 * it takes a binary search over chunk ends, and reading from the newest end stays cheap.
 */
const MAX_CHUNK = 512;

export class SortedList<T> {
  private chunks: T[][] = [];
  private count = 0;
  private readonly compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.compare = compare;
  }

  get length(): number {
    return this.count;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.chunks.flat()[Symbol.iterator]();
  }

  /** Items from the greatest down, for as long as `visit` returns true. */
  descending(visit: (item: T) => boolean): void {
    for (let c = this.chunks.length - 1; c >= 0; c--) {
      const chunk = this.chunks[c] as T[];
      for (let i = chunk.length - 1; i >= 0; i--) if (!visit(chunk[i] as T)) return;
    }
  }

  insert(item: T): void {
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      this.count = 1;
      return;
    }
    // The first chunk whose last item sorts after `item`, or the last chunk.
    let c = this.firstChunk((last) => this.compare(last, item) > 0);
    if (c === this.chunks.length) c--;
    const chunk = this.chunks[c] as T[];
    chunk.splice(
      firstIndex(chunk, (other) => this.compare(other, item) > 0),
      0,
      item,
    );
    this.count++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK / 2));
  }

  /** Removes this exact item (by identity); returns whether it was there. */
  remove(item: T): boolean {
    for (
      let c = this.firstChunk((last) => this.compare(last, item) >= 0);
      c < this.chunks.length;
      c++
    ) {
      const chunk = this.chunks[c] as T[];
      for (
        let i = firstIndex(chunk, (other) => this.compare(other, item) >= 0);
        i < chunk.length;
        i++
      ) {
        const other = chunk[i] as T;
        if (other === item) {
          chunk.splice(i, 1);
          this.count--;
          if (chunk.length === 0) this.chunks.splice(c, 1);
          return true;
        }
        if (this.compare(other, item) !== 0) return false;
      }
    }
    return false;
  }

  /** Inserts many at once: a big batch (a document loading) is merged by one sort. */
  insertAll(items: readonly T[]): void {
    if (this.isBig(items)) this.rebuild([...this.chunks.flat(), ...items].sort(this.compare));
    else for (const item of items) this.insert(item);
  }

  /** Removes many at once: a big batch is filtered out in one pass. */
  removeAll(items: readonly T[]): void {
    if (this.isBig(items)) {
      const gone = new Set(items);
      this.rebuild(this.chunks.flat().filter((item) => !gone.has(item)));
    } else {
      for (const item of items) this.remove(item);
    }
  }

  /**
   * Whether a batch is worth one pass over the whole list: when it is large, and large against
   * the list. A few hundred entries added to a 10 000-event day (the server's ledger reads a
   * document in slices) go in one by one; re-sorting the day for each slice made building it
   * 8 times slower.
   */
  private isBig(items: readonly T[]): boolean {
    return items.length > 64 && items.length * 8 > this.count;
  }

  private rebuild(sorted: T[]): void {
    this.chunks = [];
    for (let i = 0; i < sorted.length; i += MAX_CHUNK / 2) {
      this.chunks.push(sorted.slice(i, i + MAX_CHUNK / 2));
    }
    this.count = sorted.length;
  }

  /** Index of the first chunk whose last item satisfies `isAfter` (false, then true). */
  private firstChunk(isAfter: (last: T) => boolean): number {
    return firstIndex(this.chunks, (chunk) => isAfter(chunk[chunk.length - 1] as T));
  }
}

/** Index of the first element for which `isAfter` holds; it must be false, then true. */
function firstIndex<E>(items: readonly E[], isAfter: (item: E) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(items[mid] as E)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
