/**
 * `npx tsx bench/roster.ts [--members 50000] [--baseline 5000]` (or `npm run bench -- --roster`):
 * a chain's roster at 50 000 members ([D7], [M4]–[M6]), against the same measures at 5 000 in
 * the same run. Prints Markdown for docs/BENCHMARKS.md.
 *
 * Per size, a fresh server (in this process, SQLite, `startTestServer`) gets 10 sites and the
 * members through the import API (`POST /api/members/import`, MAX_IMPORT_BATCH rows a request,
 * as an admin): 70 % admitted at their home site only, spread over the sites; 20 % at every
 * site (`all`); 10 % at their home and one or two listed sites. A kiosk of the first site is
 * paired, and:
 *
 * - Server: a Node provider per roster document the kiosk reads (its site's 16 shards and the
 *   chain's 16) opens it cold — the server projects it from SQL — and the state of each
 *   (`Y.encodeStateAsUpdate` of the server's document) is what a kiosk downloads on first sync.
 *   For docs/research/chains.md §4, the same members in one document, and how long Node takes to
 *   apply each shard's state.
 * - Browser (Debian Chromium, a fresh persistent profile): the page `bench/rosterPage/` — the
 *   kiosk's own `RosterReplicas` (y-indexeddb + the Hocuspocus provider, 32 documents) with the
 *   site document on one socket, built with Vite. Measured: first sync (websocket bytes from CDP,
 *   time until every member is in and every document synced, IndexedDB bytes, JS heap after a
 *   GC against the same page with nothing started, long tasks), a reload with the socket
 *   pointed where nobody answers (the roster from IndexedDB only: time until usable), a reload
 *   online with the copy in place (what a kiosk downloads at each start), and 20 status changes
 *   through `PUT /api/members/:id` timed in the page until its roster holds them. Also each
 *   document's load cost in isolation (`shardCost` in the page), the longest transaction of one
 *   roster document during the loads, the sockets the server closed and the refusals it counted.
 *
 * Why not the built kiosk app: at 37764fb `RosterReplicas` opened `rosterDocNames(siteId)
 * .slice(0, 0)`, no roster document at all, so the app's kiosk held no members (76bc3d2 restored
 * it). The page's build undoes exactly that call if it is there (`REPLICAS_DISABLED`, reported in
 * the output) and nothing else. The page also reaches what the app's screen does not show: the
 * replicas' documents and timings, with the kiosk's screen and day documents left out.
 *
 * Bounded: every wait has a deadline, the samples are counted, everything is on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as decoding from 'lib0/decoding';
import { type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import type { Plugin } from 'vite';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { CHROMIUM_PATH, hasChromium } from '../e2e/browser';
import { MAX_IMPORT_BATCH, type MemberImportAnswer } from '../shared/apiProtocol';
import { admittedAt, type Member, type MemberStatus } from '../shared/member';
import { encodeRosterValue, ROSTER_MAP, readRosterDoc, rosterDocNames } from '../shared/rosterDoc';
import {
  metricsText,
  pairKiosk,
  SITE,
  staffToken,
  startTestServer,
  type TestServer,
  until,
  ZONE,
} from '../sync-server/testing/testServer';
import { type Percentiles, percentiles } from './percentiles';
import type { ChangeSample, RosterPageState, ShardCost, StorageFigures } from './rosterPage/main';

const here = dirname(fileURLToPath(import.meta.url));

/** The one line of `RosterReplicas` that, at 37764fb, leaves the kiosk without a roster. */
const REPLICAS_DISABLED = /rosterDocNames\(siteId\)\.slice\(0,\s*0\)/;

/** The chain's sites; the kiosk measured is at the first (the test server's own site). */
const SITES = [
  SITE,
  'hilltop',
  'harbour',
  'old-town',
  'station',
  'university',
  'north-park',
  'east-gate',
  'lakeside',
  'westfield',
];

/** Status changes timed per size. */
const STATUS_SAMPLES = 20;

