import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries } from './checkinsDoc';
import { dayConfigFor, deriveDay } from './deriveDay';
import { readLegacyRoster, readSettings } from './siteDoc';
import { clock } from './testing/entries';
import { writerName } from './writer';

/**
 * [E4] Frozen documents written by schema version 1 (see fixtures/makeFixtures.ts). The bytes
 * never change; if these numbers change, the code stopped reading what old kiosks wrote.
 */
function load(file: string): Y.Doc {
  const doc = new Y.Doc();
  const text = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8');
  Y.applyUpdate(doc, Buffer.from(text.trim(), 'base64'));
  return doc;
}

describe('schema version 1 fixtures', () => {
  it('[E4][D2] reads the version 1 site document', () => {
    const site = load('site.v1.b64');
    const { settings, problems } = readSettings(site);
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({
      name: 'Riverside',
      timeZone: 'Europe/Amsterdam',
      capacity: 120,
      closingTime: '22:00',
      maxStayMinutes: 240,
    });
    // Moved into the member table by the server, once ([D7]).
    const roster = readLegacyRoster(site, 'riverside');
    expect(roster.map((m) => m.id)).toEqual(['M1001', 'M1004']);
    expect(roster.find((m) => m.id === 'M1004')).toEqual({
      id: 'M1004',
      name: 'Ben Okafor',
      codes: ['0451004'],
      status: 'expired',
      validUntil: '2026-01-31',
      homeSite: 'riverside',
      access: 'home',
    });
  });

  it('[E4] derives the same numbers from the version 1 check-ins document', () => {
    const site = load('site.v1.b64');
    const doc = load('checkins-2026-03-10.v1.b64');
    const config = dayConfigFor(readSettings(site).settings, '2026-03-10');
    const { stats, flags, problems, visits } = deriveDay(
      config,
      readEntries(doc, '2026-03-10'),
      clock('23:00'),
      {
        roster: new Map(readLegacyRoster(site, 'riverside').map((m) => [m.id, m])),
      },
    );
    expect(problems).toEqual([]);
    expect({
      visitsToday: stats.visitsToday,
      uniqueMembersToday: stats.uniqueMembersToday,
      deniedToday: stats.deniedToday,
      completedVisits: stats.completedVisits,
      averageStayMs: stats.averageStayMs,
      autoClosedVisits: stats.autoClosedVisits,
      currentlyIn: stats.currentlyIn.length,
      peak: stats.peak,
    }).toEqual({
      visitsToday: 3,
      uniqueMembersToday: 3,
      deniedToday: 1,
      completedVisits: 1,
      averageStayMs: 75 * 60_000,
      autoClosedVisits: 2,
      currentlyIn: 0,
      peak: { count: 2, at: clock('07:30') },
    });
    expect(visits.map((v) => [v.memberId, v.closedBy])).toEqual([
      ['M1001', 'checkOut'],
      ['M1002', 'auto'],
      ['M1005', 'auto'],
    ]);
    expect(flags.map((f) => f.code)).toEqual([
      'auto-closed',
      'clock-untrusted',
      'unmatched-check-out',
      'auto-closed',
    ]);
    const feed = stats.feed.map((i) => [i.kind, i.name, i.outcome, i.location]);
    expect(feed).toContainEqual(['checkOut', 'Ana Lima', 'visit-end', 'Main entrance']);
    expect(feed[0]).toEqual(['checkOutAll', '', 'check-out-all', 'Main entrance']);
  });

  it("[E4][V10][E2] derives version 1 voids that name their target's writer", () => {
    const site = load('site.v1.b64');
    const doc = load('checkins-2026-03-10.v1-void-writer.b64');
    const config = dayConfigFor(readSettings(site).settings, '2026-03-10');
    const { stats, flags, problems, visits } = deriveDay(
      config,
      readEntries(doc, '2026-03-10'),
      clock('23:00'),
      { roster: new Map(readLegacyRoster(site, 'riverside').map((m) => [m.id, m])) },
    );
    expect(problems).toEqual([]);
    expect({
      visitsToday: stats.visitsToday,
      completedVisits: stats.completedVisits,
      averageStayMs: stats.averageStayMs,
      autoClosedVisits: stats.autoClosedVisits,
      peak: stats.peak,
    }).toEqual({
      visitsToday: 2,
      completedVisits: 2,
      averageStayMs: 120 * 60_000,
      autoClosedVisits: 0,
      peak: { count: 2, at: clock('08:00') },
    });
    // The back door re-used the front door's id: two events, and the void names the back's.
    expect(visits.map((v) => [v.memberId, writerName(v.startEvent.writer), v.end])).toEqual([
      ['M1001', 'kiosk:front', clock('10:00')],
      ['M1003', 'kiosk:front', clock('09:00')],
    ]);
    const shared = visits[0]?.id;
    expect(
      stats.feed.filter((i) => i.id === shared).map((i) => [i.memberId, i.writer.id, i.voided]),
    ).toEqual([
      ['M1001', 'front', false],
      ['M1002', 'back', true],
    ]);
    // The second void names the front door, which holds no event with that id.
    expect(flags.map((f) => [f.code, f.at])).toEqual([['void-target-missing', clock('09:05')]]);
  });

  it('[E4][T5] reads version 1 clock corrections: a jumped door re-timed, a never-measured one as recorded', () => {
    const doc = load('checkins-2026-03-10.v1-clock.b64');
    const site = load('site.v1.b64');
    const config = dayConfigFor(readSettings(site).settings, '2026-03-10');
    const { flags, problems, visits } = deriveDay(
      config,
      readEntries(doc, '2026-03-10'),
      clock('12:00'),
    );
    expect(problems).toEqual([]);
    expect(
      visits.map((v) => [v.memberId, writerName(v.startEvent.writer), v.start, v.end]),
    ).toEqual([
      ['M1001', 'kiosk:front', clock('07:00'), null],
      ['M1002', 'kiosk:side', clock('08:00'), clock('09:00')],
      ['M1003', 'kiosk:side', clock('08:05'), null],
      ['M1005', 'kiosk:back', clock('09:20'), null],
    ]);
    // The front door's 07:00 visit has reached its 4 h maximum by noon ([V7]).
    expect(flags.map((f) => [f.code, f.at, f.shiftMs])).toEqual([
      ['auto-closed', clock('07:00'), undefined],
      ['clock-corrected', clock('08:00'), -3 * 3_600_000],
      ['clock-corrected', clock('08:05'), -3 * 3_600_000],
    ]);
  });
});
