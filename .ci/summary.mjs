// Prints the one line CI reads, "N passed, N failed", from Vitest's JSON report.
// Usage: node .ci/summary.mjs <report.json> <test exit status> <failed non-test steps>
import { existsSync, readFileSync } from 'node:fs';

const [report, testStatus = '1', failedSteps = '0'] = process.argv.slice(2);
let passed = 0;
let failed = Number(failedSteps);
if (report && existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  // Suites that crash before running any test do not count as failed tests in the report.
  failed += (json.testResults ?? []).filter(
    (r) => r.status === 'failed' && r.assertionResults?.length === 0,
  ).length;
  const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  if (skipped > 0) console.error(`CI: ${skipped} tests skipped (see the test output for why)`);
} else {
  console.error('CI: no test report was written');
}
if (Number(testStatus) !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