const FIRST = [
  'Emma',
  'Noah',
  'Sophie',
  'Liam',
  'Julia',
  'Lucas',
  'Mila',
  'Daan',
  'Tess',
  'Sem',
  'Anna',
  'Finn',
  'Sara',
  'Levi',
  'Eva',
  'Milan',
  'Lotte',
  'Bram',
  'Zoë',
  'Jesse',
  'Fatima',
  'Mohammed',
  'Yasmin',
  'Omar',
  'Aylin',
  'Emre',
  'Priya',
  'Arjun',
  'Mei',
  'Wei',
  'Olivia',
  'James',
  'Charlotte',
  'Oliver',
  'Amelia',
  'Harry',
  'Isla',
  'George',
  'Ava',
  'Jack',
  'Chloé',
  'Léa',
  'Hugo',
  'Louis',
  'María',
  'Pablo',
  'Lucía',
  'Mateo',
  'Giulia',
  'Marco',
  'Katarzyna',
  'Piotr',
  'Ingrid',
  'Lars',
  'Sanne',
  'Thijs',
  'Femke',
  'Ruben',
  'Nina',
  'Max',
];
const LAST = [
  'de Jong',
  'Jansen',
  'de Vries',
  'van den Berg',
  'van Dijk',
  'Bakker',
  'Janssen',
  'Visser',
  'Smit',
  'Meijer',
  'de Boer',
  'Mulder',
  'de Groot',
  'Bos',
  'Vos',
  'Peters',
  'Hendriks',
  'van Leeuwen',
  'Dekker',
  'Brouwer',
  'de Wit',
  'Dijkstra',
  'Smits',
  'de Graaf',
  'van der Meer',
  'Yılmaz',
  'Kaya',
  'El Amrani',
  'Benali',
  'Nguyen',
  'Wang',
  'Patel',
  'Sharma',
  'Kowalski',
  'Nowak',
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Taylor',
  'Wilson',
  'Evans',
  'Thomas',
  'García',
  'Martínez',
  'López',
  'Rossi',
  'Russo',
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Dubois',
  'Martin',
  'Bernard',
  'Lefèvre',
  'Andersen',
  'Nielsen',
  "O'Brien",
  'Murphy',
];

/** A deterministic generator (mulberry32): the same chain every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` members of a chain of `SITES`: 70 % home only (spread evenly over the sites), 20 %
 * every site, 10 % their home and one or two listed sites. Each has a card barcode, three in ten
 * a QR code too; one in ten frozen or expired; half with a last valid day.
 */
export function chainMembers(count: number, seed = 12): Member[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const homeSite = SITES[i % SITES.length] as string;
    const roll = next();
    let access: Member['access'] = 'home';
    if (roll >= 0.8) access = 'all';
    else if (roll >= 0.7) {
      const others = SITES.filter((site) => site !== homeSite);
      const listed = new Set<string>();
      const wanted = next() < 0.5 ? 1 : 2;
      while (listed.size < wanted) listed.add(pick(others));
      access = [...listed];
    }
    const codes = [`2${String(10_000_000_000 + i * 37).padStart(12, '0')}`];
    if (next() < 0.3)
      codes.push(`HC-${(Math.imul(i + 1, 2654435761) >>> 0).toString(36)}-${i.toString(36)}`);
    const status: MemberStatus = next() < 0.9 ? 'active' : next() < 0.6 ? 'frozen' : 'expired';
    const validUntil =
      next() < 0.5
        ? null
        : `2027-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`;
    return {
      id: String(1_000_000 + i),
      name: `${pick(FIRST)} ${pick(LAST)}`,
      codes,
      status,
      validUntil,
      homeSite,
      access,
    };
  });
}

export interface RosterRun {
  readonly members: number;
  /** Members the measured kiosk's site admits: what its 32 documents list. */
  readonly kioskMembers: number;
  readonly import: { totalMs: number; batches: number; slowestBatchMs: number };
  readonly server: {
    /** From connecting a provider to each of the 32 documents until all synced (cold). */
    readonly coldOpenMs: number;
    readonly docs: { name: string; members: number; bytes: number; nodeApplyMs: number }[];
    /** Sum of the 32 states, and gzip of each summed. */
    readonly bytes: number;
    readonly gzipBytes: number;
    /** The chain's every member in one document, the layout of docs/research/chains.md §4. */
    readonly oneDocBytes: number;
    readonly oneDocApplyMs: number;
  };
  readonly browser: BrowserFigures | null;
  /** The server's refusals over the run (`headcount_auth_refusals_total`), by reason. */
  readonly refusals: Record<string, number>;
}

interface Wire {
  readonly rosterBytes: number;
  readonly otherBytes: number;
  readonly frames: number;
  readonly sentBytes: number;
  /** `Sec-WebSocket-Extensions` of the handshake answer, or null. */
  readonly extensions: string | null;
}

interface BrowserFigures {
  /** `Browser.getVersion`'s product, e.g. Chrome/156.0…. */
  readonly chromium: string;
  readonly first: {
    readonly state: RosterPageState;
    readonly wire: Wire;
    readonly longestTask: number;
    readonly heapUsed: number;
    readonly heapBaseline: number;
    /** Each document's load cost on the main thread, without IndexedDB (`shardCost`). */
    readonly shards: ShardCost[];
  };
  readonly storage: StorageFigures & { readonly disk: number };
  readonly offline: {
    readonly state: RosterPageState;
    readonly longestTask: number;
    readonly heapUsed: number;
  };
  readonly restart: { readonly state: RosterPageState; readonly wire: Wire };
  readonly change: {
    /** The first change after the page started (not in the percentiles). */
    readonly first: ChangeSample;
    readonly responded: Percentiles;
    readonly arrived: Percentiles;
    readonly applied: Percentiles;
    readonly heard: Percentiles;
  };
}

