import { describe, expect, it } from 'vitest';
import { Backoff } from './Backoff';
import { FailureBudget } from './FailureBudget';

const policy = { free: 3, baseMs: 1_000, capMs: 60_000, forgetMs: 15 * 60_000 };

describe('Backoff', () => {
  it('waits nothing for the free failures, then 1 s doubling to the cap', () => {
    const backoff = new Backoff(policy);
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => backoff.delayAfter(n));
    expect(waits).toEqual([0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('counts attempts in flight, so concurrent ones get the free attempts and no more', () => {
    const backoff = new Backoff(policy);
    let admitted = 0;
    for (let i = 0; i < 200; i++) {
      if (backoff.waitFor('boss', 0) > 0) continue;
      backoff.begin('boss', 0);
      admitted++;
    }
    expect(admitted).toBe(3);
    for (let i = 0; i < 3; i++) backoff.fail('boss', 10);
    expect(backoff.waitFor('boss', 10)).toBe(1_000);
  });

  it('admits one attempt when a wait is over, and a success starts afresh', () => {
    const backoff = new Backoff(policy);
    for (let i = 0; i < 4; i++) {
      backoff.begin('boss', 0);
      backoff.fail('boss', 0);
    }
    expect(backoff.waitFor('boss', 1_999)).toBe(1);
    expect(backoff.waitFor('boss', 2_000)).toBe(0);
    backoff.begin('boss', 2_000);
    expect(backoff.waitFor('boss', 2_000)).toBeGreaterThan(0);
    backoff.succeed('boss');
    expect(backoff.waitFor('boss', 2_000)).toBe(0);
    expect(backoff.isMarked('boss', 2_000)).toBe(false);
  });

  it('forgets a key after the quiet time', () => {
    const backoff = new Backoff(policy);
    backoff.begin('boss', 0);
    backoff.fail('boss', 0);
    expect(backoff.isMarked('boss', policy.forgetMs - 1)).toBe(true);
    expect(backoff.isMarked('boss', policy.forgetMs)).toBe(false);
  });
});

describe('FailureBudget', () => {
  it('lets failures up to its capacity through, then one per drain, and never limits successes', () => {
    const budget = new FailureBudget({ capacity: 3, drainMs: 5_000 });
    for (let i = 0; i < 10; i++) {
      expect(budget.waitFor('gym', 0)).toBe(0);
      budget.begin('gym', 0);
      budget.succeed('gym', 0);
    }
    for (let i = 0; i < 3; i++) {
      budget.begin('gym', 0);
      budget.fail('gym', 0);
    }
    expect(budget.waitFor('gym', 0)).toBe(5_000);
    expect(budget.waitFor('gym', 5_000)).toBe(0);
  });

  it('counts attempts in flight as failures until they settle', () => {
    const budget = new FailureBudget({ capacity: 2, drainMs: 5_000 });
    budget.begin('gym', 0);
    budget.begin('gym', 0);
    expect(budget.waitFor('gym', 0)).toBeGreaterThan(0);
    budget.succeed('gym', 0);
    expect(budget.waitFor('gym', 0)).toBe(0);
  });
});
