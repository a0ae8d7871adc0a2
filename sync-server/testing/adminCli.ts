import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { databaseEnv } from './testDatabase';

const run = promisify(execFile);

/** Runs the admin CLI as a user would, with the password on standard input. */
export async function admin(
  dir: string,
  args: string[],
  password = '',
): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = run(process.execPath, ['--import', 'tsx', 'sync-server/cli.ts', ...args], {
    env: {
      ...process.env,
      DATA_DIR: dir,
      SITE_ID: 'riverside',
      SITE_TIME_ZONE: 'Europe/Amsterdam',
      // The server's database: its PostgreSQL schema, or (none set) SQLite in `dir`.
      DATABASE_URL: '',
      ...databaseEnv(dir),
    },
  });
  child.child.stdin?.end(`${password}\n`);
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}
