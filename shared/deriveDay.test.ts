import { describe, expect, it } from 'vitest';
import { deriveDay } from './deriveDay';
import { newEventId } from './eventId';
import { refOf } from './eventRef';
import { Scenario } from './testing/entries';

const MIN = 60_000;

describe('deriveDay: visits', () => {
  it('[V2][V5] pairs a check-in with the later check-out into one completed visit', () => {
    const s = new Scenario();
    s.in('ana', '10:00');
    s.out('ana', '11:12');
    const { stats, visits } = s.derive('12:00');
    expect(visits).toHaveLength(1);
    expect(visits[0]?.closedBy).toBe('checkOut');
    expect(stats.visitsToday).toBe(1);
    expect(stats.completedVisits).toBe(1);
    expect(stats.averageStayMs).toBe(72 * MIN);
    expect(stats.currentlyIn).toEqual([]);
  });

  it('[V3] treats a repeat check-in within the debounce window as the same visit', () => {
    const s = new Scenario();
    const first = s.in('ana', '10:00:00');
    const repeat = s.in('ana', '10:01:30');
    const { stats, visits } = s.derive('10:30');
    expect(stats.visitsToday).toBe(1);
    expect(visits[0]?.checkInIds).toEqual([first, repeat]);
    const repeatItem = stats.feed.find((item) => item.id === repeat);
    expect(repeatItem?.outcome).toBe('repeat-check-in');
  });

  it('[V3] includes the end of the window: a repeat exactly 2 minutes later is the same visit', () => {
    const s = new Scenario();
    s.in('ana', '10:00:00');
    s.in('ana', '10:02:00');
    s.in('bo', '10:00:00');
    s.in('bo', '10:02:01');
    const { stats } = s.derive('10:30');
    expect(stats.visitsToday).toBe(3);
  });

  it('[V3] measures the window from the latest scan, so a chain of quick repeats stays one visit', () => {
    const s = new Scenario();
    s.in('ana', '10:00:00');
    s.in('ana', '10:01:50');
    s.in('ana', '10:03:40');
    expect(s.derive('11:00').stats.visitsToday).toBe(1);
  });

  it('[V4] starts a new visit for a check-in after the window and flags the open one as closed by re-entry', () => {
    const s = new Scenario();
    const first = s.in('ana', '10:00');
    s.in('ana', '11:00');
    s.out('ana', '11:30');
    const { stats, visits, flags } = s.derive('12:00');
    expect(stats.visitsToday).toBe(2);
    expect(stats.uniqueMembersToday).toBe(1);
    expect(visits.map((v) => v.closedBy)).toEqual(['reentry', 'checkOut']);
    expect(visits[0]?.end).toBe(s.time('11:00'));
    expect(stats.averageStayMs).toBe(30 * MIN);
    expect(flags).toContainEqual({
      code: 'closed-by-reentry',
      at: s.time('10:00'),
      ref: s.ref(first),
      memberId: 'ana',
    });
  });

  it('[V6] keeps and flags a check-out with no matching check-in, and does not count it as a visit', () => {
    const s = new Scenario();
    const out = s.out('ben', '09:00');
    const { stats, visits, flags } = s.derive('10:00');
    expect(visits).toEqual([]);
    expect(stats.visitsToday).toBe(0);
    expect(stats.feed[0]).toMatchObject({ id: out, outcome: 'unmatched' });
    expect(flags).toContainEqual({
      code: 'unmatched-check-out',
      at: s.time('09:00'),
      ref: s.ref(out),
      memberId: 'ben',
    });
  });

  it('[V6] pairs a check-out recorded offline at another door once the check-in arrives', () => {
    const s = new Scenario();
    s.out('ben', '11:00', { writer: 'kiosk:back' });
    expect(s.derive('12:00').flags.map((f) => f.code)).toContain('unmatched-check-out');
    s.in('ben', '10:00', { writer: 'kiosk:front' });
    const { stats, flags } = s.derive('12:00');
    expect(stats.completedVisits).toBe(1);
    expect(flags.map((f) => f.code)).not.toContain('unmatched-check-out');
  });

  it('[V6] does not flag a second check-out tap within the debounce window', () => {
    const s = new Scenario();
    s.in('ben', '10:00');
    s.out('ben', '11:00:00');
    const tap = s.out('ben', '11:00:40');
    const { stats, flags } = s.derive('12:00');
    expect(stats.feed.find((i) => i.id === tap)?.outcome).toBe('repeat-check-out');
    expect(flags).toEqual([]);
  });

  it('[V7] auto-closes a visit never closed after the max stay, flags it and leaves it out of the average', () => {
    const s = new Scenario();
    const forgot = s.in('cy', '08:00');
    s.in('dee', '09:00');
    s.out('dee', '10:00');
    const atNoon = s.derive('12:00');
    expect(atNoon.stats.currentlyIn.map((p) => p.memberId)).toEqual([]);
    expect(atNoon.stats.autoClosedVisits).toBe(1);
    expect(atNoon.stats.averageStayMs).toBe(60 * MIN);
    expect(atNoon.flags).toContainEqual({
      code: 'auto-closed',
      at: s.time('08:00'),
      ref: s.ref(forgot),
      memberId: 'cy',
    });
    const before = s.derive('11:59');
    expect(before.stats.currentlyIn.map((p) => p.memberId)).toEqual(['cy']);
    expect(before.stats.autoClosedVisits).toBe(0);
  });

  it('[V7] auto-closes open visits at closing time when that comes before the max stay', () => {
    const s = new Scenario({ closingTime: '22:00' });
    s.in('cy', '21:00');
    expect(s.derive('21:59').stats.currentlyIn).toHaveLength(1);
    const after = s.derive('22:00');
    expect(after.stats.currentlyIn).toHaveLength(0);
    expect(after.stats.autoClosedVisits).toBe(1);
  });

  it('[V7] does not count a visit as auto-closed before its auto-close time, even when a later scan is known', () => {
    const s = new Scenario();
    s.in('cy', '08:00');
    s.in('cy', '13:00');
    const { stats, flags } = s.derive('10:00');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['cy']);
    expect(stats.autoClosedVisits).toBe(0);
    expect(flags.map((f) => f.code)).not.toContain('auto-closed');
    expect(s.derive('12:30').stats.autoClosedVisits).toBe(1);
  });

  it('[V7] treats a check-out after the auto-close as unmatched', () => {
    const s = new Scenario();
    s.in('cy', '08:00');
    const late = s.out('cy', '13:00');
    const { stats } = s.derive('14:00');
    expect(stats.completedVisits).toBe(0);
    expect(stats.feed.find((i) => i.id === late)?.outcome).toBe('unmatched');
  });

  it("[V8] counts a member who came at 23:50 as still in at 00:30, but not in the new day's visits", () => {
    const s = new Scenario();
    s.in('eve', '23:50', { dayOffset: -1 });
    const { stats } = s.derive('00:30');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['eve']);
    expect(stats.visitsToday).toBe(0);
    expect(stats.peak).toEqual({ count: 1, at: s.time('00:00') });
  });

  it("[V8] closes a visit that crossed midnight with a check-out in the new day's document", () => {
    const s = new Scenario();
    s.in('eve', '23:50', { dayOffset: -1 });
    s.out('eve', '00:40');
    const { stats, visits, flags } = s.derive('01:00');
    expect(visits[0]?.closedBy).toBe('checkOut');
    expect(stats.currentlyIn).toEqual([]);
    expect(stats.completedVisits).toBe(0);
    expect(flags).toEqual([]);
  });

  it('[V9] gives one visit when two partitioned kiosks record the same member within the window', () => {
    const s = new Scenario();
    s.in('fay', '10:00:00', { writer: 'kiosk:front' });
    s.in('fay', '10:00:45', { writer: 'kiosk:back' });
    const { stats } = s.derive('10:30');
    expect(stats.visitsToday).toBe(1);
    expect(stats.currentlyIn).toHaveLength(1);
  });

  it('[V9][E1] counts a retried scan written twice under one id once', () => {
    const s = new Scenario();
    const id = newEventId(s.time('10:00'));
    s.in('fay', '10:00', { id });
    s.in('fay', '10:00', { id });
    const { stats, problems } = s.derive('10:30');
    expect(stats.visitsToday).toBe(1);
    expect(stats.feed).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('[V10] takes a voided check-in out of every number but keeps it in the audit trail', () => {
    const s = new Scenario();
    const wrong = s.in('gus', '10:00');
    s.in('hal', '10:05');
    s.void(wrong, '10:40', 'typed the wrong number');
    const { stats, visits } = s.derive('11:00');
    expect(stats.visitsToday).toBe(1);
    expect(stats.peak.count).toBe(1);
    expect(visits.map((v) => v.memberId)).toEqual(['hal']);
    expect(stats.feed.find((i) => i.id === wrong)).toMatchObject({
      voided: true,
      outcome: 'voided',
    });
    expect(stats.feed[0]).toMatchObject({ kind: 'void', reason: 'typed the wrong number' });
  });

  it('[V10] leaves the real visit whole when a mistaken scan in the middle of it is voided', () => {
    const s = new Scenario();
    s.in('ana', '10:00');
    const mistake = s.in('ana', '11:00');
    s.out('ana', '12:00');
    s.void(mistake, '11:05', 'card scanned by a friend');
    const { stats, flags } = s.derive('13:00');
    expect(stats.visitsToday).toBe(1);
    expect(stats.completedVisits).toBe(1);
    expect(stats.averageStayMs).toBe(120 * MIN);
    expect(flags.map((f) => f.code)).not.toContain('closed-by-reentry');
  });

  it('[V10] flags the check-out of a voided check-in as unmatched, so staff can void it too', () => {
    const s = new Scenario();
    const wrong = s.in('gus', '10:00');
    const out = s.out('gus', '10:30');
    s.void(wrong, '10:40');
    expect(s.derive('11:00').flags.map((f) => [f.code, f.ref])).toContainEqual([
      'unmatched-check-out',
      s.ref(out),
    ]);
  });

  it('[V10] applies a void that arrived before its target once the target arrives', () => {
    const s = new Scenario();
    const id = newEventId(s.time('10:00'));
    const v = s.void(id, '10:40');
    expect(s.derive('11:00').flags).toContainEqual({
      code: 'void-target-missing',
      at: s.time('10:40'),
      ref: s.ref(v),
    });
    s.in('gus', '10:00', { id });
    const { stats, flags } = s.derive('11:00');
    expect(stats.visitsToday).toBe(0);
    expect(flags.map((f) => f.code)).not.toContain('void-target-missing');
  });

  it('[V10] ignores a voided check-out, so the visit is open again', () => {
    const s = new Scenario();
    s.in('gus', '10:00');
    const out = s.out('gus', '10:10');
    s.void(out, '10:20');
    expect(s.derive('11:00').stats.currentlyIn.map((p) => p.memberId)).toEqual(['gus']);
  });

  it('[V10] flags a void of a denied attempt and changes nothing', () => {
    const s = new Scenario();
    const denied = s.add({ kind: 'denied', memberId: 'ivy', reason: 'expired' }, '10:00');
    s.in('jon', '10:01');
    const v = s.void(denied, '10:05');
    const { stats, flags } = s.derive('11:00');
    expect(stats.visitsToday).toBe(1);
    expect(flags).toContainEqual({
      code: 'void-target-invalid',
      at: s.time('10:05'),
      ref: s.ref(v),
    });
  });

  it("[K5] replaces a check-in by the member's switch to check-out, from the same kiosk within the window", () => {
    const s = new Scenario();
    s.in('ana', '09:00');
    const guess = s.in('ana', '11:00:00');
    s.add({ kind: 'checkOut', memberId: 'ana', corrects: guess }, '11:00:05');
    const { stats, visits } = s.derive('12:00');
    expect(visits.map((v) => [v.start, v.closedBy])).toEqual([[s.time('09:00'), 'checkOut']]);
    expect(stats.completedVisits).toBe(1);
    expect(stats.feed.find((i) => i.id === guess)?.outcome).toBe('corrected');
  });

  it("[K5] ignores a switch that names another kiosk's event or comes too late", () => {
    const s = new Scenario();
    const other = s.in('ana', '10:00', { writer: 'kiosk:back' });
    s.add({ kind: 'checkOut', memberId: 'ana', corrects: other }, '10:00:05');
    const late = s.in('bo', '10:00');
    s.add({ kind: 'checkOut', memberId: 'bo', corrects: late }, '10:05');
    const { stats, visits } = s.derive('12:00');
    expect(visits.map((v) => v.memberId).sort()).toEqual(['ana', 'bo']);
    expect(stats.completedVisits).toBe(2);
  });

  it('[V11] check everyone out closes every open visit and leaves them out of the average', () => {
    const s = new Scenario();
    s.in('a', '18:00');
    s.in('b', '19:00');
    s.out('b', '19:30');
    s.in('c', '20:00');
    s.checkOutAll('21:00');
    s.in('d', '21:10');
    const { stats, visits } = s.derive('21:30');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['d']);
    expect(visits.filter((v) => v.closedBy === 'checkOutAll').map((v) => v.memberId)).toEqual([
      'a',
      'c',
    ]);
    expect(stats.averageStayMs).toBe(30 * MIN);
  });

  it('[V12] counts a denied attempt and shows it in the feed, never as a visit', () => {
    const s = new Scenario();
    s.add({ kind: 'denied', memberId: 'ivy', reason: 'frozen' }, '10:00');
    const { stats } = s.derive('10:30');
    expect(stats.deniedToday).toBe(1);
    expect(stats.visitsToday).toBe(0);
    expect(stats.feed[0]).toMatchObject({ outcome: 'denied', reason: 'frozen', memberId: 'ivy' });
  });
});