/** Builds the bench page into `<distDir>/bench-roster/`; says whether it undid the `slice`. */
async function buildPage(distDir: string): Promise<{ undidSlice: boolean }> {
  const { build } = await import('vite');
  let undidSlice = false;
  const undo: Plugin = {
    name: 'bench-roster-replicas',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('/kiosk/sync/RosterReplicas.ts') || !REPLICAS_DISABLED.test(code)) return;
      undidSlice = true;
      return code.replace(REPLICAS_DISABLED, 'rosterDocNames(siteId)');
    },
  };
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: false,
      root: join(here, 'rosterPage'),
      base: '/bench-roster/',
      logLevel: 'silent',
      mode: 'production',
      plugins: [undo],
      // Unminified when profiling, so the profile names the functions.
      build: {
        outDir: join(distDir, 'bench-roster'),
        emptyOutDir: true,
        minify: !process.env.ROSTER_PROFILE,
      },
    });
  } finally {
    process.env.NODE_ENV = previous;
  }
  return { undidSlice };
}

/** Watches the page's websocket frames through CDP, summed by document. */
class WireCounter {
  private roster = 0;
  private other = 0;
  private frames = 0;
  private sent = 0;
  private extensions: string | null = null;

  constructor(cdp: CDPSession) {
    cdp.on('Network.webSocketFrameReceived', ({ response }) => {
      const bytes = frameBytes(response.opcode, response.payloadData);
      this.frames++;
      const name = bytes ? documentOf(bytes) : null;
      if (name?.startsWith('roster/') || name?.startsWith('chain-roster/'))
        this.roster += bytes?.length ?? 0;
      else this.other += bytes?.length ?? response.payloadData.length;
    });
    cdp.on('Network.webSocketFrameSent', ({ response }) => {
      this.sent += frameBytes(response.opcode, response.payloadData)?.length ?? 0;
    });
    cdp.on('Network.webSocketHandshakeResponseReceived', ({ response }) => {
      const headers = Object.entries(response.headers as Record<string, string>);
      this.extensions =
        headers.find(([key]) => key.toLowerCase() === 'sec-websocket-extensions')?.[1] ?? null;
    });
  }

  reset(): void {
    this.roster = 0;
    this.other = 0;
    this.frames = 0;
    this.sent = 0;
  }

  read(): Wire {
    return {
      rosterBytes: this.roster,
      otherBytes: this.other,
      frames: this.frames,
      sentBytes: this.sent,
      extensions: this.extensions,
    };
  }
}

/** CDP hands binary frames over in base64 (opcode 2), text as is. */
function frameBytes(opcode: number, payload: string): Uint8Array | null {
  if (opcode === 2) return Buffer.from(payload, 'base64');
  if (opcode === 1) return Buffer.from(payload, 'utf8');
  return null;
}

function documentOf(bytes: Uint8Array): string | null {
  try {
    return decoding.readVarString(decoding.createDecoder(bytes));
  } catch {
    return null;
  }
}

/** What the bench's init script keeps on `window`. */
interface Probe {
  benchLongTasks: { start: number; duration: number }[];
  benchReady?: boolean;
  benchState?: RosterPageState;
  benchStatusChange: (member: Member) => Promise<ChangeSample>;
  benchStorage: () => Promise<StorageFigures>;
  benchClose?: () => Promise<void>;
  benchShardCost: () => ShardCost[];
}

async function heapUsed(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

function diskBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return 0;
  }
}

/**
 * With ROSTER_PROFILE set (one-off diagnosis, not part of the figures): a CPU profile of the page
 * while `run` runs, its functions with the most self time logged.
 */
async function profiled<T>(
  cdp: CDPSession,
  label: string,
  log: (line: string) => void,
  run: () => Promise<T>,
): Promise<T> {
  if (!process.env.ROSTER_PROFILE) return run();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
  await cdp.send('Profiler.start');
  const result = await run();
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  for (const [i, id] of (profile.samples ?? []).entries())
    self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + (self.get(node.id) ?? 0));
  }
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  log(`  profile ${label}: ${total.toFixed(0)} ms sampled`);
  for (const [key, ms] of top) log(`    ${ms.toFixed(1).padStart(8)} ms  ${key}`);
  return result;
}

/** Waits for the page's state to satisfy `done`; bounded by `timeoutMs`. */
async function pageState(
  page: Page,
  done: (state: RosterPageState) => boolean,
  what: string,
  timeoutMs: number,
): Promise<RosterPageState> {
  let state: RosterPageState | undefined;
  await until(
    async () => {
      state = await page.evaluate(() => (window as unknown as Probe).benchState);
      return state !== undefined && done(state);
    },
    `${what} (page: ${JSON.stringify(state)})`,
    timeoutMs,
  );
  return state as RosterPageState;
}

