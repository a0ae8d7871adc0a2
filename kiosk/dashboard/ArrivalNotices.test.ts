import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../../shared/DayLedger';
import { ArrivalNotices, summarizeArrivals } from './ArrivalNotices';

const arrival = (id: string, name: string, voided = false): FeedItem => ({
  id,
  kind: 'checkIn',
  at: 0,
  memberId: id,
  name,
  writer: { role: 'kiosk', id: 'door' },
  outcome: 'visit-start',
  voided,
});

describe('ArrivalNotices', () => {
  it('[B3] does not announce what was already in the feed when it first arrived', () => {
    const notices = new ArrivalNotices(5000);
    notices.observe([arrival('a', 'Ana')]);
    expect(notices.next(0)).toBeNull();
  });

  it('[B3] announces new visit starts oldest first, at most once per gap, summarising a burst', () => {
    const notices = new ArrivalNotices(5000);
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
    const notices = new ArrivalNotices(0);
    notices.observe([]);
    notices.observe([
      { ...arrival('r', 'Rae'), outcome: 'repeat-check-in' },
      { ...arrival('o', 'Oli'), kind: 'checkOut', outcome: 'visit-end' },
      arrival('v', 'Vic', true),
    ]);
    expect(notices.next(0)).toBeNull();
  });

  it('[B3] forgets queued arrivals when dropped, so a pause does not end in a burst', () => {
    const notices = new ArrivalNotices(0);
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
