/**
 * A client process of the load benchmark (forked by `clientPool.ts`): the kiosks and dashboards
 * of some sites, driven over IPC (`protocol.ts`). Kiosks write check-ins on a fixed schedule;
 * dashboards watch their document as the dashboard does (`watchEntries`), and the tracker times
 * each check-in until every dashboard of its site has it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { recordEvent, watchEntries } from '../../shared/checkinsDoc';
import { eventIdFromBytes, newEventId } from '../../shared/eventId';
import type { LocalDay } from '../../shared/localTime';
import { sleep } from '../versionServers';
import { type Client, connectClient, connectInBatches } from './clients';
import { LatencyTracker } from './latencyTracker';
import type { FromClients, SitePlan, ToClients } from './protocol';

/** The seeded site is always site 0 (`servers.ts`). */
const SEEDED_SITE = 0;

interface Kiosk {
  readonly client: Client;
  readonly deviceId: string;
  readonly site: number;
}

const send = (message: FromClients) => process.send?.(message);
// Parent gone (Ctrl-C, a crash): nothing left to do; the sockets close with the process.
process.on('disconnect', () => process.exit(0));

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let clients: Client[] = [];
let kiosks: Kiosk[] = [];
let tracker: LatencyTracker | null = null;
let maxLateMs = 0;

async function connect(
  ws: string,
  dashboardWs: string,
  day: LocalDay,
  sites: SitePlan[],
  batch: number,
): Promise<void> {
  const started = performance.now();
  tracker = new LatencyTracker(
    new Map(sites.map((site) => [site.index, site.dashboards.length])),
    SEEDED_SITE,
  );
  const track = tracker;
  // Kiosks interleaved by site, so that writing them in turn spreads the load evenly over sites.
  const kioskPlans: { site: SitePlan; deviceId: string; token: string }[] = [];
  const most = Math.max(...sites.map((site) => site.kiosks.length));
  for (let k = 0; k < most; k++)
    for (const site of sites) {
      const kiosk = site.kiosks[k];
      if (kiosk) kioskPlans.push({ site, ...kiosk });
    }
  const dashboards = sites.flatMap((site) =>
    site.dashboards.map((token) => () => {
      const client = connectClient(dashboardWs, site.docName, token);
      watchEntries(client.doc, day, (added) => {
        const now = performance.now();
        for (const entry of added) {
          const id = eventIdFromBytes((entry.value as unknown[] | undefined)?.[1]);
          if (id !== null) track.seen(id, now);
        }
      });
      return client;
    }),
  );
  const kioskMakers = kioskPlans.map(
    (plan) => () => connectClient(ws, plan.site.docName, plan.token),
  );
  clients = await connectInBatches([...dashboards, ...kioskMakers], batch);
  kiosks = kioskPlans.map((plan, i) => ({
    client: clients[dashboards.length + i] as Client,
    deviceId: plan.deviceId,
    site: plan.site.index,
  }));
  send({ type: 'connected', clients: clients.length, ms: performance.now() - started });
}

let member = 0;
/** Bytes of every client's socket when the current load started. */
let bytesAtLoad = 0;
const wireBytes = () => clients.reduce((n, client) => n + client.wireBytes(), 0);

/** Since `watch`: which clients have closed, and when each synced again (Date.now()). */
let closedSince = new Set<Client>();
let resyncedAt = new Map<Client, number>();

function watch(): void {
  closedSince = new Set();
  resyncedAt = new Map();
  for (const client of clients) {
    const onClose = () => closedSince.add(client);
    const onSynced = () => {
      if (!closedSince.has(client) || resyncedAt.has(client)) return;
      resyncedAt.set(client, Date.now());
      client.provider.off('close', onClose);
      client.provider.off('synced', onSynced);
    };
    client.provider.on('close', onClose);
    client.provider.on('synced', onSynced);
  }
  send({ type: 'watching' });
}

/**
 * Waits until every client whose connection closed has synced again (asked once the server is
 * back: by then a killed server's sockets have all closed; those on another instance did not).
 */
async function resync(timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (resyncedAt.size < closedSince.size && performance.now() < deadline) await sleep(20);
  send({
    type: 'resynced',
    lastAt: Math.max(0, ...resyncedAt.values()),
    dropped: closedSince.size,
    missing: closedSince.size - resyncedAt.size,
  });
}

function write(kiosk: Kiosk): void {
  const at = Date.now();
  const id = newEventId(at);
  tracker?.wrote(id, kiosk.site, performance.now());
  recordEvent(
    kiosk.client.doc,
    { role: 'kiosk', id: kiosk.deviceId },
    { kind: 'checkIn', memberId: `M${++member}` },
    { id, at, clockTrusted: true, method: 'qr' },
  );
}

/** Writes on a fixed schedule from the start (late writes are not made up by bunching less). */
async function load(rate: number, seconds: number, measured: boolean): Promise<void> {
  tracker?.reset();
  maxLateMs = 0;
  bytesAtLoad = wireBytes();
  if (measured) loop.reset();
  const count = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    if (due > performance.now()) await sleep(due - performance.now());
    // Timers fire late when this process is busy: how late says whether it kept up.
    maxLateMs = Math.max(maxLateMs, performance.now() - due);
    write(kiosks[i % kiosks.length] as Kiosk);
  }
  send({ type: 'loaded', written: count });
}

async function finish(drainMs: number): Promise<void> {
  const track = tracker as LatencyTracker;
  const deadline = performance.now() + drainMs;
  while (track.outstanding > 0 && performance.now() < deadline) await sleep(20);
  const { latencies, seededLatencies, written } = track;
  const loopMaxMs = loop.count > 0 ? loop.max / 1e6 : 0;
  const { lost } = track.reset();
  send({
    type: 'finished',
    result: {
      written,
      latencies,
      seededLatencies,
      lost,
      closes: clients.reduce((n, client) => n + client.closes(), 0),
      loopMaxMs,
      maxLateMs,
      wireBytes: wireBytes() - bytesAtLoad,
    },
  });
}

process.on('message', (message: ToClients) => {
  const run = async () => {
    switch (message.type) {
      case 'connect':
        return connect(message.ws, message.dashboardWs, message.day, message.sites, message.batch);
      case 'load':
        return load(message.rate, message.seconds, message.measured);
      case 'finish':
        return finish(message.drainMs);
      case 'idle': {
        const started = performance.now();
        clients = await connectInBatches(
          message.tokens.map(
            (token) => () => connectClient(message.ws, message.docName, token, undefined, true),
          ),
          message.batch,
        );
        send({ type: 'connected', clients: clients.length, ms: performance.now() - started });
        return;
      }
      case 'watch':
        return watch();
      case 'resync':
        return resync(message.timeoutMs);
      case 'close':
        for (const client of clients) client.destroy();
        process.disconnect();
        return;
    }
  };
  run().catch((error: Error) => send({ type: 'failed', message: error.stack ?? error.message }));
});
