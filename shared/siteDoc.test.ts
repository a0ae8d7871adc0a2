import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  DEFAULT_SETTINGS,
  LEGACY_MEMBERS_MAP,
  readLegacyRoster,
  readSettings,
  writeSettings,
} from './siteDoc';

describe('siteDoc', () => {
  it('[D2] gives defaults for a new site and reads back what staff wrote', () => {
    const doc = new Y.Doc();
    expect(readSettings(doc)).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
    writeSettings(doc, { timeZone: 'Asia/Tokyo', capacity: 80, closingTime: '23:00' });
    expect(readSettings(doc).settings).toMatchObject({
      timeZone: 'Asia/Tokyo',
      capacity: 80,
      closingTime: '23:00',
      maxStayMinutes: 240,
    });
    expect(() => writeSettings(doc, { timeZone: 'Nowhere/Else' })).toThrow(/timeZone/);
  });

  it('[P1] keeps the public page off until staff choose band or count, and refuses other values', () => {
    const doc = new Y.Doc();
    expect(readSettings(doc).settings.publicOccupancy).toBe('off');
    writeSettings(doc, { publicOccupancy: 'count' });
    expect(readSettings(doc).settings.publicOccupancy).toBe('count');
    expect(() => writeSettings(doc, { publicOccupancy: 'all' as never })).toThrow(
      /publicOccupancy/,
    );
    doc.getMap('settings').set('publicOccupancy', 'everything');
    const { settings, problems } = readSettings(doc);
    expect(settings.publicOccupancy).toBe('off');
    expect(problems).toEqual([
      { where: 'settings.publicOccupancy', detail: 'invalid: "everything"' },
    ]);
  });

  it('[D2] falls back to the default for each bad setting and reports it, keeping the good ones', () => {
    const doc = new Y.Doc();
    const map = doc.getMap('settings');
    map.set('timeZone', 'Mars/Base');
    map.set('capacity', -3);
    map.set('debounceSeconds', 30);
    map.set('colour', 'teal');
    map.set('toString', 'not a setting');
    const { settings, problems } = readSettings(doc);
    expect(settings.timeZone).toBe('UTC');
    expect(settings.capacity).toBeNull();
    expect(settings.debounceSeconds).toBe(30);
    expect(Object.hasOwn(settings, 'toString')).toBe(false);
    expect(problems.map((p) => p.where).sort()).toEqual([
      'settings.capacity',
      'settings.colour',
      'settings.timeZone',
      'settings.toString',
    ]);
  });

  it('[D2][D7] reads the members a site document held before rosters, leaving out bad ones', () => {
    const doc = new Y.Doc();
    const members = doc.getMap(LEGACY_MEMBERS_MAP);
    members.set('M1', {
      v: 1,
      id: 'M1',
      name: 'Ana',
      codes: ['123'],
      status: 'active',
      validUntil: null,
    });
    members.set('M2', { id: 'M2', name: 'Bo', codes: [], status: 'gold', validUntil: null });
    members.set('M3', 'just a string');
    members.set('M4', { id: 'M5', name: 'Cy', codes: [], status: 'active', validUntil: null });
    members.set('M6', {
      v: 9,
      id: 'M6',
      name: 'Di',
      codes: [],
      status: 'active',
      validUntil: null,
    });
    expect(readLegacyRoster(doc, 'riverside')).toEqual([
      {
        id: 'M1',
        name: 'Ana',
        codes: ['123'],
        status: 'active',
        validUntil: null,
        homeSite: 'riverside',
        access: 'home',
      },
    ]);
  });
});
