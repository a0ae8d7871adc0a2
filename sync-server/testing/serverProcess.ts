import { type ChildProcess, spawn } from 'node:child_process';
import { databaseEnv } from './testDatabase';
import { SITE, until, ZONE } from './testServer';

/**
 * A real server process (`sync-server/main.ts`) on `port` with `dataDir` and this run's database,
 * ready when it resolves; pushed to `children` so the test file can kill what it started.
 */
export async function startServerProcess(
  dataDir: string,
  port: number,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SITE_ID: SITE,
      SITE_TIME_ZONE: ZONE,
      LOG_LEVEL: 'silent',
      ...databaseEnv(dataDir),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  await until(
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
      } catch {
        return false;
      }
    },
    'the server process to be ready',
    30_000,
  );
  return child;
}
