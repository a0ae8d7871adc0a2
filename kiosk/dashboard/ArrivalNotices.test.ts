import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../../shared/DayLedger';
import { ArrivalNotices, summarizeArrivals } from './ArrivalNotices';

const arrival = (
  id: string,
  name: string,
  voided = false,
  at = 1000,
  kiosk = 'door',
): FeedItem => ({
  id,
  ref: `kiosk:${kiosk}/${id}`,
  kind: 'checkIn',
  at,
  memberId: id,
  name,
  writer: { role: 'kiosk', id: kiosk },
  outcome: 'visit-start',
  voided,
});

describe('ArrivalNotices', () => {
  it('[B3] does not announce check-ins from before the dashboard opened, however late they sync in', () => {
    const notices = new ArrivalNotices(5000, 1000);
    // The feed is empty at first (IndexedDB, then the server), then the day arrives.
    notices.observe([]);
    notices.observe([arrival('b', 'Bea', false, 999), arrival('a', 'Ana', false, 500)]);
    expect(notices.next(2000)).toBeNull();
    notices.observe([arrival('c', 'Cem', false, 1000), arrival('b', 'Bea', false, 999)]);
    expect(notices.next(2000)).toBe('Cem checked in');
  });

  it('[B3] announces new visit starts oldest first, at most once per gap, summarising a burst', () => {
    const notices = new ArrivalNotices(5000, 0);
    notices.observe([]);
    notices.observe([arrival('a', 'Ana')]);
    expect(notices.next(1000)).toBe('Ana checked in');
    notices.observe([arrival('c', 'Cem'), arrival('b', 'Bob'), arrival('a', 'Ana')]);
    expect(notices.next(2000)).toBeNull();
    expect(notices.dueAt()).toBe(6000);
    expect(notices.next(6000)).toBe('Bob and Cem checked in');
    expect(notices.next(20_000)).toBeNull();
  });

  it('[B3] ignores repeats, check-outs and voided check-ins', () => {
    const notices = new ArrivalNotices(0, 0);
    notices.observe([]);
    notices.observe([
      { ...arrival('r', 'Rae'), outcome: 'repeat-check-in' },
      { ...arrival('o', 'Oli'), kind: 'checkOut', outcome: 'visit-end' },
      arrival('v', 'Vic', true),
    ]);
    expect(notices.next(0)).toBeNull();
  });

  it("[B3][E2] announces two kiosks' check-ins that share an id as two arrivals", () => {
    const notices = new ArrivalNotices(0, 0);
    notices.observe([]);
    notices.observe([arrival('a', 'Ana', false, 1000, 'front')]);
    expect(notices.next(0)).toBe('Ana checked in');
    notices.observe([
      arrival('a', 'Bob', false, 1000, 'back'),
      arrival('a', 'Ana', false, 1000, 'front'),
    ]);
    expect(notices.next(1)).toBe('Bob checked in');
  });

  it('[B3] forgets queued arrivals when dropped, so a pause does not end in a burst', () => {
    const notices = new ArrivalNotices(0, 0);
    notices.observe([]);
    notices.observe([arrival('a', 'Ana')]);
    notices.drop();
    expect(notices.next(0)).toBeNull();
  });
});

describe('summarizeArrivals', () => {
  it('names up to two people and counts the rest', () => {
    expect(summarizeArrivals(['Ana', 'Bob', 'Cem'])).toBe('Ana, Bob and 1 other checked in');
    expect(summarizeArrivals(['Ana', 'Bob', 'Cem', 'Dee'])).toBe(
      'Ana, Bob and 2 others checked in',
    );
  });
});
