import { registerSW } from 'virtual:pwa-register';

/** How often the kiosk asks whether a new version was deployed, ms. */
const CHECK_EVERY_MS = 60 * 60_000;
/** How often a waiting update looks for an idle moment, ms. */
const IDLE_POLL_MS = 30_000;

/**
 * Keeps the installed kiosk up to date without surprising anyone: new versions are found by
 * periodic checks, and applied (the page reloads) only when `isIdle` says the kiosk is resting
 * on its home screen. Nothing is lost by the reload: every check-in is already in IndexedDB.
 */
export function keepUpToDate(isIdle: () => boolean): void {
  if (!('serviceWorker' in navigator)) return;
  let waiting = false;
  const update = registerSW({
    immediate: true,
    onNeedRefresh() {
      waiting = true;
    },
    onRegisteredSW(_url, registration) {
      // Offline (the wifi is down) the check fails: the next one tries again. Left unhandled it
      // was an uncaught rejection on every check while a tablet was offline.
      if (registration) setInterval(() => registration.update().catch(() => {}), CHECK_EVERY_MS);
    },
  });
  setInterval(() => {
    if (waiting && isIdle()) void update(true);
  }, IDLE_POLL_MS);
}
