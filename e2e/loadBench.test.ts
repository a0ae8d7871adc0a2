import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../sync-server/testing/redisServer';

/**
 * `npm run bench:load` as CI runs it: a small load against one instance, two instances with
 * PostgreSQL and Redis, and the bare relay, in one run. Its figures mean nothing on a machine
 * busy with the rest of the suite (speed is judged from the full run in docs/BENCHMARKS.md);
 * what this checks is that the bench runs, that every server is measured, and that every
 * check-in reached every dashboard of its site, across instances too.
 */
const databaseUrl = process.env.DATABASE_URL ?? '';
const run = promisify(execFile);

describe.runIf(databaseUrl !== '')('the load benchmark', () => {
  let redis: TestRedis | null = null;

  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);

  afterAll(async () => {
    await redis?.close();
  });

  it('measures one instance, two instances with Redis and the bare relay, and loses no check-in', async () => {
    const args = ['--quick', '--kiosks', '4', '--dashboards', '4', '--sites', '2'];
    args.push('--seconds', '3', '--seed', '200', '--no-wait');
    args.push('--servers', 'headcount,cluster,relay');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/load/run.ts', ...args],
      {
        env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_REDIS_URL: redis?.url },
        timeout: 400_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const rows = stdout.split('\n').filter((line) => line.startsWith('| '));
    for (const server of ['Headcount', 'Headcount ×2 + Redis', 'bare relay'])
      expect(rows.some((row) => row.startsWith(`| ${server} |`))).toBe(true);
    expect(rows.some((row) => row.startsWith('| Headcount ×2 + Redis / Headcount |'))).toBe(true);
    expect(stdout).toContain(
      'Every check-in reached every dashboard of its site; no connection closed.',
    );
  }, 420_000);
});
