import { describe, expect, it } from 'vitest';
import { requestPersistentStorage } from './persistentStorage';

describe('requestPersistentStorage', () => {
  it('asks the real browser and says what it got, with the quota and usage', async () => {
    const state = await requestPersistentStorage();
    // Headless Chromium answers persist() with false: a page nobody installed keeps
    // best-effort storage, the case staff must be warned about.
    expect(state.kind).toBe('best-effort');
    expect(state.quotaBytes).toBeGreaterThan(0);
    expect(state.usageBytes).toBeGreaterThanOrEqual(0);
  });

  it('says "unknown" where a browser has no persist() (WebKitGTK has none)', async () => {
    expect((await requestPersistentStorage(null)).kind).toBe('unknown');
  });
});