/** The longest long task (≥ 50 ms, the browser's threshold) between two page times; 0 if none. */
async function longestTask(
  page: Page,
  from: number,
  to: number,
  log: (line: string) => void,
): Promise<number> {
  const tasks = (await page.evaluate(() => (window as unknown as Probe).benchLongTasks)).filter(
    (task) => task.start + task.duration >= from && task.start <= to,
  );
  log(
    `  long tasks: ${tasks.map((task) => `${task.duration.toFixed(0)} ms at ${task.start.toFixed(0)}`).join(', ') || 'none'}`,
  );
  return tasks.reduce((longest, task) => Math.max(longest, task.duration), 0);
}

async function measureBrowser(
  base: string,
  kioskToken: string,
  adminToken: string,
  expected: number,
  changing: readonly Member[],
  log: (line: string) => void,
): Promise<BrowserFigures> {
  const profile = mkdtempSync(join(tmpdir(), 'headcount-roster-profile-'));
  let context: BrowserContext | null = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timezoneId: ZONE,
    });
    await context.addInitScript(
      ({ kiosk, admin }) => {
        const probe = window as unknown as Probe & { benchTokens: unknown };
        probe.benchTokens = { kiosk, admin };
        probe.benchLongTasks = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries())
            probe.benchLongTasks.push({ start: entry.startTime, duration: entry.duration });
        }).observe({ type: 'longtask', buffered: true });
      },
      { kiosk: kioskToken, admin: adminToken },
    );
    const page = context.pages()[0] ?? (await context.newPage());
    if (process.env.DEBUG_PAGE) {
      page.on('console', (m) => console.error('page:', m.type(), m.text()));
      page.on('pageerror', (e) => console.error('pageerror:', e.message));
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('HeapProfiler.enable');
    const wire = new WireCounter(cdp);
    const { product } = await cdp.send('Browser.getVersion');
    const pageUrl = `${base}/bench-roster/index.html`;
    const roster = `${pageUrl}?site=${SITE}&prefix=bench&expected=${expected}`;
    const ready = () =>
      until(
        () => page.evaluate(() => (window as unknown as Probe).benchReady === true),
        'the bench page',
        30_000,
      );
    const close = () => page.evaluate(() => (window as unknown as Probe).benchClose?.());

    // The same page with nothing started: the heap the roster is measured against.
    await page.goto(pageUrl);
    await ready();
    const heapBaseline = await heapUsed(cdp);

    // First sync into an empty profile.
    wire.reset();
    const firstState = await profiled(cdp, 'first sync', log, async () => {
      await page.goto(roster);
      return pageState(page, (s) => s.syncedAt !== null, 'first sync', 180_000);
    });
    const firstWire = wire.read();
    const firstTask = await longestTask(
      page,
      firstState.openAt,
      firstState.syncedAt as number,
      log,
    );
    log(`  first sync: ${JSON.stringify(firstState)}, ${JSON.stringify(firstWire)}`);
    // y-indexeddb stores each update as it comes: let the writes land before reading the heap
    // and the databases.
    await page.waitForTimeout(1000);
    const firstHeap = await heapUsed(cdp);
    let storage = await page.evaluate(() => (window as unknown as Probe).benchStorage());
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(500);
      const again = await page.evaluate(() => (window as unknown as Probe).benchStorage());
      const stable =
        JSON.stringify(again.databases) === JSON.stringify(storage.databases) &&
        again.indexedDb === storage.indexedDb;
      storage = again;
      if (stable) break;
    }
    const disk = diskBytes(join(profile, 'Default', 'IndexedDB'));
    // Three rounds, each document's best median kept: this shared machine's other tenants
    // stretch single runs several times over.
    let shards: ShardCost[] = [];
    for (let round = 0; round < 3; round++) {
      const costs = await profiled(cdp, 'shard cost', log, () =>
        page.evaluate(() => (window as unknown as Probe).benchShardCost()),
      );
      log(
        `  shard cost: ${costs.map((c) => `${c.name} ${c.members} ${c.ms.toFixed(1)}`).join(', ')}`,
      );
      shards =
        round === 0
          ? costs
          : shards.map((best, i) => {
              const cost = costs[i];
              return cost && cost.ms < best.ms ? cost : best;
            });
    }

    // Offline: the roster comes from IndexedDB only.
    await close();
    const offlineState = await profiled(cdp, 'offline load', log, async () => {
      await page.goto(`${roster}&offline=1`);
      return pageState(page, (s) => s.usableAt !== null, 'offline load', 120_000);
    });
    const offlineTask = await longestTask(
      page,
      offlineState.openAt,
      offlineState.usableAt as number,
      log,
    );
    const offlineHeap = await heapUsed(cdp);
    log(`  offline: ${JSON.stringify(offlineState)}`);

    // A start online with the copy in place, then the status changes on that page.
    await close();
    wire.reset();
    await page.goto(roster);
    const restartState = await pageState(page, (s) => s.syncedAt !== null, 'restart', 120_000);
    const restartWire = wire.read();
    log(`  restart: ${JSON.stringify(restartState)}, ${JSON.stringify(restartWire)}`);
    await page.waitForTimeout(500);
    const samples: ChangeSample[] = [];
    // One more than measured: the first change after a start is reported on its own.
    for (let i = 0; i <= STATUS_SAMPLES; i++) {
      const member = changing[i % changing.length] as Member;
      const status: MemberStatus = Math.floor(i / changing.length) % 2 === 0 ? 'frozen' : 'active';
      samples.push(
        await page.evaluate((m) => (window as unknown as Probe).benchStatusChange(m), {
          ...member,
          status,
        }),
      );
    }
    log(`  status changes: ${JSON.stringify(samples)}`);
    await close();
    const [warmUp, ...measured] = samples as [ChangeSample, ...ChangeSample[]];
    const pick = (key: keyof ChangeSample) =>
      percentiles(measured.map((sample) => sample[key] ?? Number.NaN));
    return {
      chromium: product,
      first: {
        state: firstState,
        wire: firstWire,
        longestTask: firstTask,
        heapUsed: firstHeap,
        heapBaseline,
        shards,
      },
      storage: { ...storage, disk },
      offline: { state: offlineState, longestTask: offlineTask, heapUsed: offlineHeap },
      restart: { state: restartState, wire: restartWire },
      change: {
        first: warmUp,
        responded: pick('responded'),
        arrived: pick('arrived'),
        applied: pick('applied'),
        heard: pick('heard'),
      },
    };
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Opens `names` as one device does: one socket (the server allows a device a few), a provider
 * per document. Resolves when every document has synced; throws on a refusal or after
 * `timeoutMs`.
 */
