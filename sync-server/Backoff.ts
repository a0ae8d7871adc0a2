/** How a key backs off after failures. */
export interface BackoffPolicy {
  /** Attempts a key may fail before it has to wait (typos). */
  readonly free: number;
  /** The wait after the free attempts have failed, ms; it doubles with every further failure. */
  readonly baseMs: number;
  /** The longest wait, ms: what an honest person behind the key waits at worst. */
  readonly capMs: number;
  /**
   * A key with nothing in flight and no failure for this long starts afresh, ms. Must be at
   * least `capMs`; forgetting sooner than the free attempts and the climb to the cap take is
   * harmless, because waiting that long costs a guesser more than it gives back.
   */
  readonly forgetMs: number;
}

interface KeyState {
  failures: number;
  inFlight: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Start sweeping forgotten keys at this many; the threshold doubles with what is left. */
const FIRST_SWEEP = 1024;

/**
 * Exponential backoff per key (an account, an address) that counts attempts in flight: an
 * attempt reserves its slot with `begin` before it is evaluated, and settles it with `fail`,
 * `succeed` or `abandon`. A reserved attempt is counted as a failure until it settles, so 200
 * concurrent attempts get the free ones and no more — a limit checked before a slow evaluation
 * and counted after it would let them all through.
 *
 * In memory: a restart forgets, which gives a guesser the free attempts once more per restart.
 */
export class Backoff {
  private readonly states = new Map<string, KeyState>();
  private readonly policy: BackoffPolicy;
  private nextSweep = FIRST_SWEEP;

  constructor(policy: BackoffPolicy) {
    this.policy = policy;
  }

  /** The wait after `failures` consecutive failures, ms. */
  delayAfter(failures: number): number {
    const { free, baseMs, capMs } = this.policy;
    if (failures < free) return 0;
    return Math.min(capMs, baseMs * 2 ** Math.min(failures - free, 30));
  }

  /** Milliseconds until `key` may be tried; 0 when an attempt would be admitted now. */
  waitFor(key: string, now: number): number {
    const state = this.live(key, now);
    if (!state) return 0;
    if (now < state.lockedUntil) return state.lockedUntil - now;
    if (state.failures + state.inFlight < this.policy.free) return 0;
    if (state.inFlight === 0) return 0;
    // Attempts in flight will most likely fail: at least the wait their failure brings.
    return Math.max(1, this.delayAfter(state.failures + state.inFlight));
  }

  /** True while `key` has failures it has not lived down, or attempts in flight. */
  isMarked(key: string, now: number): boolean {
    const state = this.live(key, now);
    return state !== undefined && (state.failures > 0 || state.inFlight > 0);
  }

  /** Reserves an attempt. Call only when `waitFor` says 0; settle it exactly once. */
  begin(key: string, now: number): void {
    let state = this.live(key, now);
    if (!state) {
      state = { failures: 0, inFlight: 0, lockedUntil: 0, lastFailure: now };
      this.states.set(key, state);
      if (this.states.size >= this.nextSweep) this.sweep(now);
    }
    state.inFlight++;
  }

  fail(key: string, now: number): void {
    const state = this.states.get(key);
    if (!state) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    state.failures++;
    state.lastFailure = now;
    state.lockedUntil = Math.max(state.lockedUntil, now + this.delayAfter(state.failures));
  }

  succeed(key: string): void {
    const state = this.states.get(key);
    if (!state) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    state.failures = 0;
    state.lockedUntil = 0;
    if (state.inFlight === 0) this.states.delete(key);
  }

  /** Releases an attempt that came to no verdict (the evaluation itself failed). */
  abandon(key: string): void {
    const state = this.states.get(key);
    if (!state) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
  }

  private live(key: string, now: number): KeyState | undefined {
    const state = this.states.get(key);
    if (state && this.forgotten(state, now)) {
      this.states.delete(key);
      return undefined;
    }
    return state;
  }

  private forgotten(state: KeyState, now: number): boolean {
    return (
      state.inFlight === 0 &&
      now >= state.lockedUntil &&
      now - state.lastFailure >= this.policy.forgetMs
    );
  }

  private sweep(now: number): void {
    for (const [key, state] of this.states) if (this.forgotten(state, now)) this.states.delete(key);
    this.nextSweep = Math.max(FIRST_SWEEP, 2 * this.states.size);
  }
}
