import { Backoff, type BackoffPolicy } from './Backoff';
import { FailureBudget, type FailureBudgetPolicy } from './FailureBudget';

export interface SignInLimitsConfiguration {
  /**
   * Backoff of one account, in each of its two lanes (see the class). Default: 3 free attempts,
   * then 1 s doubling to a cap of 60 s, forgotten after 15 quiet minutes. The cap is the longest
   * an honest person waits once a guesser stops, and sets the steady rate a guesser gets: one
   * guess per 60 s per lane, 2 × 1 440 = 2 880 a day per account (README has the arithmetic).
   */
  readonly account: BackoffPolicy;
  /**
   * Wrong passwords per address, whatever the username; successes never count. Default 30 in
   * hand, one forgiven every 5 s (720 an hour). Sized for a gym's front desk behind one NAT
   * (thirty typos before anyone waits); what it stops is one address spraying usernames, each
   * of which costs a password hash.
   */
  readonly address: FailureBudgetPolicy;
  /**
   * How long an address stays "known to have failed" for an account, ms. Default 1 hour: longer
   * than an account lane's memory, so one address can never put more than one failure a quiet
   * period into the lane of the addresses that have not failed.
   */
  readonly suspectForMs: number;
  /**
   * Password hashes evaluated at once, across the server. Default 8: each is ~50 ms of scrypt on
   * the thread pool that also serves files; more would only queue there.
   */
  readonly concurrent: number;
}

export const SIGN_IN_LIMITS: SignInLimitsConfiguration = {
  account: { free: 3, baseMs: 1_000, capMs: 60_000, forgetMs: 15 * 60_000 },
  address: { capacity: 30, drainMs: 5_000 },
  suspectForMs: 60 * 60_000,
  concurrent: 8,
};

/** An admitted sign-in: settle it exactly once, after the password was checked. */
export interface SignInAttempt {
  fail(now?: number): void;
  succeed(now?: number): void;
  /** The check itself failed (not a wrong password): release the slot without a verdict. */
  abandon(now?: number): void;
}

/** How long to wait when every hash slot is busy, ms: a hash takes ~50 ms. */
const BUSY_WAIT_MS = 1_000;

/**
 * The limits on password sign-in, keyed by the normalised username (`normalizeUsername`, the
 * same key the account is looked up by) and the client address, checked and reserved before the
 * password hash runs.
 *
 * An account has two lanes, each with its own exponential backoff: one for addresses that have
 * failed for this account recently (a guesser, after its first guess) and one for every other
 * address. So a guesser at one address — or behind the gym's NAT — backs off in the first lane
 * and never delays a sign-in from another address, and a guesser spread over many addresses
 * still gets one guess per cap per lane. Someone behind the same address as a guesser waits at
 * most the cap after its last guess. Each address also has a failure budget (wrong passwords
 * only), and the hashes running at once are capped.
 */
export class SignInLimits {
  private readonly configuration: SignInLimitsConfiguration;
  private readonly lanes: Backoff;
  private readonly suspects: Backoff;
  private readonly addresses: FailureBudget;
  private evaluating = 0;

  constructor(configuration: Partial<SignInLimitsConfiguration> = {}) {
    this.configuration = { ...SIGN_IN_LIMITS, ...configuration };
    this.lanes = new Backoff(this.configuration.account);
    this.suspects = new Backoff({
      free: Number.POSITIVE_INFINITY,
      baseMs: 0,
      capMs: 0,
      forgetMs: this.configuration.suspectForMs,
    });
    this.addresses = new FailureBudget(this.configuration.address);
  }

  /**
   * Reserves a sign-in for `username` (normalised) from `address` (an `addressKey`), or says how
   * long to wait, ms.
   */
  begin(username: string, address: string, now = Date.now()): SignInAttempt | { waitMs: number } {
    if (this.evaluating >= this.configuration.concurrent) return { waitMs: BUSY_WAIT_MS };
    const pair = `${username}\u0000${address}`;
    const lane = `${this.suspects.isMarked(pair, now) ? 'failed' : 'other'}\u0000${username}`;
    const waitMs = Math.max(this.lanes.waitFor(lane, now), this.addresses.waitFor(address, now));
    if (waitMs > 0) return { waitMs };
    this.lanes.begin(lane, now);
    this.suspects.begin(pair, now);
    this.addresses.begin(address, now);
    this.evaluating++;
    let settled = false;
    const settle = (verdict: 'fail' | 'succeed' | 'abandon', at = Date.now()) => {
      if (settled) return;
      settled = true;
      this.evaluating--;
      if (verdict === 'fail') {
        this.lanes.fail(lane, at);
        this.suspects.fail(pair, at);
        this.addresses.fail(address, at);
      } else if (verdict === 'succeed') {
        this.lanes.succeed(lane);
        this.suspects.succeed(pair);
        this.addresses.succeed(address, at);
      } else {
        this.lanes.abandon(lane);
        this.suspects.abandon(pair);
        this.addresses.abandon(address, at);
      }
    };
    return {
      fail: (at?: number) => settle('fail', at),
      succeed: (at?: number) => settle('succeed', at),
      abandon: (at?: number) => settle('abandon', at),
    };
  }
}
