import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, mergeConfig } from 'vitest/config';
import build from './vite.config.ts';

// The tests, on top of the build configuration (vite.config.ts).
//
// Tests run in two projects: `node` (shared/, sync-server/, pure kiosk logic) and `browser`
// (`*.browser.test.ts`: Lit elements in real Chromium). Chromium comes from the system
// (`apt-get install chromium`; browser downloads do not work everywhere): CHROMIUM_PATH, default
// /usr/bin/chromium. Without it the browser project is left out with a message, except in CI,
// where it must run.
//
// CI_RESULTS, when set, is the path where Vitest also writes its JSON report: `.ci/run` reads the
// pass/fail counts from it, because CI does not parse Vitest's own summary.
//
// With DATABASE_URL set, a `postgres` project runs the server's tests again against PostgreSQL
// (each server in a schema of its own, dropped at the end; `sync-server/testing/testDatabase.ts`).
// Without it that project is left out with a message, except in CI, where it must run.
const jsonReport = process.env.CI_RESULTS;
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl && process.env.VITEST) {
  if (process.env.CI)
    throw new Error('CI runs the server tests on PostgreSQL too: set DATABASE_URL');
  console.warn(
    '\n  PostgreSQL tests SKIPPED: no DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).\n',
  );
}
/**
 * Server tests about SQLite itself, or that touch no database: run once, in `node`. (A new pure
 * test left off this list only runs twice.)
 */
const SQLITE_OR_NO_DATABASE = [
  'sync-server/database.test.ts',
  'sync-server/WalCheckpoints.test.ts',
  'sync-server/{Backoff,access,addressKey,dayRange,peakHours,tlsFiles,updateShape,visitsCsv}.test.ts',
  'sync-server/http/clientAddress.test.ts',
];
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromium);
if (!hasChromium && process.env.VITEST) {
  if (process.env.CI)
    throw new Error(`Browser tests need Chromium at ${chromium} (apt-get install chromium)`);
  console.warn(
    `\n  Browser tests SKIPPED: no Chromium at ${chromium}. Install it (apt-get install chromium) or set CHROMIUM_PATH.\n`,
  );
}

export default mergeConfig(
  build,
  defineConfig({
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
        ...(databaseUrl
          ? [
              {
                extends: true as const,
                test: {
                  name: 'postgres',
                  testTimeout: 30_000,
                  include: ['sync-server/**/*.test.ts'],
                  exclude: [...SQLITE_OR_NO_DATABASE, '**/node_modules/**'],
                  env: { HEADCOUNT_TEST_ENGINE: 'postgres' },
                  globalSetup: ['sync-server/testing/postgresSchemas.ts'],
                },
              },
            ]
          : []),
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
  }),
);
