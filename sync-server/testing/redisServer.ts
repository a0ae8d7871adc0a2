import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './testServer';

/**
 * A redis-server of the test's own on a free port (`apt-get install redis-server`), kept in
 * memory only, that the test can stop and start again on the same port (an outage).
 */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills it (SIGKILL: connections drop as in a crash); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty; resolves once it accepts connections. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** How long redis-server may take to accept connections, ms (it takes a few here). */
const START_TIMEOUT_MS = 5_000;

function run(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start on ${port}: ${output.slice(-300)}`));
    }, START_TIMEOUT_MS);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new Error('these tests need redis-server (apt-get install redis-server)')
          : error,
      );
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output.slice(-300)}`));
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | null = await run(port);
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    async start() {
      child = await run(port);
    },
    close: stop,
  };
}
