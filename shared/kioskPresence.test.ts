import { describe, expect, it } from 'vitest';
import { MAX_ANNOUNCED_PENDING, readKioskPresence } from './kioskPresence';

describe('readKioskPresence', () => {
  it('[W6] keeps a kiosk status only in its typed, bounded fields', () => {
    expect(
      readKioskPresence({
        deviceId: 'front',
        pending: 3,
        appVersion: '1.2.3',
        oldestPendingAt: 1_700_000_000_000,
        tooOld: 1,
        storage: 'best-effort',
        quotaBytes: 1_000_000,
        usageBytes: 2_000,
        junk: 'x'.repeat(10_000),
      }),
    ).toEqual({
      deviceId: 'front',
      pending: 3,
      appVersion: '1.2.3',
      oldestPendingAt: 1_700_000_000_000,
      tooOld: 1,
      storage: 'best-effort',
      quotaBytes: 1_000_000,
      usageBytes: 2_000,
    });
  });

  it('[W6] refuses what is not a kiosk status, and bounds what is', () => {
    for (const value of [null, 'front', [], { pending: 1 }, { deviceId: '', pending: 1 }]) {
      expect(readKioskPresence(value)).toBeNull();
    }
    expect(readKioskPresence({ deviceId: 'front', pending: -1 })).toBeNull();
    expect(readKioskPresence({ deviceId: 'x'.repeat(65), pending: 1 })).toBeNull();
    expect(readKioskPresence({ deviceId: 'front', pending: 1e12 })?.pending).toBe(
      MAX_ANNOUNCED_PENDING,
    );
    expect(
      readKioskPresence({ deviceId: 'front', pending: 1, tooOld: 5, storage: 'forever' }),
    ).toEqual({ deviceId: 'front', pending: 1, tooOld: 1 });
  });
});
