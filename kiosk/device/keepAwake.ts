/**
 * Keeps a kiosk's screen on (Screen Wake Lock). The browser releases the lock whenever the page
 * is hidden, so it is requested again each time the page becomes visible. Where the API is
 * missing or refused, the tablet's own display settings apply.
 */
export function keepAwake(): { stop(): void; readonly held: () => boolean } {
  let sentinel: WakeLockSentinel | null = null;
  let stopped = false;
  const request = async () => {
    if (stopped || document.visibilityState !== 'visible' || !('wakeLock' in navigator)) return;
    try {
      sentinel = await navigator.wakeLock.request('screen');
    } catch {
      sentinel = null;
    }
  };
  const onVisibility = () => void request();
  document.addEventListener('visibilitychange', onVisibility);
  void request();
  return {
    held: () => sentinel !== null && !sentinel.released,
    stop() {
      stopped = true;
      document.removeEventListener('visibilitychange', onVisibility);
      void sentinel?.release();
    },
  };
}
