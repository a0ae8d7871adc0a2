import { defineConfig } from 'vitest/config';

// One config serves the PWA build and Vitest. The build has two pages: the kiosk at /kiosk and
// the staff dashboard at /dashboard (the sync server maps those paths into dist/).
// CI_RESULTS, when set, is the path where Vitest also writes its JSON report: `.ci/run` reads the
// pass/fail counts from it, because CI does not parse Vitest's own summary.
const jsonReport = process.env.CI_RESULTS;

export default defineConfig({
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      input: { kiosk: 'kiosk/index.html', dashboard: 'kiosk/dashboard/index.html' },
    },
  },
  test: {
    include: ['{shared,kiosk,sync-server,e2e}/**/*.test.ts'],
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
