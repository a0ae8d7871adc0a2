import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vitest/config';

// One config serves the PWA build and Vitest. The build has two pages: the kiosk at /kiosk and
// the staff dashboard at /dashboard (the sync server maps those paths into dist/).
//
// Tests run in two projects: `node` (shared/, sync-server/, pure kiosk logic) and `browser`
// (`*.browser.test.ts`: Lit elements in real Chromium). Chromium comes from the system
// (`apt-get install chromium`; browser downloads do not work everywhere): CHROMIUM_PATH, default
// /usr/bin/chromium. Without it the browser project is left out with a message, except in CI,
// where it must run.
//
// CI_RESULTS, when set, is the path where Vitest also writes its JSON report: `.ci/run` reads the
// pass/fail counts from it, because CI does not parse Vitest's own summary.
const jsonReport = process.env.CI_RESULTS;
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromium);
if (!hasChromium && process.env.VITEST) {
  if (process.env.CI)
    throw new Error(`Browser tests need Chromium at ${chromium} (apt-get install chromium)`);
  console.warn(
    `\n  Browser tests SKIPPED: no Chromium at ${chromium}. Install it (apt-get install chromium) or set CHROMIUM_PATH.\n`,
  );
}

/**
 * The plugin writes one manifest (the kiosk's: landscape, fullscreen, start at /kiosk) and links
 * it from every page. A phone installing the dashboard needs its own, so the dashboard page links
 * `public/dashboard.webmanifest` instead (same generated icons, standalone, start at /dashboard).
 */
function dashboardManifest(): Plugin {
  return {
    name: 'headcount-dashboard-manifest',
    // After vite-plugin-pwa's own post hook, which writes the link.
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler: (html, context) =>
        context.path.includes('/dashboard/')
          ? html.replace('href="/manifest.webmanifest"', 'href="/dashboard.webmanifest"')
          : html,
    },
  };
}

export default defineConfig({
  publicDir: 'public',
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'kiosk',
      filename: 'sw.ts',
      // Updates are applied by the page when the kiosk is idle, never under a member's finger.
      registerType: 'prompt',
      injectRegister: false,
      pwaAssets: { config: true, overrideManifestIcons: true },
      manifest: {
        id: '/kiosk',
        name: 'Headcount kiosk',
        short_name: 'Headcount',
        description: 'Gym check-in that keeps working without a network',
        start_url: '/kiosk',
        scope: '/',
        display: 'fullscreen',
        display_override: ['fullscreen', 'standalone'],
        orientation: 'landscape',
        background_color: '#0f3d3e',
        theme_color: '#0f3d3e',
      },
      injectManifest: {
        // The default globs miss icons and wasm. The plugin adds the manifest itself: listing it
        // here too makes the worker fail with add-to-cache-list-conflicting-entries.
        globPatterns: ['**/*.{js,css,html,svg,png,ico,wasm}'],
      },
      devOptions: { enabled: false },
    }),
    dashboardManifest(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      input: { kiosk: 'kiosk/index.html', dashboard: 'kiosk/dashboard/index.html' },
    },
  },
  test: {
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
    projects: [
      {
        extends: true as const,
        test: {
          name: 'node',
          // Property tests and real servers share two cores with the end-to-end browsers: 5 s is
          // too little under that load, and speed is measured in `npm run bench`, not here.
          testTimeout: 30_000,
          include: ['{shared,kiosk,sync-server,e2e}/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
        },
      },
      ...(hasChromium
        ? [
            {
              extends: true as const,
              test: {
                name: 'browser',
                include: ['kiosk/**/*.browser.test.ts'],
                globalSetup: ['kiosk/testing/serverForBrowserTests.ts'],
                browser: {
                  enabled: true,
                  headless: true,
                  // A fixed port: the test server allows this origin (see serverForBrowserTests.ts).
                  api: { port: 63315, strictPort: true },
                  provider: playwright({
                    launchOptions: {
                      executablePath: chromium,
                      // Without these, Chromium tries Google's services from a closed network.
                      args: [
                        '--no-sandbox',
                        '--disable-gpu',
                        '--disable-background-networking',
                        '--disable-component-update',
                        '--no-first-run',
                      ],
                    },
                  }),
                  instances: [{ browser: 'chromium' as const }],
                },
              },
            },
          ]
        : []),
    ],
  },
});
