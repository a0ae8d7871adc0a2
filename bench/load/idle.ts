/**
 * Memory per idle connection (`npm run bench:load -- --idle N`): N authenticated clients, each
 * with its own websocket, on the server's site document without awareness (as a tablet between
 * check-ins: connected, saying nothing). The server's RSS with all of them connected, less its
 * RSS before, per connection. Headcount lets a device hold 8 sockets (SocketGate), so N / 8
 * kiosks are paired and each token is used 8 times.
 */
import { siteDocName } from '../../shared/docName';
import { SOCKET_LIMITS } from '../../sync-server/SocketGate';
import { sleep } from '../versionServers';
import { ClientPool } from './clientPool';
import type { LoadOptions } from './options';
import { statusMiB } from './processProbe';
import { waitForQuietMachine } from './quietMachine';
import { type ServerKind, startServer } from './servers';

/** Time for the server's memory to settle before each reading, ms. */
const SETTLE_MS = 5_000;

export interface IdleResult {
  readonly kind: ServerKind;
  readonly clients: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  readonly connectS: number;
}

export async function runIdle(
  kind: ServerKind,
  options: LoadOptions,
  count: number,
  log: (line: string) => void,
): Promise<IdleResult> {
  if (options.waitForQuiet) await waitForQuietMachine(log);
  const perDevice = SOCKET_LIMITS.maxPerDevice;
  // One site, one dashboard (unused), N / 8 kiosks; the socket limit per address is raised
  // from the kiosks and dashboards asked for (servers.ts), so it is asked for all N.
  const server = await startServer(kind, {
    ...options,
    sites: 1,
    kiosks: Math.ceil(count / perDevice),
    dashboards: 1,
  });
  const pool = ClientPool.start(options.processes);
  try {
    const kiosks = server.sites[0]?.kiosks ?? [];
    const tokens = Array.from(
      { length: count },
      (_, i) => (kiosks[Math.floor(i / perDevice)] ?? kiosks[0])?.token as string,
    );
    await sleep(SETTLE_MS);
    const rssBeforeMiB = statusMiB(server.pid(), 'VmRSS');
    const share = Math.ceil(count / pool.size);
    const started = performance.now();
    await pool.step(
      Array.from({ length: pool.size }, (_, p) => ({
        type: 'idle' as const,
        ws: server.ws,
        docName: siteDocName(server.sites[0]?.siteId as string),
        tokens: tokens.slice(p * share, (p + 1) * share),
        batch: Math.min(50, Math.floor(100 / pool.size)),
      })),
      'connected',
      900_000,
    );
    const connectS = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);
    const rssAfterMiB = statusMiB(server.pid(), 'VmRSS');
    log(
      `    ${count} idle clients connected in ${connectS.toFixed(1)} s; server RSS ${rssBeforeMiB.toFixed(0)} → ${rssAfterMiB.toFixed(0)} MiB`,
    );
    return { kind, clients: count, rssBeforeMiB, rssAfterMiB, connectS };
  } finally {
    await pool.close();
    await server.stop();
  }
}