describe('deriveDay: identity is writer and id', () => {
  it("[E2] counts two entries with the same id in different writers' arrays as two events", () => {
    const s = new Scenario();
    const id = newEventId(s.time('10:00'));
    s.in('ana', '10:00', { id, writer: 'kiosk:front' });
    s.in('bo', '10:00', { id, writer: 'kiosk:back' });
    const { stats, visits, problems } = s.derive('10:30');
    expect(problems).toEqual([]);
    expect(stats.visitsToday).toBe(2);
    expect(stats.currentlyIn.map((p) => [p.memberId, p.ref])).toEqual([
      ['ana', s.ref(id, 'kiosk:front')],
      ['bo', s.ref(id, 'kiosk:back')],
    ]);
    expect(visits.map((v) => [v.memberId, v.id, refOf(v.startEvent)])).toEqual([
      ['bo', id, s.ref(id, 'kiosk:back')],
      ['ana', id, s.ref(id, 'kiosk:front')],
    ]);
    expect(stats.feed.map((i) => i.ref).sort()).toEqual([
      s.ref(id, 'kiosk:back'),
      s.ref(id, 'kiosk:front'),
    ]);
  });

  it("[E2] does not let a kiosk change another kiosk's check-in by re-using its id in its own array", () => {
    const s = new Scenario();
    const id = s.in('ana', '10:00', { writer: 'kiosk:front' });
    const before = s.derive('12:00');
    // Earlier and another member: under id-only identity this variant would have won ([E2]).
    s.in('zed', '09:00', { id, writer: 'kiosk:rogue' });
    for (const entries of [s.entries, [...s.entries].reverse()]) {
      const { stats, visits, problems } = deriveDay(s.config, entries, s.time('12:00'));
      expect(problems).toEqual([]);
      const ana = visits.find((v) => refOf(v.startEvent) === s.ref(id, 'kiosk:front'));
      expect(ana).toMatchObject({ memberId: 'ana', start: s.time('10:00'), end: null });
      expect(ana?.startEvent).toEqual(before.visits[0]?.startEvent);
      expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['zed', 'ana']);
    }
  });

  it("[V10] voids only the named writer's event when a void names writer and id", () => {
    const s = new Scenario();
    const id = s.in('ana', '10:00', { writer: 'kiosk:front' });
    s.in('bo', '10:00', { id, writer: 'kiosk:back' });
    s.void(id, '10:10', 'wrong card', 'kiosk:back');
    const { stats, flags } = s.derive('10:30');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['ana']);
    expect(stats.feed.filter((i) => i.voided).map((i) => i.ref)).toEqual([s.ref(id, 'kiosk:back')]);
    expect(flags).toEqual([]);
  });

  it('[V10] leaves a void waiting when the named writer holds no event with the id, even if another writer does', () => {
    const s = new Scenario();
    const id = s.in('ana', '10:00', { writer: 'kiosk:front' });
    const v = s.void(id, '10:10', 'wrong door', 'kiosk:back');
    const { stats, flags } = s.derive('10:30');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['ana']);
    expect(flags).toEqual([{ code: 'void-target-missing', at: s.time('10:10'), ref: s.ref(v) }]);
  });

  it("[V10] applies a legacy void, which names no writer, to the event with that id in any writer's array", () => {
    const s = new Scenario();
    const id = s.in('ana', '10:00', { writer: 'kiosk:front' });
    s.in('bo', '10:00', { id, writer: 'kiosk:back' });
    s.in('cy', '10:00', { writer: 'kiosk:back' });
    s.void(id, '10:10', 'written before voids named the writer', null);
    const { stats, flags } = s.derive('10:30');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['cy']);
    expect(stats.visitsToday).toBe(1);
    expect(flags).toEqual([]);
  });

  it("[K5] takes out only its own writer's event when another writer's event of the member shares the id", () => {
    const s = new Scenario();
    const id = s.in('ana', '10:00:00', { writer: 'kiosk:back' });
    s.in('ana', '10:00:30', { id, writer: 'kiosk:door' });
    s.add({ kind: 'checkOut', memberId: 'ana', corrects: id }, '10:00:35');
    const { stats, visits } = s.derive('12:00');
    const outcome = (writer: string) =>
      stats.feed.find((i) => i.ref === s.ref(id, writer))?.outcome;
    expect(outcome('kiosk:door')).toBe('corrected');
    expect(outcome('kiosk:back')).toBe('visit-start');
    expect(visits.map((v) => [v.start, v.end, v.closedBy])).toEqual([
      [s.time('10:00'), s.time('10:00:35'), 'checkOut'],
    ]);
  });

  it("[K5] ignores a switch naming another writer's event, even when its own array holds that id", () => {
    const s = new Scenario();
    const id = s.in('ana', '10:00', { writer: 'kiosk:back' });
    s.in('bo', '10:00', { id, writer: 'kiosk:door' });
    s.add({ kind: 'checkOut', memberId: 'ana', corrects: id }, '10:00:05');
    const { stats, visits } = s.derive('12:00');
    expect(stats.feed.find((i) => i.ref === s.ref(id, 'kiosk:back'))?.outcome).toBe('visit-start');
    expect(visits.find((v) => v.memberId === 'ana')?.closedBy).toBe('checkOut');
    expect(stats.currentlyIn.map((p) => p.memberId)).toEqual(['bo']);
  });
});

