import { describe, expect, it } from 'vitest';
import { FLAG_CODES, type Flag, type FlagCode } from '../../shared/DayLedger';
import { newEventId } from '../../shared/eventId';
import type { EventRef } from '../../shared/eventRef';
import type { CheckinEvent, Writer } from '../../shared/events';
import { PROBLEM_CODES, type Problem, type ProblemCode } from '../../shared/problems';
import { formatClock } from '../formatting';
import { type AttentionContext, attentionList, formatOffset } from './attention';
import { attentionCount } from './attentionCount';

const DAY = '2026-03-10';
const at = (time: string) => Date.parse(`${DAY}T${time}:00Z`);
const NOW = at('15:00');
const clock = (t: number) => formatClock(t, 'UTC');

const doorB: Writer = { role: 'kiosk', id: 'door-b' };
const front: Writer = { role: 'kiosk', id: 'front' };
const desk: Writer = { role: 'staff', id: 'u1' };

/** Events the "dashboard" holds, by ref, filled by `event`. */
const held = new Map<EventRef, CheckinEvent>();

/** An event of `writer` at `time`, held, and its ref. */
function event(
  writer: Writer,
  time: string,
  fields: Partial<CheckinEvent> & Pick<CheckinEvent, 'kind'>,
): EventRef {
  const id = newEventId(at(time));
  const ref = `${writer.role}:${writer.id}/${id}`;
  held.set(ref, {
    id,
    at: at(time),
    recordedAt: at(time),
    deviceTime: at(time),
    clockTrusted: true,
    writer,
    method: 'keypad',
    docDay: DAY,
    ...fields,
  } as CheckinEvent);
  return ref;
}

const checkIn = (writer: Writer, time: string, memberId: string) =>
  event(writer, time, { kind: 'checkIn', memberId });
const checkOut = (writer: Writer, time: string, memberId: string) =>
  event(writer, time, { kind: 'checkOut', memberId });

function flag(code: FlagCode, ref: EventRef, extra: Partial<Flag> = {}): Flag {
  const e = held.get(ref);
  return {
    code,
    at: e?.at ?? at('12:00'),
    ref,
    ...(e && 'memberId' in e && e.memberId ? { memberId: e.memberId } : {}),
    ...extra,
  };
}

function problem(code: ProblemCode, extra: Partial<Problem> = {}): Problem {
  return { code, key: '7:1', docDay: DAY, container: 'kiosk:front', detail: 'bad', ...extra };
}

const context: AttentionContext = {
  staff: { id: 'u1' } as AttentionContext['staff'],
  devices: [
    { id: 'door-b', name: 'Door B' },
    { id: 'front', name: 'Front door' },
  ] as unknown as AttentionContext['devices'],
  staffName: (id) => (id === 'u2' ? 'mo' : null),
  settings: { timeZone: 'UTC', maxStayMinutes: 240, closingTime: null },
  members: new Map([
    ['m1', { name: 'Ana Quist' }],
    ['m2', { name: 'Bob Ruiz' }],
  ]),
  event: (ref) => held.get(ref),
  day: DAY,
  now: NOW,
};

const titles = (flags: Flag[], problems: Problem[] = [], ctx = context) =>
  attentionList(flags, problems, ctx).map((g) => g.title);

