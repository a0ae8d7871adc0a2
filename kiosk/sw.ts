import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';

/**
 * The service worker: precaches the app shell (vite-plugin-pwa injects the list at build time),
 * so /kiosk and /dashboard open with no network. Updates wait until the page asks for them
 * (`SKIP_WAITING`), which the kiosk does only when idle on its home screen.
 */
declare global {
  /** Replaced at build time by the list of files to precache. */
  var __WB_MANIFEST: (string | { url: string; revision: string | null })[];
}

interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data?: { type?: string } }) => void): void;
  skipWaiting(): Promise<void>;
}
const worker = self as unknown as WorkerScope;

/** The two pages are served at clean URLs; their precached files live under kiosk/. */
const PAGES: Record<string, string> = {
  '/kiosk': '/kiosk/index.html',
  '/kiosk/': '/kiosk/index.html',
  '/dashboard': '/kiosk/dashboard/index.html',
  '/dashboard/': '/kiosk/dashboard/index.html',
};

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST, {
  urlManipulation: ({ url }) => {
    const page = PAGES[url.pathname];
    return page ? [new URL(page, url.origin)] : [];
  },
});

worker.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void worker.skipWaiting();
});
