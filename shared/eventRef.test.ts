import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newEventId } from './eventId';
import { eventRef, parseEventRef, refOf } from './eventRef';

describe('eventRef', () => {
  const id = newEventId(Date.UTC(2026, 2, 10, 9));

  it('[E2] names an event by its writer array and id, and reads the name back', () => {
    const ref = eventRef({ role: 'kiosk', id: 'front' }, id);
    expect(ref).toBe(`kiosk:front/${id}`);
    expect(parseEventRef(ref)).toEqual({ writer: { role: 'kiosk', id: 'front' }, id });
    expect(refOf({ writer: { role: 'staff', id: 'lee' }, id })).toBe(`staff:lee/${id}`);
  });

  it('[E2] refuses to build a ref from a writer or id no writer produces', () => {
    expect(() => eventRef({ role: 'kiosk', id: 'a/b' }, id)).toThrow(RangeError);
    expect(() => eventRef({ role: 'kiosk', id: 'front' }, 'not-an-id')).toThrow(RangeError);
  });

  it('[E5] reads anything that is not a ref as null, without throwing', () => {
    for (const bad of [
      id,
      `kiosk:front${id}`,
      `kiosk:front/${id}/x`,
      `members/${id}`,
      `kiosk:/${id}`,
      'kiosk:front/',
      `kiosk:front/${id.toUpperCase()}`,
      '',
      null,
      42,
      { toString: () => `kiosk:front/${id}` },
    ]) {
      expect(parseEventRef(bad), String(bad)).toBeNull();
    }
    fc.assert(
      fc.property(fc.anything(), (value) => {
        parseEventRef(value);
      }),
    );
  });
});
