/**
 * Answers shared for a while: the value of a key is computed at most once per `ttlMs`, and
 * requests that come while it is being computed wait for that one computation (single flight).
 * So the rate of computation depends on time, never on the rate of requests ([P3]). Keys come
 * from callers that admit only known ones (real sites); `maxEntries` bounds the memory anyway.
 */
export interface SingleFlightCacheConfiguration {
  /** How long a computed value is served, ms. */
  readonly ttlMs: number;
  /** Most keys held; beyond it the least recently computed is dropped. */
  readonly maxEntries: number;
  /** The clock; tests may pass their own. Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry<V> {
  readonly at: number;
  readonly value: Promise<V>;
  /** The last value a computation of this key gave, for the next one (see `get`). */
  last: V | undefined;
}

export class SingleFlightCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(configuration: SingleFlightCacheConfiguration) {
    this.ttlMs = configuration.ttlMs;
    this.maxEntries = configuration.maxEntries;
    this.now = configuration.now ?? Date.now;
  }

  /**
   * The value of `key`: the one computed less than `ttlMs` ago (or being computed), else a new
   * computation. `compute` gets the key's previous value, so it can fall back on it when it
   * fails; a failure is shared like a value until the window ends, so a failing source is not
   * asked more often than a working one.
   */
  get(key: string, compute: (previous: V | undefined) => Promise<V>): Promise<V> {
    const now = this.now();
    const held = this.entries.get(key);
    if (held && now - held.at < this.ttlMs) return held.value;
    const last = held?.last;
    const value = compute(last);
    const entry: Entry<V> = { at: now, value, last };
    value.then(
      (v) => {
        entry.last = v;
      },
      () => {},
    );
    // Re-inserted: the Map's order is the order of computation, oldest first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return value;
  }

  /** Keys held now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}
