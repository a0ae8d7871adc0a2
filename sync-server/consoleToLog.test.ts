import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LogSampler } from './consoleToLog';
import { databaseEnv } from './testing/testDatabase';
import { freePort, startTestServer, TEST_METRICS_TOKEN, until } from './testing/testServer';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('LogSampler', () => {
  it('lets 60 lines a minute through per key and reports what it held back', () => {
    const sampler = new LogSampler(60);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (sampler.allow('frames', () => {}, 1_000)) allowed++;
    expect(allowed).toBe(60);
    expect(sampler.allow('other', () => {}, 1_000)).toBe(true);
    const held: number[] = [];
    expect(sampler.allow('frames', (n) => held.push(n), 62_000)).toBe(true);
    expect(held).toEqual([40]);
  });
});

describe('the server process log', () => {
  it('writes malformed frames from a flood of sockets as sampled JSON lines, never stack traces', async () => {
    const setup = await startTestServer();
    await setup.close();
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: setup.dir,
        SITE_ID: 'riverside',
        SITE_TIME_ZONE: 'Europe/Amsterdam',
        METRICS_TOKEN: TEST_METRICS_TOKEN,
        LOG_LEVEL: 'info',
        ...databaseEnv(setup.dir),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      err += chunk;
    });
    await until(() => out.includes('Headcount is running'), 'the server to start', 20_000);

    // 150 sockets, each sending garbage and a truncated message: a client's mistakes.
    const name = 'checkins/riverside/2026-03-10';
    const frames = [
      new Uint8Array([255, 255, 255, 255, 255, 1, 2, 3]),
      new Uint8Array([name.length, ...Buffer.from(name), 2]),
    ];
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          return new Promise<void>((resolve) => {
            const socket = new WebSocket(`ws://127.0.0.1:${port}`);
            socket.on('open', () => socket.send(frames[i % 2] as Uint8Array));
            socket.on('close', () => resolve());
            socket.on('error', () => resolve());
            setTimeout(() => socket.terminate(), 3_000);
          });
        }),
      );
    }
    const metrics = async () =>
      (
        await fetch(`http://127.0.0.1:${port}/metrics`, {
          headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
        })
      ).text();
    await until(
      async () => /headcount_log_lines_held_back_total [1-9]/.test(await metrics()),
      'lines to be held back',
    );
    const lines = out.split('\n').filter((line) => line.startsWith('{'));
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(`${out}${err}`).not.toMatch(/^\s+at /m);
    const byMessage = new Map<string, number>();
    for (const line of lines) {
      const msg = String(JSON.parse(line).msg).replace(/[0-9a-f-]{8,}|\d+/gi, '#');
      byMessage.set(msg, (byMessage.get(msg) ?? 0) + 1);
    }
    for (const [msg, count] of byMessage) expect(count, msg).toBeLessThanOrEqual(60);
    expect(err).toBe('');
  }, 60_000);
});
