/**
 * What a kiosk tells staff dashboards about itself through Yjs awareness on today's document:
 * live while it is connected, never stored.
 */
export const KIOSK_PRESENCE = 'kiosk';

export interface KioskPresence {
  readonly deviceId: string;
  /** Check-ins recorded on the tablet that the server has not acknowledged yet. */
  readonly pending: number;
}
