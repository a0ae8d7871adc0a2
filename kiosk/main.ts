/**
 * Kiosk PWA entry point (placeholder). The kiosk records check-ins with `recordEvent` from
 * shared/ into the day's check-ins document, kept in IndexedDB, and syncs when it can.
 */
export {};