async function openDocuments(
  t: TestServer,
  names: readonly string[],
  token: string,
  timeoutMs = 60_000,
): Promise<{ docs: Y.Doc[]; close(): void }> {
  const socket = new HocuspocusProviderWebsocket({ url: t.wsUrl, WebSocketPolyfill: WebSocket });
  const providers = names.map(
    (name) =>
      new HocuspocusProvider({
        websocketProvider: socket,
        name,
        document: new Y.Doc(),
        token,
        awareness: null,
      }),
  );
  const close = () => {
    for (const provider of providers) provider.destroy();
    socket.destroy();
  };
  try {
    await Promise.race([
      Promise.all(
        providers.map(
          (provider) =>
            new Promise<void>((resolve, reject) => {
              provider.on('synced', () => resolve());
              provider.on('authenticationFailed', ({ reason }: { reason: string }) =>
                reject(new Error(`${provider.configuration.name} refused: ${reason}`)),
              );
              provider.attach();
            }),
        ),
      ),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('roster documents not synced in time')), timeoutMs),
      ),
    ]);
  } catch (error) {
    close();
    throw error;
  }
  return { docs: providers.map((provider) => provider.document), close };
}

/** Median time Node takes to apply `update` to a fresh document (5 runs). */
function applyMs(update: Uint8Array): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const doc = new Y.Doc();
    const t0 = performance.now();
    Y.applyUpdate(doc, update);
    times.push(performance.now() - t0);
    doc.destroy();
  }
  return percentiles(times).p50;
}

