/**
 * Whether this device's storage survives the browser's clean-ups. IndexedDB holds check-ins
 * the server has not seen yet, so a kiosk asks for persistent storage ("persist") at start; a
 * browser may grant it (an installed app, a site used often) or keep it "best-effort", which it
 * may evict under storage pressure. Staff see which on the Kiosks screen.
 */
export type StorageKind = 'persistent' | 'best-effort' | 'unknown';

export interface StorageState {
  readonly kind: StorageKind;
  /** What the browser lets this origin store, and what it uses, bytes; null when not told. */
  readonly quotaBytes: number | null;
  readonly usageBytes: number | null;
}

/** Asks for persistent storage where the browser can grant it, and says what it got. */
export async function requestPersistentStorage(
  storage: StorageManager | null = globalThis.navigator?.storage ?? null,
): Promise<StorageState> {
  let kind: StorageKind = 'unknown';
  try {
    // Feature-detected: WebKitGTK's MiniBrowser, for one, has no persist().
    if (typeof storage?.persisted === 'function') {
      const already = await storage.persisted();
      const granted =
        already || (typeof storage.persist === 'function' ? await storage.persist() : false);
      kind = granted ? 'persistent' : 'best-effort';
    }
  } catch {
    kind = 'unknown';
  }
  let quotaBytes: number | null = null;
  let usageBytes: number | null = null;
  try {
    const estimate = typeof storage?.estimate === 'function' ? await storage.estimate() : null;
    quotaBytes = estimate?.quota ?? null;
    usageBytes = estimate?.usage ?? null;
  } catch {
    // No estimate: the kind alone still tells staff what they need.
  }
  return { kind, quotaBytes, usageBytes };
}
