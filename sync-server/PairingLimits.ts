import { Backoff, type BackoffPolicy } from './Backoff';
import { FailureBudget, type FailureBudgetPolicy } from './FailureBudget';

export interface PairingLimitsConfiguration {
  /**
   * Backoff of one address after wrong codes. Default: 5 free, then 1 s doubling to a cap of
   * 10 s, forgotten after 15 quiet minutes; a correct code clears it. A staffer's typos on one
   * tablet hold up a good code on another tablet behind the same NAT for 10 s at worst, and one
   * address alone guesses at most one code per 10 s (360 an hour), below the global cap.
   */
  readonly address: BackoffPolicy;
  /**
   * Wrong codes across the whole server. Default 1 000 in hand, one forgiven every 3.6 s: at
   * most 1 000 an hour, 24 000 a day, sustained. That keeps guessing a code of 31^8 ≈ 8.5 × 10^11
   * (~40 bits) infeasible (README has the arithmetic); it takes three or more addresses guessing
   * without pause to reach it, and then pairing waits seconds per code until they stop.
   */
  readonly global: FailureBudgetPolicy;
}

export const PAIRING_LIMITS: PairingLimitsConfiguration = {
  address: { free: 5, baseMs: 1_000, capMs: 10_000, forgetMs: 15 * 60_000 },
  global: { capacity: 1_000, drainMs: 3_600 },
};

/** An admitted pairing attempt: settle it exactly once, after the code was looked up. */
export interface PairingAttempt {
  fail(now?: number): void;
  succeed(now?: number): void;
  abandon(now?: number): void;
}

const EVERYONE = '';

/**
 * The limits on trading a pairing code for a device credential: a backoff per address (an
 * `addressKey`) and a budget of wrong codes for the whole server, both reserved before the code
 * is looked up.
 */
export class PairingLimits {
  private readonly addresses: Backoff;
  private readonly global: FailureBudget;

  constructor(configuration: Partial<PairingLimitsConfiguration> = {}) {
    const { address, global } = { ...PAIRING_LIMITS, ...configuration };
    this.addresses = new Backoff(address);
    this.global = new FailureBudget(global);
  }

  /** Reserves an attempt from `address`, or says how long to wait, ms. */
  begin(address: string, now = Date.now()): PairingAttempt | { waitMs: number } {
    const waitMs = Math.max(
      this.addresses.waitFor(address, now),
      this.global.waitFor(EVERYONE, now),
    );
    if (waitMs > 0) return { waitMs };
    this.addresses.begin(address, now);
    this.global.begin(EVERYONE, now);
    let settled = false;
    const settle = (verdict: 'fail' | 'succeed' | 'abandon', at = Date.now()) => {
      if (settled) return;
      settled = true;
      if (verdict === 'fail') {
        this.addresses.fail(address, at);
        this.global.fail(EVERYONE, at);
      } else if (verdict === 'succeed') {
        this.addresses.succeed(address);
        this.global.succeed(EVERYONE, at);
      } else {
        this.addresses.abandon(address);
        this.global.abandon(EVERYONE, at);
      }
    };
    return {
      fail: (at?: number) => settle('fail', at),
      succeed: (at?: number) => settle('succeed', at),
      abandon: (at?: number) => settle('abandon', at),
    };
  }
}