export async function measureRosterSize(
  count: number,
  distDir: string | null,
  log: (line: string) => void,
): Promise<RosterRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-roster-'));
  const t: TestServer = await startTestServer({ ACCESS_TOKEN_TTL: '3600' }, dataDir, {
    ...(distDir ? { distDir } : {}),
  });
  let opened: { docs: Y.Doc[]; close(): void } | null = null;
  try {
    const admin = await staffToken(t, 'admin', null);
    for (const id of SITES.slice(1)) {
      const created = await t.api(
        'POST',
        '/api/sites',
        { id, name: id, timeZone: ZONE },
        admin.token,
      );
      if (created.status !== 201) throw new Error(`site ${id}: ${created.status}`);
    }
    const members = chainMembers(count);
    const batchTimes: number[] = [];
    const t0 = performance.now();
    for (let from = 0; from < members.length; from += MAX_IMPORT_BATCH) {
      const rows = members
        .slice(from, from + MAX_IMPORT_BATCH)
        .map((member, i) => ({ line: from + i + 2, member }));
      const started = performance.now();
      const answer = await t.api<MemberImportAnswer>(
        'POST',
        '/api/members/import',
        { rows, apply: true },
        admin.token,
      );
      batchTimes.push(performance.now() - started);
      if (answer.status !== 200 || answer.body.added !== rows.length)
        throw new Error(
          `import at ${from}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
        );
    }
    const importMs = performance.now() - t0;
    log(`${count} members imported in ${(importMs / 1000).toFixed(1)} s`);

    const kioskMembers = members.filter((member) => admittedAt(member, SITE));
    const kiosk = await pairKiosk(t, 'Bench');
    const names = rosterDocNames(SITE);
    const openedAt = performance.now();
    opened = await openDocuments(t, names, kiosk.token);
    const coldOpenMs = performance.now() - openedAt;
    const union = new Map<string, Member>();
    for (const doc of opened.docs) readRosterDoc(doc, union);
    if (union.size !== kioskMembers.length)
      throw new Error(`the kiosk's documents list ${union.size} of ${kioskMembers.length} members`);
    const docs = names.map((name) => {
      const doc = t.server.hocuspocus.documents.get(name);
      if (!doc) throw new Error(`${name} is not open on the server`);
      const state = Y.encodeStateAsUpdate(doc);
      return {
        name,
        members: doc.getMap(ROSTER_MAP).size,
        bytes: state.length,
        gzip: gzipSync(state).length,
        nodeApplyMs: applyMs(state),
      };
    });
    const one = new Y.Doc();
    one.transact(() => {
      const map = one.getMap<string>(ROSTER_MAP);
      for (const member of members) map.set(member.id, encodeRosterValue(member));
    });
    const oneState = Y.encodeStateAsUpdate(one);
    one.destroy();

    let browser: BrowserFigures | null = null;
    if (distDir) {
      // A home-only member of the kiosk's site and a chain-wide one, in turn.
      const changing = [
        kioskMembers.find((m) => m.access === 'home' && m.status === 'active'),
        kioskMembers.find((m) => m.access === 'all' && m.status === 'active'),
      ].filter((m): m is Member => m !== undefined);
      browser = await measureBrowser(
        t.wsUrl.replace('ws', 'http'),
        kiosk.token,
        admin.token,
        kioskMembers.length,
        changing,
        log,
      );
    }
    const refusals: Record<string, number> = {};
    for (const line of (await metricsText(t)).split('\n')) {
      const match = /^headcount_auth_refusals_total\{reason="([^"]+)"\} (\d+)/.exec(line);
      if (match && Number(match[2]) > 0) refusals[match[1] as string] = Number(match[2]);
    }
    log(`  refusals: ${JSON.stringify(refusals)}`);
    return {
      refusals,
      members: count,
      kioskMembers: kioskMembers.length,
      import: {
        totalMs: importMs,
        batches: batchTimes.length,
        slowestBatchMs: Math.max(...batchTimes),
      },
      server: {
        coldOpenMs,
        docs: docs.map(({ gzip: _, ...doc }) => doc),
        bytes: docs.reduce((n, doc) => n + doc.bytes, 0),
        gzipBytes: docs.reduce((n, doc) => n + doc.gzip, 0),
        oneDocBytes: oneState.length,
        oneDocApplyMs: applyMs(oneState),
      },
      browser,
    };
  } finally {
    opened?.close();
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface RosterBench {
  readonly runs: RosterRun[];
  readonly undidSlice: boolean;
  readonly chromium: string | null;
}

/** The baseline and the chain, in that order, in one run. */
export async function measureRoster(
  options: { sizes?: readonly number[]; log?: (line: string) => void } = {},
): Promise<RosterBench> {
  const { sizes = [5_000, 50_000], log = () => {} } = options;
  let distDir: string | null = null;
  let undidSlice = false;
  if (hasChromium) {
    distDir = join(mkdtempSync(join(tmpdir(), 'headcount-roster-dist-')), 'dist');
    ({ undidSlice } = await buildPage(distDir));
  } else log('No Chromium: server figures only.');
  const runs: RosterRun[] = [];
  try {
    for (const size of sizes) runs.push(await measureRosterSize(size, distDir, log));
  } finally {
    if (distDir) rmSync(dirname(distDir), { recursive: true, force: true });
  }
  return { runs, undidSlice, chromium: runs.find((run) => run.browser)?.browser?.chromium ?? null };
}

export function printRoster(print: (line?: string) => void, bench: RosterBench): void {
  const { runs } = bench;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const ms = (value: number | null, digits = 0) =>
    value === null || Number.isNaN(value) ? '–' : `${value.toFixed(digits)} ms`;
  const header = (first: string) => {
    print(
      `| ${first} | ${runs.map((r) => `${r.members.toLocaleString('en')} members`).join(' | ')} |`,
    );
    print(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
  };
  const row = (label: string, cell: (run: RosterRun) => string) =>
    print(`| ${label} | ${runs.map(cell).join(' | ')} |`);
  const browserRow = (label: string, cell: (b: BrowserFigures, run: RosterRun) => string) =>
    row(label, (run) => (run.browser ? cell(run.browser, run) : '–'));

  print(
    `### Chain roster: ${runs.map((r) => r.members.toLocaleString('en')).join(' and ')} members, 10 sites ([D7])`,
  );
  print();
  print(
    `Members: 70 % home only (even over the sites), 20 % every site, 10 % home + 1–2 listed sites; 1–2 card codes each. Imported through \`POST /api/members/import\` (${MAX_IMPORT_BATCH} rows a request, admin) into a fresh server (in the bench's process, SQLite). The kiosk is at \`${SITE}\` and reads 32 documents (16 shards of its site, 16 of the chain).`,
  );
  print();
  header('server');
  row(
    'import (whole chain), batches, slowest',
    (r) =>
      `${(r.import.totalMs / 1000).toFixed(1)} s, ${r.import.batches}, ${(r.import.slowestBatchMs / 1000).toFixed(1)} s`,
  );
  row("members the kiosk's site admits", (r) => r.kioskMembers.toLocaleString('en'));
  row("state of the kiosk's 32 documents (sum of `encodeStateAsUpdate`)", (r) =>
    kb(r.server.bytes),
  );
  row('… per member', (r) => `${(r.server.bytes / r.kioskMembers).toFixed(1)} B`);
  row('… gzip (each document, summed)', (r) => kb(r.server.gzipBytes));
  const largest = (r: RosterRun, prefix: string) => {
    const docs = r.server.docs.filter((d) => d.name.startsWith(prefix));
    const big = docs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    return `${kb(big.bytes)} (${big.members} members)`;
  };
  row('largest site shard', (r) => largest(r, 'roster/'));
  row('largest chain shard', (r) => largest(r, 'chain-roster/'));
  row('Node: apply one shard, slowest / all 32', (r) => {
    const times = r.server.docs.map((d) => d.nodeApplyMs);
    return `${ms(Math.max(...times), 1)} / ${ms(
      times.reduce((a, b) => a + b, 0),
      1,
    )}`;
  });
  row(
    'the whole chain in one document (§4 layout): state, Node apply',
    (r) => `${kb(r.server.oneDocBytes)}, ${ms(r.server.oneDocApplyMs)}`,
  );
  row('cold open of the 32 documents on the server (projection from SQL), Node providers', (r) =>
    ms(r.server.coldOpenMs),
  );
  print();
  if (!runs.some((r) => r.browser)) {
    print('Browser: skipped (no Chromium: apt-get install chromium, or set CHROMIUM_PATH).');
    print();
    return;
  }
  print(
    `Browser: ${bench.chromium ?? 'Chromium'}, headless, a fresh persistent profile per size; the page \`bench/rosterPage/\` runs the kiosk's \`RosterReplicas\` and site document on one socket${bench.undidSlice ? " (its build undid `rosterDocNames(siteId).slice(0, 0)`, which at this commit leaves the kiosk's roster empty)" : ''}. Times from the navigation's start unless said; "from the replicas' start" is from the page's script creating them.`,
  );
  print();
  header('kiosk (Chromium)');
  browserRow('first sync: websocket bytes received, roster documents', (b) =>
    kb(b.first.wire.rosterBytes),
  );
  browserRow(
    '… everything else received (site document, sync replies), frames',
    (b) => `${kb(b.first.wire.otherBytes)}, ${b.first.wire.frames}`,
  );
  browserRow('… sent', (b) => kb(b.first.wire.sentBytes));
  browserRow(
    'first sync: every member in and every document synced',
    (b) =>
      `${ms(b.first.state.syncedAt)} (${ms((b.first.state.syncedAt as number) - b.first.state.openAt)} from the replicas' start)`,
  );
  // The sockets the server closed (a refusal) cost the provider's backoff: this is without it.
  const fromLastOpen = (state: RosterPageState) =>
    ms((state.syncedAt as number) - (state.opens.at(-1) ?? state.openAt));
  browserRow('… from the open of the socket that synced', (b) => fromLastOpen(b.first.state));
  browserRow(
    "first sync, from the replicas' start: longest long task (≥ 50 ms) / longest gap between 0-ms timers",
    (b) => `${ms(b.first.longestTask)} / ${ms(b.first.state.longestGap, 1)}`,
  );
  const transaction = (state: RosterPageState) =>
    `${ms(state.longestTransaction, 1)} (${state.longestTransactionDoc ?? '–'})`;
  browserRow('first sync: longest transaction of one roster document (one task)', (b) =>
    transaction(b.first.state),
  );
  browserRow(
    "one document applied with the roster's handlers, no IndexedDB (best of 3 medians of 7): slowest / all 32",
    (b) => {
      const slowest = b.first.shards.reduce((a, c) => (c.ms > a.ms ? c : a));
      const all = b.first.shards.reduce((n, c) => n + c.ms, 0);
      return `${ms(slowest.ms, 1)} (${slowest.members} members) / ${ms(all, 1)}`;
    },
  );
  browserRow('IndexedDB records after it (roster databases)', (b) => {
    const dbs = b.storage.databases.filter((d) => d.name.includes('roster/'));
    return `${kb(dbs.reduce((n, d) => n + d.bytes, 0))} in ${dbs.length} databases, ${dbs.reduce((n, d) => n + d.records, 0)} records`;
  });
  browserRow(
    '`navigator.storage.estimate()`: IndexedDB / usage',
    (b) => `${kb(b.storage.indexedDb)} / ${kb(b.storage.usage)}`,
  );
  browserRow('IndexedDB directory on disk', (b) => kb(b.storage.disk));
  browserRow(
    'JS heap after a GC, synced (the empty page)',
    (b) =>
      `${(b.first.heapUsed / 2 ** 20).toFixed(1)} MB (${(b.first.heapBaseline / 2 ** 20).toFixed(1)} MB)`,
  );
  browserRow(
    "… the roster's part",
    (b) => `${((b.first.heapUsed - b.first.heapBaseline) / 2 ** 20).toFixed(1)} MB`,
  );
  browserRow(
    'reload offline: roster usable (`change` with every member)',
    (b) =>
      `${ms(b.offline.state.usableAt)} (${ms((b.offline.state.usableAt as number) - b.offline.state.openAt)} from the replicas' start)`,
  );
  browserRow("… every copy read (`loaded()`), from the replicas' start", (b) =>
    ms((b.offline.state.loadedAt as number) - b.offline.state.openAt),
  );
  browserRow(
    "… from the replicas' start: longest long task / longest gap between 0-ms timers",
    (b) => `${ms(b.offline.longestTask)} / ${ms(b.offline.state.longestGap, 1)}`,
  );
  browserRow('… longest transaction of one roster document (one task)', (b) =>
    transaction(b.offline.state),
  );
  browserRow('… JS heap after a GC', (b) => `${(b.offline.heapUsed / 2 ** 20).toFixed(1)} MB`);
  const closes = (state: RosterPageState) =>
    state.closes.map((close) => `${close.code} ${close.reason}`).join(', ') || 'none';
  browserRow(
    'sockets closed on the page: first sync / start with the copy',
    (b) => `${closes(b.first.state)} / ${closes(b.restart.state)}`,
  );
  row(
    'refusals the server counted over the run (`headcount_auth_refusals_total`)',
    (r) =>
      Object.entries(r.refusals)
        .map(([reason, n]) => `${n} ${reason}`)
        .join(', ') || 'none',
  );
  browserRow(
    'start online with the copy in place: bytes received (roster / other), synced',
    (b) =>
      `${kb(b.restart.wire.rosterBytes)} / ${kb(b.restart.wire.otherBytes)}, ${ms(b.restart.state.syncedAt)} (${fromLastOpen(b.restart.state)} from the open of the socket that synced)`,
  );
  print();
  const change = runs.find((r) => r.browser)?.browser?.change;
  if (!change) return;
  print(
    `Status changes: ${STATUS_SAMPLES} per size after one not counted (the first after the page's start, below), one after another, a home-only member of \`${SITE}\` and a chain-wide one in turn, each \`PUT /api/members/:id\` (admin) from the page; times from the request's start, in the page. With ${STATUS_SAMPLES} samples the p95 (nearest rank) is the largest.`,
  );
  print();
  print(
    `| measured until | ${runs.map((r) => `${r.members.toLocaleString('en')}: p50 / p95 / max`).join(' | ')} |`,
  );
  print(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
  const p = (t: Percentiles) =>
    `${t.p50.toFixed(1)} / ${t.p95.toFixed(1)} / ${t.max.toFixed(1)} ms`;
  const changeRow = (label: string, key: Exclude<keyof BrowserFigures['change'], 'first'>) =>
    print(
      `| ${label} | ${runs.map((r) => (r.browser ? p(r.browser.change[key]) : '–')).join(' | ')} |`,
    );
  changeRow('the PUT answered', 'responded');
  changeRow("the roster document's update reached the page", 'arrived');
  changeRow("the roster's members hold it", 'applied');
  changeRow('`change` dispatched (what the screen hears)', 'heard');
  print(
    `| the first change after the start: answered, \`change\` | ${runs.map((r) => (r.browser ? `${r.browser.change.first.responded.toFixed(1)} ms, ${r.browser.change.first.heard.toFixed(1)} ms` : '–')).join(' | ')} |`,
  );
  print();
  print(
    `WebSocket extensions negotiated: ${runs[0]?.browser?.first.wire.extensions ?? 'none'} (bytes above are frame payloads).`,
  );
  print();
}

function argument(name: string): number | null {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return null;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = [argument('baseline') ?? 5_000, argument('members') ?? 50_000];
  const bench = await measureRoster({ sizes, log: (line) => console.error(line) });
  console.log(
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log();
  printRoster((line = '') => console.log(line), bench);
  process.exit(0);
}
