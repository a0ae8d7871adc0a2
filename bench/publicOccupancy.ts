/**
 * The public "how busy" answer under a flood (`npm run bench -- --public`, SPEC [P3]): this
 * working tree's server as its own process, a site with its page on and a day of check-ins in
 * the record, then N keep-alive Node clients send requests back to back for a few seconds, each
 * in turn at the JSON answer, at the HTML page and at `/api/time` on the same server (the
 * cheapest route there is: the baseline). Rounds alternate the three. Counted: answers per
 * second, latency quantiles, server CPU per answer (/proc), errors, and how many times the
 * server computed the public answer meanwhile (its `/metrics` counter): the point of the cache
 * is that this stays at one per 5 s however many ask.
 */
import { Agent, request as httpRequest } from 'node:http';
import { checkinsDocName, siteDocName } from '../shared/docName';
import { localDayOf } from '../shared/localTime';
import { writeSettings } from '../shared/siteDoc';
import { connect, kioskCheckIn } from '../sync-server/testing/testServer';
import { quantile } from './serverUpdates';
import { cpuMsOf, repo, SITE, sleep, startVersion, waitFor, ZONE } from './versionServers';

const METRICS_TOKEN = 'bench-metrics-token-0123456789';

export interface PublicBenchOptions {
  /** Concurrent keep-alive clients. Default 16 (as the HTTP edge bench). */
  readonly clients?: number;
  /** Measured seconds per endpoint per round. Default 5. */
  readonly seconds?: number;
  /** Rounds; each measures every endpoint once. Default 2. */
  readonly rounds?: number;
  /** Members checked in today before measuring (all still in). Default 300. */
  readonly visits?: number;
  readonly log?: (line: string) => void;
}

export interface EndpointLoad {
  readonly path: string;
  readonly round: number;
  readonly answers: number;
  readonly seconds: number;
  readonly errors: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Server CPU (user + system) per answer, µs. */
  readonly cpuUs: number;
  /** Times the server computed the public answer during the measured seconds. */
  readonly computations: number;
  readonly bodyBytes: number;
}

export interface PublicBenchResult {
  readonly clients: number;
  readonly visits: number;
  readonly loads: EndpointLoad[];
}

function get(agent: Agent, port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function computations(http: string): Promise<number> {
  const text = await (
    await fetch(`${http}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('headcount_public_occupancy_computations_total '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

export async function measurePublicOccupancy(
  options: PublicBenchOptions = {},
): Promise<PublicBenchResult> {
  const clients = options.clients ?? 16;
  const seconds = options.seconds ?? 5;
  const rounds = options.rounds ?? 2;
  const visits = options.visits ?? 300;
  const log = options.log ?? (() => {});
  const server = await startVersion(repo, { kiosks: 1, env: { METRICS_TOKEN } });
  const open: { destroy(): void }[] = [];
  try {
    const json = `/api/public/sites/${SITE}/occupancy`;
    const site = connect({ wsUrl: server.ws }, siteDocName(SITE), server.staffToken);
    open.push(site);
    await site.outcome;
    writeSettings(site.doc, { capacity: visits * 2, publicOccupancy: 'count' });
    const kiosk = server.kiosks[0] as { deviceId: string; token: string };
    const today = localDayOf(Date.now(), ZONE);
    const door = connect({ wsUrl: server.ws }, checkinsDocName(SITE, today), kiosk.token);
    open.push(door);
    await door.outcome;
    for (let i = 0; i < visits; i++) kioskCheckIn(door.doc, kiosk.deviceId, `M${i}`);
    log(`public bench: ${visits} check-ins written; waiting for the record`);
    await waitFor(
      async () => {
        const answer = await fetch(`${server.http}${json}`);
        return answer.ok && ((await answer.json()) as { count: number }).count === visits;
      },
      'the check-ins in the public answer',
      60_000,
    );
    const agent = new Agent({ keepAlive: true, maxSockets: clients });
    const pid = server.child.pid as number;
    const loads: EndpointLoad[] = [];
    const hammer = async (
      path: string,
      ms: number,
      onAnswer: (ok: boolean, us: number) => void,
    ) => {
      const until = performance.now() + ms;
      let bytes = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (performance.now() < until) {
            const t0 = performance.now();
            const answer = await get(agent, server.port, path).catch(() => null);
            bytes = answer?.bytes ?? bytes;
            onAnswer(answer?.status === 200, (performance.now() - t0) * 1000);
          }
        }),
      );
      return bytes;
    };
    for (let round = 1; round <= rounds; round++) {
      for (const path of [json, `/busy/${SITE}`, '/api/time']) {
        // A second of the same load first: sockets open, the route hot.
        await hammer(path, 1000, () => {});
        const computedBefore = await computations(server.http);
        const cpu = cpuMsOf(pid);
        const from = performance.now();
        const us: number[] = [];
        let errors = 0;
        const bodyBytes = await hammer(path, seconds * 1000, (ok, took) => {
          if (ok) us.push(took);
          else errors++;
        });
        const elapsed = (performance.now() - from) / 1000;
        const cpuMs = cpuMsOf(pid) - cpu;
        const computed = (await computations(server.http)) - computedBefore;
        loads.push({
          path,
          round,
          answers: us.length,
          seconds: elapsed,
          errors,
          p50Us: quantile(us, 0.5),
          p99Us: quantile(us, 0.99),
          cpuUs: (cpuMs * 1000) / Math.max(1, us.length),
          computations: computed,
          bodyBytes,
        });
        log(`public bench: round ${round} ${path}: ${Math.round(us.length / elapsed)} answers/s`);
        await sleep(200);
      }
    }
    agent.destroy();
    return { clients, visits, loads };
  } finally {
    for (const client of open) client.destroy();
    await server.stop();
  }
}

export function printPublicOccupancy(print: (line?: string) => void, r: PublicBenchResult): void {
  print(
    `${r.clients} keep-alive Node clients in one process on the same machine as the server (its own process), each sending its next request when the last is answered; the site has ${r.visits} members in (from the record), its page set to show the count.`,
  );
  print();
  print(
    '| round | path | answers/s | p50 | p99 | server CPU per answer | errors | computations | body |',
  );
  print('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const l of r.loads) {
    print(
      `| ${l.round} | \`${l.path}\` | ${Math.round(l.answers / l.seconds).toLocaleString('en')} | ${(l.p50Us / 1000).toFixed(2)} ms | ${(l.p99Us / 1000).toFixed(2)} ms | ${Math.round(l.cpuUs)} µs | ${l.errors} | ${l.computations} in ${l.seconds.toFixed(1)} s | ${l.bodyBytes} B |`,
    );
  }
  print();
}
