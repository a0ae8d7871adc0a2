import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_MS, encodeEntry, parseEntry } from './entryCodec';
import { deviceTimeOf, eventIdToBytes, newEventId } from './eventId';
import { dayWindow } from './localTime';
import { withoutTargetWriter } from './testing/entries';

const window = dayWindow('2026-03-10', 'Europe/Amsterdam');
const kiosk = { writer: { role: 'kiosk', id: 'front' }, window } as const;
const staff = { writer: { role: 'staff', id: 'lee' }, window } as const;
const at = window.start + 10 * 3_600_000;

function valid(): unknown[] {
  return encodeEntry(
    { kind: 'checkIn', memberId: 'M1' },
    { id: newEventId(at), at, clockTrusted: true, method: 'qr' },
  );
}

describe('entryCodec', () => {
  it('[E3] round-trips every field of a check-in', () => {
    const id = newEventId(at - 1500);
    const value = encodeEntry(
      { kind: 'checkIn', memberId: 'M1', override: 'expired' },
      { id, at, clockTrusted: true, method: 'wedge', location: 'North door' },
    );
    const parsed = parseEntry(value, kiosk);
    expect(parsed).toEqual({
      ok: true,
      event: {
        id,
        kind: 'checkIn',
        memberId: 'M1',
        override: 'expired',
        at,
        recordedAt: at,
        deviceTime: deviceTimeOf(id),
        clockTrusted: true,
        writer: kiosk.writer,
        method: 'wedge',
        location: 'North door',
        docDay: '2026-03-10',
      },
    });
    expect(deviceTimeOf(id)).toBe(at - 1500);
  });

  it('[E3] round-trips corrections and denied attempts', () => {
    const target = newEventId(at);
    const voided = parseEntry(
      encodeEntry(
        {
          kind: 'void',
          targetId: target,
          targetWriter: { role: 'kiosk', id: 'back' },
          reason: 'wrong member',
        },
        { id: newEventId(at), at, clockTrusted: true, method: 'staff' },
      ),
      staff,
    );
    expect(voided.ok && voided.event).toMatchObject({
      kind: 'void',
      targetId: target,
      targetWriter: { role: 'kiosk', id: 'back' },
      reason: 'wrong member',
    });
    const denied = parseEntry(
      encodeEntry(
        { kind: 'denied', memberId: '', reason: 'unknown', code: '99887' },
        { id: newEventId(at), at, clockTrusted: false, method: 'qr' },
      ),
      kiosk,
    );
    expect(denied.ok && denied.event).toMatchObject({
      kind: 'denied',
      memberId: '',
      reason: 'unknown',
      code: '99887',
      clockTrusted: false,
    });
  });

  it("[V10][E4] stores a void's target writer as `tw` in extra, and reads a void without it as naming no writer", () => {
    const target = newEventId(at);
    const value = encodeEntry(
      {
        kind: 'void',
        targetId: target,
        targetWriter: { role: 'staff', id: 'x'.repeat(64) },
        reason: 'wrong member',
      },
      { id: newEventId(at), at, clockTrusted: true, method: 'staff' },
    );
    expect(value[7]).toMatchObject({ target, tw: `staff:${'x'.repeat(64)}` });
    const legacy = parseEntry(withoutTargetWriter(value), staff);
    expect(legacy.ok && legacy.event).toMatchObject({ kind: 'void', targetWriter: null });
    const withExtra = (tw: unknown) => {
      const copy: unknown[] = [...value];
      copy[7] = { ...(value[7] as object), tw };
      return parseEntry(copy, staff);
    };
    expect(withExtra('kiosk:back')).toMatchObject({
      ok: true,
      event: { targetWriter: { role: 'kiosk', id: 'back' } },
    });
    for (const bad of ['back', 'kiosk:', 'members', 'kiosk:a/b', 7, `staff:${'x'.repeat(65)}`]) {
      expect(withExtra(bad), String(bad)).toMatchObject({ ok: false, code: 'malformed' });
    }
  });

  it('[E5] reports each kind of bad entry with its code instead of throwing', () => {
    const id = eventIdToBytes(newEventId(at));
    const cases: [unknown, string][] = [
      ['a string', 'malformed'],
      [null, 'malformed'],
      [{ id: 'x' }, 'malformed'],
      [[], 'malformed'],
      [[0, id, 0, 'M1', 0, true, 0], 'malformed'],
      [[1, id, 0, 'M1', 0, true], 'malformed'],
      [[1, new Uint8Array(16), 0, 'M1', 0, true, 0], 'malformed'],
      [[1, 'id', 0, 'M1', 0, true, 0], 'malformed'],
      [[1, id, 9, 'M1', 0, true, 0], 'unknown-kind'],
      [[1, id, 'checkIn', 'M1', 0, true, 0], 'malformed'],
      [[1, id, 0, 42, 0, true, 0], 'malformed'],
      [[1, id, 0, '', 0, true, 0], 'malformed'],
      [[1, id, 0, 'x'.repeat(1_000_000), 0, true, 0], 'malformed'],
      [[1, id, 0, 'M1', 0.5, true, 0], 'malformed'],
      [[1, id, 0, 'M1', 0, 'yes', 0], 'malformed'],
      [[1, id, 0, 'M1', 0, true, 12], 'malformed'],
      [[1, id, 0, 'M1', 0, true, 0, 'extra'], 'malformed'],
      [[1, id, 0, 'M1', 0, true, 0, { loc: 'x'.repeat(65) }], 'malformed'],
      [[1, id, 2, 'M1', 0, true, 0, { reason: 'bored' }], 'malformed'],
      [[1, id, { toString: [] }, 'M1', 0, true, 0], 'malformed'],
      [[1, id, 0, 'M1', 0, true, 0, { target: 'not-an-id' }], 'malformed'],
      [[1, id, 0, 'M1', 0, true, 0, { toString: 5 }], 'ok'],
      // PostgreSQL's text cannot hold NUL: one such entry would stop the day's record.
      [[1, id, 0, 'M\u00001', 0, true, 0], 'malformed'],
      [[1, id, 0, 'M1', 0, true, 0, { loc: 'door\u0000' }], 'malformed'],
      [[1, id, 3, '', 0, true, 4, { reason: 'x' }], 'not-permitted'],
      [[2, id, 0, 'M1', 0, true, 0], 'unsupported-version'],
    ];
    for (const [value, code] of cases) {
      const parsed = parseEntry(value, kiosk);
      expect(parsed.ok ? 'ok' : parsed.code, JSON.stringify(value)?.slice(0, 80)).toBe(code);
      if (!parsed.ok) expect(parsed.detail.length).toBeLessThan(120);
    }
  });

  it('[E4] leaves a newer schema version out without judging its fields', () => {
    const parsed = parseEntry([7, 'anything', { new: 'shape' }], kiosk);
    expect(parsed).toMatchObject({ ok: false, code: 'unsupported-version' });
  });

  it('[E6] refuses voids and check-everyone-out written by a kiosk', () => {
    const all = encodeEntry(
      { kind: 'checkOutAll' },
      { id: newEventId(at), at, clockTrusted: true, method: 'staff' },
    );
    expect(parseEntry(all, kiosk)).toMatchObject({ ok: false, code: 'not-permitted' });
    expect(parseEntry(all, staff).ok).toBe(true);
  });

  it('[T2] clamps only beyond the tolerance around the document day', () => {
    const record = (t: number) =>
      parseEntry(
        encodeEntry(
          { kind: 'checkIn', memberId: 'M1' },
          { id: newEventId(t), at: t, clockTrusted: true, method: 'qr' },
        ),
        kiosk,
      );
    const justAfter = record(window.end + CLOCK_TOLERANCE_MS - 1);
    expect(justAfter.ok && justAfter.event.at).toBe(window.end + CLOCK_TOLERANCE_MS - 1);
    const farAhead = record(window.end + CLOCK_TOLERANCE_MS);
    expect(farAhead.ok && [farAhead.event.at, farAhead.event.recordedAt]).toEqual([
      window.end - 1,
      window.end + CLOCK_TOLERANCE_MS,
    ]);
    const justBefore = record(window.start - 1);
    expect(justBefore.ok && justBefore.event.at).toBe(window.start);
  });

  it('[E5] never throws, whatever the value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.array(fc.anything()).map((rest) => [1, ...rest]),
          fc
            .constant(valid())
            .chain((v) =>
              fc
                .nat({ max: 7 })
                .chain((i) => fc.anything().map((x) => v.map((f, j) => (j === i ? x : f)))),
            ),
        ),
        (value) => {
          const parsed = parseEntry(value, kiosk);
          expect(typeof parsed.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('[T5] round-trips a clock correction and the segment of the entries it corrects', () => {
    const deviceAt = at + 3 * 3_600_000;
    const checkIn = parseEntry(
      encodeEntry(
        { kind: 'checkIn', memberId: 'M1' },
        {
          id: newEventId(deviceAt),
          at: deviceAt,
          clockTrusted: false,
          method: 'qr',
          segment: 'k3Xb',
        },
      ),
      kiosk,
    );
    expect(checkIn).toMatchObject({ ok: true, event: { segment: 'k3Xb', clockTrusted: false } });
    const correction = parseEntry(
      encodeEntry(
        { kind: 'clock', segment: 'k3Xb' },
        { id: newEventId(deviceAt), at, clockTrusted: true, method: 'device' },
      ),
      kiosk,
    );
    expect(correction).toMatchObject({
      ok: true,
      event: { kind: 'clock', segment: 'k3Xb', recordedAt: at, deviceTime: deviceAt },
    });
  });

  it('[T5][E5] reads a clock correction without a segment, from a guess or naming a member as malformed', () => {
    const id = newEventId(at);
    const good = encodeEntry(
      { kind: 'clock', segment: 's1' },
      { id, at, clockTrusted: true, method: 'device' },
    );
    const variants: unknown[][] = [
      good.slice(0, 7),
      good.map((f, i) => (i === 5 ? false : f)),
      good.map((f, i) => (i === 6 ? 0 : f)),
      good.map((f, i) => (i === 3 ? 'M1' : f)),
    ];
    for (const value of variants) {
      expect(parseEntry(value, kiosk)).toMatchObject({ ok: false, code: 'malformed' });
    }
    expect(() =>
      encodeEntry(
        { kind: 'clock', segment: 's1' },
        { id, at, clockTrusted: false, method: 'device' },
      ),
    ).toThrow(RangeError);
  });
});
