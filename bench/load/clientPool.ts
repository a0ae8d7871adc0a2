/**
 * The load generator's processes, seen from the bench: `clientProcess.ts` forked `processes`
 * times (with tsx, like the servers), each given whole sites, and asked to do each step together.
 * Separate processes rather than worker threads: each has its own heap and GC, and its CPU time is
 * read from /proc like the servers'.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMsOf, repo, sleep } from '../versionServers';
import { disposable } from './cleanup';
import type { FromClients, SitePlan, ToClients } from './protocol';

const SCRIPT = fileURLToPath(new URL('./clientProcess.ts', import.meta.url));

type Reply<T extends FromClients['type']> = Extract<FromClients, { type: T }>;

export class ClientPool {
  private constructor(
    private readonly children: ChildProcess[],
    readonly close: () => Promise<void>,
  ) {}

  static start(processes: number): ClientPool {
    const children = Array.from({ length: processes }, () =>
      fork(SCRIPT, [], { cwd: repo, execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
    );
    const close = disposable(async () => {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          if (child.connected) child.send({ type: 'close' } satisfies ToClients);
          await Promise.race([exited, sleep(5_000)]);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        }),
      );
    });
    return new ClientPool(children, close);
  }

  get size(): number {
    return this.children.length;
  }

  /** CPU time of all client processes so far, ms. */
  cpuMs(): number {
    return this.children.reduce((sum, child) => sum + cpuMsOf(child.pid as number), 0);
  }

  /**
   * Sends each process its message and waits for every one's `expect` reply; a failure or an
   * exit in any of them fails the step.
   */
  async step<T extends FromClients['type']>(
    messages: ToClients[],
    expect: T,
    timeoutMs: number,
  ): Promise<Reply<T>[]> {
    return Promise.all(
      this.children.map(
        (child, i) =>
          new Promise<Reply<T>>((resolve, reject) => {
            const timer = setTimeout(() => {
              done();
              reject(new Error(`client process ${i}: no ${expect} within ${timeoutMs} ms`));
            }, timeoutMs);
            const onMessage = (message: FromClients) => {
              if (message.type === 'failed') {
                done();
                reject(new Error(`client process ${i}: ${message.message}`));
              } else if (message.type === expect) {
                done();
                resolve(message as Reply<T>);
              }
            };
            const onExit = () => {
              done();
              reject(new Error(`client process ${i} exited`));
            };
            const done = () => {
              clearTimeout(timer);
              child.off('message', onMessage);
              child.off('exit', onExit);
            };
            child.on('message', onMessage);
            child.on('exit', onExit);
            child.send(messages[i] as ToClients);
          }),
      ),
    );
  }

  /** Sites to processes in turn (site s to process s mod P), so each process times its own. */
  assign(sites: SitePlan[]): SitePlan[][] {
    return this.children.map((_, p) => sites.filter((site) => site.index % this.size === p));
  }

  /** The same step for every process. */
  all<T extends FromClients['type']>(
    message: ToClients,
    expect: T,
    timeoutMs: number,
  ): Promise<Reply<T>[]> {
    return this.step(
      this.children.map(() => message),
      expect,
      timeoutMs,
    );
  }
}
