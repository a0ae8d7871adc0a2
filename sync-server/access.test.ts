import { describe, expect, it } from 'vitest';
import { accessTo } from './access';
import type { Principal, Role } from './tokens';

const today = '2026-03-10';
const who = (role: Role, siteId: string | null = 'riverside'): Principal => ({
  role,
  siteId,
  subject: 'abc',
  expiresAt: 0,
});
const reason = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as { reason?: string }).reason;
  }
};

describe('accessTo', () => {
  it('gives a kiosk read-write check-ins and a read-only site document, writing into its own array', () => {
    expect(accessTo(who('kiosk'), 'checkins/riverside/2026-03-10', today)).toMatchObject({
      readOnly: false,
      writer: 'kiosk:abc',
    });
    expect(accessTo(who('kiosk'), 'site/riverside', today)).toMatchObject({
      readOnly: true,
      writer: null,
    });
  });

  it('[W3] lets a kiosk write from a week back to tomorrow, and staff any day', () => {
    expect(accessTo(who('kiosk'), 'checkins/riverside/2026-03-03', today).readOnly).toBe(false);
    expect(accessTo(who('kiosk'), 'checkins/riverside/2026-03-11', today).readOnly).toBe(false);
    expect(reason(() => accessTo(who('kiosk'), 'checkins/riverside/2026-03-12', today))).toBe(
      'future-day',
    );
    expect(reason(() => accessTo(who('kiosk'), 'checkins/riverside/2026-03-02', today))).toBe(
      'past-day',
    );
    expect(accessTo(who('staff'), 'checkins/riverside/2026-01-02', today).readOnly).toBe(false);
  });

  it('gives staff read-write on both kinds and a viewer read-only on both', () => {
    for (const name of ['checkins/riverside/2026-03-10', 'site/riverside']) {
      expect(accessTo(who('staff'), name, today)).toMatchObject({
        readOnly: false,
        writer: 'staff:abc',
      });
      expect(accessTo(who('viewer'), name, today)).toMatchObject({ readOnly: true, writer: null });
    }
  });

  it('refuses another site to everyone but an admin', () => {
    for (const role of ['kiosk', 'staff', 'viewer'] as const) {
      expect(reason(() => accessTo(who(role), 'site/harbour', today))).toBe('wrong-site');
    }
    expect(accessTo(who('admin', null), 'site/harbour', today).readOnly).toBe(false);
  });

  it('refuses any name that is not a Headcount document', () => {
    for (const name of ['', 'site/', 'notes', 'checkins/riverside/yesterday', 'site/riverside/x']) {
      expect(reason(() => accessTo(who('admin', null), name, today))).toBe('unknown-document');
    }
  });
});
