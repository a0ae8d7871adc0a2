/**
 * What a kiosk tells staff dashboards about itself through Yjs awareness on today's document:
 * live while it is connected, never stored. The server rebuilds every kiosk's state from these
 * fields only, with the device id from its token ([W6]); dashboards read it with
 * `readKioskPresence` and ignore anything else.
 */
export const KIOSK_PRESENCE = 'kiosk';

export interface KioskPresence {
  readonly deviceId: string;
  /** Check-ins recorded on the tablet that the server has not acknowledged yet. */
  readonly pending: number;
  /** The kiosk app's version (the build it runs). */
  readonly appVersion?: string;
  /** When the oldest of the pending check-ins was recorded (ms since the epoch) ([D6]). */
  readonly oldestPendingAt?: number;
  /** Pending check-ins in days the server no longer takes from a kiosk ([W3]). */
  readonly tooOld?: number;
  /** Whether the browser keeps the tablet's storage for good or may clear it (best-effort). */
  readonly storage?: 'persistent' | 'best-effort' | 'unknown';
  /** The storage the browser allows this kiosk, and what it uses, bytes. */
  readonly quotaBytes?: number;
  readonly usageBytes?: number;
}

/** Largest pending count a kiosk can announce (far above any real backlog). */
export const MAX_ANNOUNCED_PENDING = 1_000_000;
const MAX_TEXT = 64;

/** A kiosk's announced state, or null when `value` is not one. Never throws. */
export function readKioskPresence(value: unknown): KioskPresence | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const {
    deviceId,
    pending,
    appVersion,
    oldestPendingAt,
    tooOld,
    storage,
    quotaBytes,
    usageBytes,
  } = value as Record<string, unknown>;
  if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > MAX_TEXT) {
    return null;
  }
  if (!Number.isSafeInteger(pending) || (pending as number) < 0) return null;
  const count = Math.min(pending as number, MAX_ANNOUNCED_PENDING);
  const presence: Mutable<KioskPresence> = { deviceId, pending: count };
  if (typeof appVersion === 'string' && appVersion.length > 0 && appVersion.length <= MAX_TEXT) {
    presence.appVersion = appVersion;
  }
  if (Number.isSafeInteger(oldestPendingAt) && (oldestPendingAt as number) > 0) {
    presence.oldestPendingAt = oldestPendingAt as number;
  }
  if (Number.isSafeInteger(tooOld) && (tooOld as number) > 0) {
    presence.tooOld = Math.min(tooOld as number, count);
  }
  if (storage === 'persistent' || storage === 'best-effort' || storage === 'unknown') {
    presence.storage = storage;
  }
  if (Number.isSafeInteger(quotaBytes) && (quotaBytes as number) >= 0) {
    presence.quotaBytes = quotaBytes as number;
  }
  if (Number.isSafeInteger(usageBytes) && (usageBytes as number) >= 0) {
    presence.usageBytes = usageBytes as number;
  }
  return presence;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
