import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readEntries } from '../shared/checkinsDoc';
import { checkinsDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import {
  type Client,
  connect,
  freePort,
  kioskCheckIn,
  pairKiosk,
  SITE,
  startTestServer,
  until,
  ZONE,
} from './testing/testServer';

/**
 * A real server process killed with SIGKILL in the middle of a burst of check-ins loses nothing
 * that kiosks still hold: after a restart with the same DATA_DIR they reconnect and re-sync.
 */
const today = localDayOf(Date.now(), ZONE);
const name = checkinsDocName(SITE, today);
const children: ChildProcess[] = [];
const clients: Client[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function startProcess(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SITE_ID: SITE,
      SITE_TIME_ZONE: ZONE,
      LOG_LEVEL: 'silent',
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
    20_000,
  );
  return child;
}

describe('crash safety', () => {
  it('ends with every event after kill -9 in the middle of a burst and a restart', async () => {
    // Prepare DATA_DIR in-process: a paired kiosk whose credential the tablet keeps.
    const setup = await startTestServer();
    const kiosk = await pairKiosk(setup);
    await setup.close();

    const port = await freePort();
    const first = await startProcess(setup.dir, port);
    const http = `http://127.0.0.1:${port}`;
    const token = async () => {
      const response = await fetch(`${http}/api/devices/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: kiosk.deviceId, deviceSecret: kiosk.deviceSecret }),
      });
      return ((await response.json()) as { accessToken: string }).accessToken;
    };
    const target = { wsUrl: `ws://127.0.0.1:${port}` };
    const tablet = connect(target, name, token);
    clients.push(tablet);
    expect((await tablet.outcome).ok).toBe(true);

    const total = 300;
    let written = 0;
    const burst = (async () => {
      for (; written < total; written++) {
        kioskCheckIn(tablet.doc, kiosk.deviceId, `M${written}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await until(() => written >= total / 2, 'half the burst');
    first.kill('SIGKILL');
    await burst;
    expect(readEntries(tablet.doc, today)).toHaveLength(total);

    await startProcess(setup.dir, port);
    const observer = connect(target, name, token, new Y.Doc());
    clients.push(observer);
    await observer.outcome;
    await until(
      () => readEntries(observer.doc, today).length === total,
      `the server to hold all ${total} events`,
      45_000,
    );
  }, 90_000);

  it('stores pending changes on SIGTERM before exiting', async () => {
    const setup = await startTestServer();
    const kiosk = await pairKiosk(setup);
    await setup.close();
    const port = await freePort();
    const child = await startProcess(setup.dir, port);
    const target = { wsUrl: `ws://127.0.0.1:${port}` };
    const tablet = connect(target, name, kiosk.token);
    clients.push(tablet);
    await tablet.outcome;
    for (let i = 0; i < 20; i++) {
      kioskCheckIn(tablet.doc, kiosk.deviceId, `M${i}`);
    }
    await until(() => !tablet.provider.hasUnsyncedChanges, 'the server to acknowledge the writes');
    // Well inside the 2 s store debounce: only the shutdown path can have stored them.
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    tablet.destroy();

    const after = await startTestServer({}, setup.dir);
    try {
      const stored = after.server.db.prepare('select count(*) as n from events').get() as {
        n: number;
      };
      expect(stored.n).toBe(20);
    } finally {
      await after.close();
    }
  }, 60_000);
});
