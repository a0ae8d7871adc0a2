import { defineConfig } from 'vitest/config';

// One config serves the PWA build (kiosk and dashboard, later issues) and Vitest.
// CI_RESULTS, when set, is the path where Vitest also writes its JSON report: `.ci/run`
// reads the pass/fail counts from it, because CI does not parse Vitest's own summary.
const jsonReport = process.env.CI_RESULTS;

export default defineConfig({
  test: {
    include: ['{shared,kiosk,sync-server,e2e}/**/*.test.ts'],
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
