import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../sync-server/testing/testServer';
import { memoryStore } from './KeyValueStore';
import { ServerClock, serverTimeFrom } from './ServerClock';

let t: TestServer;
let base: string;
beforeAll(async () => {
  t = await startTestServer();
  base = t.wsUrl.replace('ws', 'http');
});
afterAll(() => t.close());

describe('ServerClock', () => {
  it('[T1] records device time, untrusted, until it has reached the server', () => {
    const clock = new ServerClock(memoryStore(), () => 1_000);
    expect(clock.now()).toEqual({ at: 1_000, trusted: false });
  });

  it('[T1] corrects a tablet clock that is an hour fast, against the real server', async () => {
    const hourFast = () => Date.now() + 3_600_000;
    const clock = new ServerClock(memoryStore(), hourFast);
    const sample = await clock.sync(serverTimeFrom(base));
    expect(Math.abs(sample.offsetMs + 3_600_000)).toBeLessThan(1_000);
    const { at, trusted } = clock.now();
    expect(trusted).toBe(true);
    expect(Math.abs(at - Date.now())).toBeLessThan(1_000);
  });

  it('[T1] keeps the offset across a reload, so a kiosk starting offline still corrects', async () => {
    const store = memoryStore();
    const fast = () => Date.now() + 120_000;
    await new ServerClock(store, fast).sync(serverTimeFrom(base));
    const reloaded = new ServerClock(store, fast);
    expect(reloaded.now().trusted).toBe(true);
    expect(Math.abs(reloaded.now().at - Date.now())).toBeLessThan(1_000);
  });
});