describe('deriveDay: time', () => {
  it('[T1] flags events recorded by a kiosk that never learned the server clock', () => {
    const s = new Scenario();
    const id = s.in('kim', '10:00', { clockTrusted: false });
    expect(s.derive('11:00').flags).toContainEqual({
      code: 'clock-untrusted',
      at: s.time('10:00'),
      ref: s.ref(id),
      memberId: 'kim',
    });
  });

  it("[T2] clamps an event dated years ahead into its document's day and flags it", () => {
    const s = new Scenario();
    const wild = s.in('lou', '10:00', { at: Date.UTC(2030, 0, 1), day: s.config.day });
    const { stats, visits, flags } = s.derive('12:00');
    expect(visits[0]?.start).toBe(s.time('00:00', 1) - 1);
    expect(stats.visitsToday).toBe(1);
    expect(stats.currentlyIn).toEqual([]);
    expect(flags.map((f) => [f.code, f.ref])).toContainEqual(['clock-clamped', s.ref(wild)]);
  });

  it("[T2] clamps an event dated before the start of its document's day, so some day counts it", () => {
    const s = new Scenario();
    const early = s.in('lou', '23:58', { dayOffset: -1, day: s.config.day });
    const { stats, flags } = s.derive('01:00');
    expect(stats.visitsToday).toBe(1);
    expect(flags.map((f) => [f.code, f.ref])).toContainEqual(['clock-clamped', s.ref(early)]);
  });

  it("[T2] keeps a time just past midnight in the previous day's document", () => {
    const s = new Scenario();
    s.in('lou', '00:02', { day: '2026-03-09' });
    const { flags, stats } = s.derive('01:00');
    expect(flags).toEqual([]);
    expect(stats.visitsToday).toBe(1);
  });

  it('[T3] flags an event dated well after now and keeps its time', () => {
    const s = new Scenario();
    const ahead = s.in('mo', '15:00');
    const { flags, visits } = s.derive('10:00');
    expect(visits[0]?.start).toBe(s.time('15:00'));
    expect(flags.map((f) => [f.code, f.ref])).toContainEqual(['future-dated', s.ref(ahead)]);
  });

  it('[T4] derives a 23-hour day on the spring daylight-saving change', () => {
    const s = new Scenario({ day: '2026-03-29' });
    s.in('ned', '01:30');
    s.in('oli', '03:30');
    const { stats } = s.derive('23:59');
    expect(stats.occupancy).toHaveLength(92);
    expect(stats.visitsToday).toBe(2);
  });
});

