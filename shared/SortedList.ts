/**
 * An array kept sorted by a comparator. Inserts and removals binary-search their place and splice;
 * in a gym's day nearly all of them land near the end (new events are the newest), where a splice
 * moves almost nothing.
 */
export class SortedList<T> {
  private items: T[] = [];
  private readonly compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.compare = compare;
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): T | undefined {
    return this.items[index];
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }

  insert(item: T): void {
    this.items.splice(
      this.firstIndex((other) => this.compare(other, item) > 0),
      0,
      item,
    );
  }

  /** Inserts many at once: a big batch (a document loading) is appended and sorted once. */
  insertAll(items: readonly T[]): void {
    if (items.length > 64) {
      this.items.push(...items);
      this.items.sort(this.compare);
    } else {
      for (const item of items) this.insert(item);
    }
  }

  /** Removes many at once: a big batch is filtered out in one pass. */
  removeAll(items: readonly T[]): void {
    if (items.length > 64) {
      const gone = new Set(items);
      this.items = this.items.filter((item) => !gone.has(item));
    } else {
      for (const item of items) this.remove(item);
    }
  }

  /** Removes this exact item (by identity); returns whether it was there. */
  remove(item: T): boolean {
    for (
      let i = this.firstIndex((other) => this.compare(other, item) >= 0);
      i < this.items.length;
      i++
    ) {
      const other = this.items[i] as T;
      if (other === item) {
        this.items.splice(i, 1);
        return true;
      }
      if (this.compare(other, item) !== 0) break;
    }
    return false;
  }

  /** Index of the first item for which `isAfter` holds; `isAfter` must be false then true. */
  firstIndex(isAfter: (item: T) => boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isAfter(this.items[mid] as T)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
