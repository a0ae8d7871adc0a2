import { describe, expect, it } from 'vitest';
import { deviceTimeOf, eventIdFromBytes, eventIdToBytes, isEventId, newEventId } from './eventId';

describe('eventId', () => {
  it('[E1] mints distinct UUIDv7 ids that carry the device time', () => {
    const t = Date.UTC(2026, 2, 10, 9, 0, 0, 123);
    const ids = new Set(Array.from({ length: 1000 }, () => newEventId(t)));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(isEventId(id)).toBe(true);
      expect(deviceTimeOf(id)).toBe(t);
    }
  });

  it('[E1] stores an id as 16 bytes and reads it back', () => {
    const id = newEventId(Date.now());
    const bytes = eventIdToBytes(id);
    expect(bytes).toHaveLength(16);
    expect(eventIdFromBytes(bytes)).toBe(id);
    expect(eventIdFromBytes(new Uint8Array(16))).toBeNull();
    expect(eventIdFromBytes('not bytes')).toBeNull();
  });
});