describe('deriveDay: numbers', () => {
  it("[V1] orders a member's events by time, then by id, whatever order they arrive in", () => {
    const s = new Scenario();
    const at = s.time('10:00');
    const lowId = '01900000-0000-7000-8000-000000000001';
    const highId = '01900000-0000-7000-8000-000000000002';
    s.out('ana', '10:00', { at, id: highId });
    s.in('ana', '10:00', { at, id: lowId });
    const forward = deriveDay(s.config, s.entries, s.time('11:00'));
    const backward = deriveDay(s.config, [...s.entries].reverse(), s.time('11:00'));
    expect(forward).toEqual(backward);
    expect(forward.visits[0]).toMatchObject({ closedBy: 'checkOut', start: at, end: at });
  });

  it('[S2] counts visits started today and the distinct members behind them', () => {
    const s = new Scenario();
    s.in('a', '09:00');
    s.out('a', '09:30');
    s.in('a', '18:00');
    s.in('b', '10:00');
    s.in('c', '23:30', { dayOffset: -1 });
    const { stats } = s.derive('20:00');
    expect([stats.visitsToday, stats.uniqueMembersToday]).toEqual([3, 2]);
  });

  it('[S3] averages only visits closed by a check-out', () => {
    const s = new Scenario();
    s.in('a', '09:00');
    s.out('a', '09:30');
    s.in('b', '09:00');
    s.out('b', '10:30');
    s.in('c', '09:00');
    expect(s.derive('20:00').stats.averageStayMs).toBe(60 * MIN);
  });

  it('[S1] lists who is in now, earliest first, with names from the roster', () => {
    const s = new Scenario();
    s.in('b', '10:05');
    s.in('a', '10:00');
    s.in('c', '10:10');
    s.out('c', '10:20');
    const roster = new Map([['a', { name: 'Ana Lima' }]]);
    const { stats } = deriveDay(s.config, s.entries, s.time('10:30'), { roster });
    expect(stats.currentlyIn.map((p) => [p.memberId, p.name])).toEqual([
      ['a', 'Ana Lima'],
      ['b', 'b'],
    ]);
  });

  it('[S4] finds the peak and the first second it was reached', () => {
    const s = new Scenario();
    s.in('a', '09:00');
    s.in('b', '09:30');
    s.out('a', '10:00');
    s.in('c', '10:15');
    s.in('d', '10:20');
    const { stats } = s.derive('12:00');
    expect(stats.peak).toEqual({ count: 3, at: s.time('10:20') });
  });

  it('[S4] does not count a hand-over in the same second as two people present', () => {
    const s = new Scenario();
    s.in('a', '09:00');
    s.out('a', '10:00:00');
    s.in('b', '10:00:00');
    expect(s.derive('11:00').stats.peak.count).toBe(1);
  });

  it('[S5] buckets occupancy by 15 minutes up to now and leaves later buckets empty', () => {
    const s = new Scenario();
    s.in('a', '09:05');
    s.out('a', '09:20');
    s.in('b', '09:10');
    const { stats } = s.derive('09:40');
    const at = (t: string) => stats.occupancy.find((b) => b.start === s.time(t))?.max;
    expect(stats.occupancy).toHaveLength(96);
    expect(at('08:45')).toBe(0);
    expect(at('09:00')).toBe(2);
    expect(at('09:15')).toBe(2);
    expect(at('09:30')).toBe(1);
    expect(at('09:45')).toBeNull();
  });

  it('[S6] lists the newest events first, limited to N, with the stay on check-outs', () => {
    const s = new Scenario();
    s.in('a', '09:00');
    s.in('b', '09:10');
    const out = s.out('a', '09:45');
    const { stats } = s.derive('10:00');
    expect(stats.feed.map((i) => i.memberId)).toEqual(['a', 'b', 'a']);
    expect(stats.feed[0]).toMatchObject({ id: out, outcome: 'visit-end', stayMs: 45 * MIN });
  });
});
