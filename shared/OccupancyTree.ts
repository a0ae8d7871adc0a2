/**
 * Occupancy over one day at one-second resolution: add or remove a visit's interval and ask for
 * the maximum (and its earliest second) over any range, each in O(log n).
 *
 * A segment tree without push-down: `top[node]` is the maximum within the node's range including
 * the adds stored at that node (`own[node]`), but not those stored at its ancestors. 25 hours are
 * 90 000 seconds, so the two Int32Arrays take about 1 MB.
 */
export class OccupancyTree {
  readonly size: number;
  private readonly top: Int32Array;
  private readonly own: Int32Array;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
    let leaves = 1;
    while (leaves < this.size) leaves *= 2;
    this.top = new Int32Array(2 * leaves);
    this.own = new Int32Array(2 * leaves);
  }

  /**
   * Adds `delta` to every second in `[from, to)`; the range is clipped to the day. Bottom-up and
   * without recursion: every visit of a day passes through here when a dashboard opens it.
   */
  add(from: number, to: number, delta: number): void {
    const lo = Math.max(0, Math.floor(from));
    const hi = Math.min(this.size, Math.floor(to));
    if (lo >= hi) return;
    const leaves = this.leafCount();
    let l = lo + leaves;
    let r = hi + leaves;
    const first = l;
    const last = r - 1;
    while (l < r) {
      if (l & 1) this.apply(l++, delta);
      if (r & 1) this.apply(--r, delta);
      l >>= 1;
      r >>= 1;
    }
    this.pullUp(first);
    this.pullUp(last);
  }

  /** The greatest occupancy in `[from, to)` and the earliest second where it occurs. */
  max(from: number, to: number): { value: number; second: number } {
    const lo = Math.max(0, Math.floor(from));
    const hi = Math.min(this.size, Math.floor(to));
    if (lo >= hi) return { value: 0, second: -1 };
    return this.maxIn(1, 0, this.leafCount(), lo, hi);
  }

  private leafCount(): number {
    return this.top.length / 2;
  }

  private apply(node: number, delta: number): void {
    this.own[node] = (this.own[node] as number) + delta;
    this.top[node] = (this.top[node] as number) + delta;
  }

  /** Recomputes the maxima on the path from `node` to the root. */
  private pullUp(node: number): void {
    for (let n = node >> 1; n >= 1; n >>= 1) {
      this.top[n] =
        Math.max(this.top[2 * n] as number, this.top[2 * n + 1] as number) +
        (this.own[n] as number);
    }
  }

  private maxIn(
    node: number,
    lo: number,
    hi: number,
    from: number,
    to: number,
  ): { value: number; second: number } {
    if (from <= lo && hi <= to)
      return { value: this.top[node] as number, second: this.argmax(node, lo, hi) };
    const mid = (lo + hi) >>> 1;
    const own = this.own[node] as number;
    const left = from < mid ? this.maxIn(2 * node, lo, mid, from, to) : null;
    const right = to > mid ? this.maxIn(2 * node + 1, mid, hi, from, to) : null;
    const best =
      left && (!right || left.value >= right.value)
        ? left
        : (right as { value: number; second: number });
    return { value: best.value + own, second: best.second };
  }

  /** Earliest leaf of `node`'s range holding its maximum. */
  private argmax(node: number, lo: number, hi: number): number {
    let n = node;
    let l = lo;
    let h = hi;
    while (h - l > 1) {
      const mid = (l + h) >>> 1;
      const want = (this.top[n] as number) - (this.own[n] as number);
      if ((this.top[2 * n] as number) === want) {
        n = 2 * n;
        h = mid;
      } else {
        n = 2 * n + 1;
        l = mid;
      }
    }
    return l;
  }
}