describe('attentionList', () => {
  it('[B4] has words for every flag code and every problem code', () => {
    for (const code of FLAG_CODES) {
      const groups = attentionList([flag(code, checkIn(front, '10:00', 'm1'))], [], context);
      expect(groups, code).toHaveLength(1);
      expect(groups[0]?.title, code).toMatch(/^[A-Z].{10,}/);
      expect(JSON.stringify(groups), code).not.toMatch(/undefined|NaN|\[object/);
    }
    for (const code of PROBLEM_CODES) {
      const groups = attentionList([], [problem(code)], context);
      expect(groups.map((g) => g.code)).toEqual([code]);
      expect(groups[0]?.title, code).toMatch(/^[A-Z].{10,}/);
      expect(groups[0]?.advice, code).toBeTruthy();
    }
  });

  it("[T5] says by how much a kiosk's clock was corrected, once per kiosk", () => {
    const shift = { shiftMs: -3 * 3_600_000 };
    const flags = [
      ...['09:00', '09:30', '10:00', '11:00'].map((t, i) =>
        flag('clock-corrected', checkIn(doorB, t, `m${i}`), shift),
      ),
      flag('clock-corrected', checkOut(front, '10:15', 'm1'), { shiftMs: 10 * 60_000 }),
      flag('clock-corrected', checkIn(front, '10:20', 'm2'), { shiftMs: 25 * 60_000 }),
    ].sort((a, b) => a.at - b.at);

    const groups = attentionList(flags, [], context);

    expect(groups.map((g) => g.title)).toEqual([
      "Door B's clock was 3 h ahead; its 4 check-ins were moved to the server's time",
      "Front door's clock was up to 25 min behind; its 1 check-out and 1 check-in were moved to the server's time",
    ]);
    expect(groups[0]?.items[0]).toMatchObject({
      text: `m0 checked in; its clock said ${clock(at('12:00'))}`,
      when: clock(at('09:00')),
      where: 'Door B',
      action: null,
    });
    expect(groups[1]?.items.map((i) => i.text)).toEqual([
      `Ana Quist checked out; its clock said ${clock(at('10:05'))}`,
      `Bob Ruiz checked in; its clock said ${clock(at('09:55'))}`,
    ]);
  });

  it('[T1] says which kiosk had no clock set, with how many check-ins of which kind', () => {
    expect(
      titles([
        flag('clock-untrusted', checkIn(front, '09:00', 'm1')),
        flag('clock-untrusted', checkIn(front, '09:10', 'm2')),
        flag('clock-untrusted', checkOut(front, '09:20', 'm1')),
      ]),
    ).toEqual([
      "Front door's clock was not set when it recorded 2 check-ins and 1 check-out; their times may be wrong",
    ]);
    expect(titles([flag('clock-untrusted', checkIn(desk, '09:00', 'm1'))])).toEqual([
      "Your phone's clock was not set when it recorded a check-in; its time may be wrong",
    ]);
  });

  it('[T2] [T3] names clamped and future-dated entries per kiosk', () => {
    const clamped = event(front, '23:59', {
      kind: 'checkIn',
      memberId: 'm1',
      recordedAt: Date.parse('2030-01-01T09:00:00Z'),
    });
    const groups = attentionList(
      [
        flag('clock-clamped', clamped),
        flag(
          'future-dated',
          event(doorB, '18:00', { kind: 'denied', memberId: '', reason: 'unknown' } as never),
        ),
      ],
      [],
      context,
    );
    expect(groups.map((g) => g.title)).toEqual([
      "Front door's clock was far off: its check-in was dated outside today and counted at the edge of the day",
      'Door B recorded a refused entry dated later than now; its clock may be fast',
    ]);
    expect(groups[0]?.items[0]?.text).toMatch(/^Ana Quist checked in; its clock said .*2030/);
    expect(groups[1]?.items[0]?.text).toBe('Unknown card refused');
  });

  it('[V6] offers to void a check-out without a check-in, naming the member, kiosk and time', () => {
    const ref = checkOut(doorB, '14:05', 'm1');
    const [group] = attentionList([flag('unmatched-check-out', ref)], [], context);
    expect(group?.title).toBe('A check-out without a check-in');
    expect(group?.items).toEqual([
      {
        key: `unmatched-check-out|${ref}`,
        text: 'Ana Quist checked out without a check-in',
        when: clock(at('14:05')),
        where: 'Door B',
        action: { kind: 'void', ref, label: `Void Ana Quist's check-out at ${clock(at('14:05'))}` },
      },
    ]);
  });

  it('[V7] says when a visit that was never checked out closed itself', () => {
    const flags = [
      flag('auto-closed', checkIn(front, '07:00', 'm1')),
      flag('auto-closed', checkIn(front, '09:00', 'm2')),
    ];
    const ctx = { ...context, settings: { ...context.settings, closingTime: '12:00' } };
    const [group] = attentionList(flags, [], ctx);
    expect(group?.title).toBe('2 visits were never checked out');
    expect(group?.items.map((i) => i.text)).toEqual([
      `Ana Quist never checked out; visit closed automatically at ${clock(at('11:00'))}`,
      `Bob Ruiz never checked out; visit closed automatically at ${clock(at('12:00'))}`,
    ]);
    expect(group?.items.every((i) => i.action === null)).toBe(true);
  });

  it('[V4] [V10] words re-entries and voids that wait or have no effect, without actions', () => {
    const missing = event(desk, '10:00', {
      kind: 'void',
      targetId: newEventId(at('09:00')),
      targetWriter: doorB,
      reason: 'wrong card',
    });
    const invalid = event({ role: 'staff', id: 'u2' }, '10:30', {
      kind: 'void',
      targetId: newEventId(at('09:00')),
      targetWriter: front,
      reason: 'oops',
    });
    const groups = attentionList(
      [
        flag('closed-by-reentry', checkIn(front, '08:00', 'm1')),
        flag('void-target-missing', missing),
        flag('void-target-invalid', invalid),
      ],
      [],
      context,
    );
    expect(groups.map((g) => [g.title, g.items.map((i) => i.text)])).toEqual([
      [
        'A member checked in again without checking out',
        [
          `Ana Quist checked in again without checking out; the visit from ${clock(at('08:00'))} has no known end`,
        ],
      ],
      [
        'A void waits for the entry it voids',
        ['You voided an entry from Door B that has not arrived: “wrong card”'],
      ],
      [
        'A void had no effect',
        ['Staff: mo voided an entry that is not a check-in or check-out: “oops”'],
      ],
    ]);
    expect(groups.flatMap((g) => g.items).every((i) => i.action === null)).toBe(true);
  });

  it('[E4] tells staff to update the device for entries of a newer version, with the day', () => {
    const yesterday = '2026-03-09';
    const [group] = attentionList(
      [],
      [
        problem('unsupported-version', { key: '1:1', docDay: yesterday }),
        problem('unsupported-version', { key: '1:2', container: 'kiosk:gone' }),
      ],
      context,
    );
    expect(group?.title).toBe('2 entries were written by a newer version — update this device');
    expect(group?.items.map((i) => [i.when, i.where])).toEqual([
      ["yesterday's records", 'Front door'],
      ["today's records", 'kiosk'],
    ]);
  });

  it('[B4] lists flags in the order of their codes, then problems', () => {
    const codes = attentionList(
      [
        flag('future-dated', checkIn(front, '18:00', 'm1')),
        flag('unmatched-check-out', checkOut(front, '10:00', 'm2')),
      ],
      [problem('misplaced', { container: 'extra' }), problem('malformed')],
      context,
    ).map((g) => g.code);
    expect(codes).toEqual(['unmatched-check-out', 'future-dated', 'malformed', 'misplaced']);
  });

  it('never throws on data it cannot name: unknown members, kiosks, events, refs and times', () => {
    const strange: Flag[] = FLAG_CODES.flatMap((code) => [
      { code, at: Number.NaN, ref: 'not a ref' },
      { code, at: at('10:00'), ref: `kiosk:nobody/${newEventId(1)}`, memberId: 'ghost' },
    ]);
    const bogus = { code: 'no-such-code', at: 0, ref: 'x' } as unknown as Flag;
    const groups = attentionList([...strange, bogus], [problem('malformed', { docDay: '??' })], {
      ...context,
      settings: { timeZone: 'UTC', maxStayMinutes: Number.NaN, closingTime: 'nonsense' },
    });
    expect(groups.flatMap((g) => g.items)).toHaveLength(strange.length + 1);
    expect(JSON.stringify(groups)).not.toMatch(/undefined|NaN/);
    expect(groups.find((g) => g.code === 'auto-closed')?.items[1]?.text).toBe(
      'ghost never checked out; visit closed automatically',
    );
  });
});

describe('attentionCount', () => {
  it('adds every flag count and the problems, as the header shows them', () => {
    const flagCounts = Object.fromEntries(FLAG_CODES.map((c, i) => [c, i])) as Record<
      FlagCode,
      number
    >;
    const expected = FLAG_CODES.reduce((sum, _c, i) => sum + i, 0) + 2;
    expect(attentionCount({ flagCounts, problemCount: 2 })).toBe(expected);
  });
});

describe('formatOffset', () => {
  it('rounds a clock error to words a desk reads', () => {
    expect(
      [40_000, 12 * 60_000, 3 * 3_600_000, 200 * 60_000, 3 * 86_400_000].map(formatOffset),
    ).toEqual(['40 s', '12 min', '3 h', '3 h 20 min', '3 days']);
  });
});
