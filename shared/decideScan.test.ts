import { describe, expect, it } from 'vitest';
import { DayLedger } from './DayLedger';
import { decideScan, type ScanContext } from './decideScan';
import type { Member } from './member';
import { DEFAULT_SETTINGS } from './siteDoc';
import { Scenario, TEST_DAY } from './testing/entries';

const ana: Member = {
  id: 'ana',
  name: 'Ana Lima',
  codes: ['0451'],
  status: 'active',
  validUntil: null,
  homeSite: 'riverside',
  access: 'home',
};

/** The decision for `member` at `time`, given what the scenario recorded before. */
function decide(
  s: Scenario,
  member: Member | undefined,
  time: string,
  overrides: Partial<ScanContext> = {},
) {
  const ledger = new DayLedger(s.config);
  ledger.add(s.entries);
  const now = s.time(time);
  return decideScan({
    member,
    rosterComplete: true,
    presence: ledger.presenceOf(member?.id ?? '', now),
    now,
    today: TEST_DAY,
    policy: DEFAULT_SETTINGS.alertPolicy,
    occupancy: { count: ledger.stats(now).currentlyIn.length, capacity: null },
    debounceMs: s.config.debounceMs,
    ...overrides,
  });
}

describe('decideScan', () => {
  it('[K1] checks in a member who is out and checks out a member who is in', () => {
    const s = new Scenario();
    expect(decide(s, ana, '10:00')).toEqual({ action: 'check-in', alerts: [] });
    s.in('ana', '10:00');
    expect(decide(s, ana, '11:12')).toEqual({
      action: 'check-out',
      since: s.time('10:00'),
      stayMs: 72 * 60_000,
    });
  });

  it('[K2] records nothing for a repeat scan right after a check-in or a check-out', () => {
    const s = new Scenario();
    s.in('ana', '10:00');
    expect(decide(s, ana, '10:01:30')).toEqual({ action: 'already-in', since: s.time('10:00') });
    s.out('ana', '11:00');
    expect(decide(s, ana, '11:01')).toEqual({ action: 'already-out' });
    expect(decide(s, ana, '11:03').action).toBe('check-in');
  });

  it('[K1] treats a member whose visit closed itself as out', () => {
    const s = new Scenario();
    s.in('ana', '06:00');
    expect(decide(s, ana, '11:00').action).toBe('check-in');
  });

  it('[K3] denies an unknown code', () => {
    expect(decide(new Scenario(), undefined, '10:00')).toMatchObject({
      action: 'deny',
      reason: 'unknown',
    });
  });

  it('[K3] asks to try again, and records nothing, while the roster has not fully arrived', () => {
    const s = new Scenario();
    expect(decide(s, undefined, '10:00', { rosterComplete: false })).toEqual({
      action: 'roster-loading',
    });
    // A member it already knows is decided as usual.
    expect(decide(s, ana, '10:00', { rosterComplete: false }).action).toBe('check-in');
  });

  it('[K4] follows the alert policy for frozen, expired and a full gym', () => {
    const s = new Scenario();
    const frozen = { ...ana, status: 'frozen' as const };
    const lapsed = { ...ana, validUntil: '2026-03-09' };
    expect(decide(s, frozen, '10:00')).toMatchObject({ action: 'deny', reason: 'frozen' });
    expect(decide(s, lapsed, '10:00')).toMatchObject({ action: 'deny', reason: 'expired' });
    expect(decide(s, { ...ana, validUntil: TEST_DAY }, '10:00').action).toBe('check-in');
    const full = { occupancy: { count: 80, capacity: 80 } };
    expect(decide(s, ana, '10:00', full)).toEqual({
      action: 'check-in',
      alerts: [{ kind: 'capacity', action: 'warn' }],
    });
    const strict = {
      ...full,
      policy: {
        ...DEFAULT_SETTINGS.alertPolicy,
        capacity: 'deny' as const,
        frozen: 'warn' as const,
      },
    };
    expect(decide(s, frozen, '10:00', strict)).toMatchObject({
      action: 'deny',
      reason: 'capacity',
    });
    const lenient = { policy: { ...DEFAULT_SETTINGS.alertPolicy, expired: 'allow' as const } };
    expect(decide(s, lapsed, '10:00', lenient)).toEqual({ action: 'check-in', alerts: [] });
  });

  it('[K4] never blocks leaving', () => {
    const s = new Scenario();
    s.in('ana', '10:00');
    const frozen = { ...ana, status: 'frozen' as const };
    expect(decide(s, frozen, '11:00', { occupancy: { count: 500, capacity: 10 } }).action).toBe(
      'check-out',
    );
  });
});
