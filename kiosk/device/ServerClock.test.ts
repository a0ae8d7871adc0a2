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
    const clock = new ServerClock(
      memoryStore(),
      () => 1_000,
      () => 0,
    );
    expect(clock.now()).toMatchObject({ at: 1_000, deviceTime: 1_000, trusted: false });
  });

  it('[T1] corrects a tablet clock that is an hour fast, against the real server', async () => {
    const hourFast = () => Date.now() + 3_600_000;
    const clock = new ServerClock(memoryStore(), hourFast);
    const { sample } = await clock.sync(serverTimeFrom(base));
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

  /** A device whose wall clock the test sets, beside a monotonic clock that only runs. */
  function tablet(store = memoryStore()) {
    const device = { wall: Date.now(), mono: 0, store };
    const clock = new ServerClock(
      store,
      () => device.wall,
      () => device.mono,
    );
    const run = (ms: number) => {
      device.wall += ms;
      device.mono += ms;
    };
    return { device, clock, run };
  }

  it('[T5] starts an untrusted segment when the wall clock jumps 3 h while running, and the measure names the day to correct', async () => {
    const { device, clock, run } = tablet();
    const start = device.wall;
    // The server's clock runs with the monotonic one: the truth, whatever the wall clock says.
    const serverTime = async () => start + device.mono;
    await clock.sync(serverTime);
    const before = clock.now();
    expect(before).toMatchObject({ trusted: true });
    expect(before.segment).toBeUndefined();

    let jumps = 0;
    clock.onJump(() => jumps++);
    run(60_000);
    device.wall += 3 * 3_600_000;
    const reading = clock.now();
    expect(jumps).toBe(1);
    expect(reading.trusted).toBe(false);
    expect(reading.segment).toMatch(/^[\w-]{12}$/);
    clock.noteRecorded(reading, '2026-03-10');

    const { correction, sample } = await clock.sync(serverTime);
    expect(sample.offsetMs).toBe(-3 * 3_600_000);
    expect(correction).toEqual({ segment: reading.segment, days: ['2026-03-10'] });
    // The clock entry states the offset: device time + offset is the true time of the scan.
    expect(reading.deviceTime + sample.offsetMs).toBe(before.at + 60_000);
    expect(clock.now()).toMatchObject({ trusted: true });
    expect(clock.now().segment).toBeUndefined();
  });

  it('[T5] asks for no clock entry after a reload whose stored offset still holds, and for one when it moved', async () => {
    const store = memoryStore();
    const first = tablet(store);
    await first.clock.sync(async () => first.device.wall);

    const held = tablet(store);
    const reading = held.clock.now();
    expect(reading).toMatchObject({ trusted: true });
    held.clock.noteRecorded(reading, '2026-03-10');
    expect((await held.clock.sync(async () => held.device.wall)).correction).toBeNull();

    const drifted = tablet(store);
    const guess = drifted.clock.now();
    drifted.clock.noteRecorded(guess, '2026-03-10');
    const { correction } = await drifted.clock.sync(async () => drifted.device.wall + 120_000);
    expect(correction?.days).toEqual(['2026-03-10']);
  });

  it('[T5] throws away a measure during which the clock jumped', async () => {
    const { device, clock } = tablet();
    await expect(
      clock.sync(async () => {
        device.wall += 3_600_000;
        return device.wall;
      }),
    ).rejects.toThrow(/jumped/);
    expect(clock.now().trusted).toBe(false);
  });

  it('[T5] a tablet that never reached the server records untrusted entries, and its first measure names their day', async () => {
    const { device, clock } = tablet();
    const reading = clock.now();
    expect(reading).toMatchObject({ trusted: false });
    clock.noteRecorded(reading, '2026-03-11');
    const { correction } = await clock.sync(async () => device.wall - 3 * 3_600_000);
    expect(correction).toEqual({ segment: reading.segment, days: ['2026-03-11'] });
  });

  it('[T5] sees no jump in a wall clock that drifts slowly while offline for hours', () => {
    const { device, clock } = tablet();
    let jumps = 0;
    clock.onJump(() => jumps++);
    // 0.5 ms a second (NTP's fastest slew) for 3 h, checked every 5 s as the keeper does.
    for (let i = 0; i < (3 * 3600) / 5; i++) {
      device.mono += 5_000;
      device.wall += 5_000 + 2.5;
      clock.checkForJump();
    }
    expect(jumps).toBe(0);
    device.wall += 3_000;
    expect(clock.checkForJump()).toBe(true);
  });

  it('[T5] does not use a measure whose best round trip took over 2 s', async () => {
    const { device, clock } = tablet();
    const slow = async () => {
      device.wall += 2_500;
      device.mono += 2_500;
      return device.wall;
    };
    await expect(clock.sync(slow)).rejects.toThrow(/too slow/);
    expect(clock.now().trusted).toBe(false);
  });
});
