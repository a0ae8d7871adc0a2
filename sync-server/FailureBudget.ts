/** How many failures a key may have in hand, and how fast they are forgiven. */
export interface FailureBudgetPolicy {
  /** Failures a key may have in hand before it has to wait. */
  readonly capacity: number;
  /** One failure is forgiven every this many ms: the sustained rate is one failure per drain. */
  readonly drainMs: number;
}

interface KeyState {
  level: number;
  at: number;
  inFlight: number;
}

const FIRST_SWEEP = 1024;

/**
 * A leaky bucket of failures per key: only failures fill it (successes are never limited, so a
 * gym's fifty phones signing in behind one address never meet it), it drains at a steady rate,
 * and a key whose bucket is full waits for the next drop to drain. Attempts in flight count as
 * failures until they settle (`begin`, then `fail`, `succeed` or `abandon`), so concurrent
 * attempts cannot overfill it.
 */
export class FailureBudget {
  private readonly states = new Map<string, KeyState>();
  private readonly policy: FailureBudgetPolicy;
  private nextSweep = FIRST_SWEEP;

  constructor(policy: FailureBudgetPolicy) {
    this.policy = policy;
  }

  /** Milliseconds until `key` may make an attempt; 0 when it may now. */
  waitFor(key: string, now: number): number {
    const state = this.states.get(key);
    if (!state) return 0;
    const over = this.level(state, now) + state.inFlight + 1 - this.policy.capacity;
    return over <= 0 ? 0 : Math.max(1, Math.ceil(over * this.policy.drainMs));
  }

  /** Reserves an attempt. Call only when `waitFor` says 0; settle it exactly once. */
  begin(key: string, now: number): void {
    let state = this.states.get(key);
    if (!state) {
      state = { level: 0, at: now, inFlight: 0 };
      this.states.set(key, state);
      if (this.states.size >= this.nextSweep) this.sweep(now);
    }
    state.inFlight++;
  }

  /**
   * Counts one use of `key` when it may make one now (the bucket as a rate limit: every use
   * fills it); otherwise counts nothing. Returns the wait, 0 when the use was counted.
   */
  take(key: string, now: number): number {
    const wait = this.waitFor(key, now);
    if (wait > 0) return wait;
    this.begin(key, now);
    this.fail(key, now);
    return 0;
  }

  fail(key: string, now: number): void {
    const state = this.states.get(key);
    if (!state) return;
    state.level = this.level(state, now) + 1;
    state.at = now;
    state.inFlight = Math.max(0, state.inFlight - 1);
  }

  succeed(key: string, now: number): void {
    this.abandon(key, now);
  }

  abandon(key: string, now: number): void {
    const state = this.states.get(key);
    if (!state) return;
    state.inFlight = Math.max(0, state.inFlight - 1);
    if (state.inFlight === 0 && this.level(state, now) === 0) this.states.delete(key);
  }

  private level(state: KeyState, now: number): number {
    return Math.max(0, state.level - (now - state.at) / this.policy.drainMs);
  }

  private sweep(now: number): void {
    for (const [key, state] of this.states)
      if (state.inFlight === 0 && this.level(state, now) === 0) this.states.delete(key);
    this.nextSweep = Math.max(FIRST_SWEEP, 2 * this.states.size);
  }
}
