/**
 * The HTTP edge before and after the move from hand-routed `node:http` to Fastify 5 (issue #10,
 * `npm run bench -- --http`): what a browser downloads to open the kiosk and the dashboard, and
 * how fast the server answers a few representative requests.
 *
 * Both versions run from git worktrees of their commits (the approach of serverUpdates.ts: this
 * checkout's node_modules linked in), each with its own production build (`buildApp` of that
 * commit, run in the worktree) and its own server process (`node --import tsx
 * sync-server/main.ts`). "after" is a commit too, not the working tree, which colleagues edit
 * while this runs.
 *
 * - Transfer sizes: headless Chromium opens each page cold, in a fresh context, until the
 *   network is idle and the service worker has precached the app; every response is counted
 *   with the sizes Chromium reports (`request.sizes()`: encoded body and headers as received).
 *   Then the page is opened again in the same context: once with the service worker (what a
 *   tablet does) and once with service workers blocked, which leaves the HTTP cache (ETag/304).
 * - Latency: a Node client on a keep-alive socket sends N requests per endpoint one after
 *   another after a warm-up; rounds alternate before/after. Then 16 keep-alive clients hammer
 *   `/api/time` for a few seconds (requests per second). Server CPU from /proc/<pid>/stat.
 * - A CPU profile (`node --cpu-prof`) of each server under the `/api/time` load, cut to the load's
 *   window, says where the time goes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { hasChromium, launchChromium } from '../e2e/browser';
import { quantile } from './serverUpdates';
import {
  cpuMsOf,
  prepareWorktree,
  type RunningVersion,
  repo,
  sleep,
  startVersion,
} from './versionServers';

/** main before the framework move (b1f8359): hand-routed node:http, no compression, no ETag. */
export const BEFORE_COMMIT = 'efa5fec';
/**
 * Files the before commit lacks and needs: 677ba4c deleted `sync-server/api.ts` by accident
 * (server.ts and cli.ts still import it, unchanged since), so from 677ba4c to efa5fec the
 * committed server cannot start. It comes back from the last commit that had it.
 */
const BEFORE_RESTORED: Record<string, string> = { 'sync-server/api.ts': 'a02df89' };

const PAGES = ['/kiosk', '/dashboard'] as const;
/** Concurrent load before the measured seconds, ms: sockets open and the server's paths hot. */
const LOAD_WARMUP_MS = 1000;
/** What Chromium sends over loopback (checked: `gzip, deflate, br, zstd`); the Node client too. */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

export interface HttpEdgeOptions {
  /** The commit after the move; default HEAD at the start of the run. */
  afterCommit?: string;
  /** Rounds per version for latency, alternated before/after. Default 3. */
  roundsEach?: number;
  /** Requests per endpoint per round, measured. Default 2000. */
  requests?: number;
  /** Requests per endpoint per round before measuring. Default 500. */
  warmup?: number;
  /** Seconds of the 16-client `/api/time` load per round. Default 5. */
  loadSeconds?: number;
  /** Concurrent keep-alive clients for the load. Default 16. */
  clients?: number;
  /** Transfer sizes in Chromium. Default true. */
  pages?: boolean;
  /** CPU profiles under the load. Default true. */
  profile?: boolean;
  log?: (line: string) => void;
}

type Version = 'before' | 'after';

/** One response the browser received (or took from a cache). */
export interface Transfer {
  readonly path: string;
  readonly kind: 'HTML' | 'JS' | 'CSS' | 'wasm' | 'other';
  /** Fetched by the service worker (its precache), not by the page. */
  readonly byServiceWorker: boolean;
  /** The page's request was answered by the service worker (no network for it). */
  readonly fromServiceWorker: boolean;
  /** Served from the HTTP cache without asking the server. */
  readonly fromCache: boolean;
  /** As the network answered it (304 for a revalidated copy). */
  readonly status: number;
  readonly encoding: string;
  readonly bodyBytes: number;
  readonly headerBytes: number;
  /** Chromium gave no body size (the worker script): the size of the file the server sent. */
  readonly sizedFromFile: boolean;
}

export interface PageLoads {
  readonly version: Version;
  readonly page: string;
  /** Cold: fresh context, service worker allowed (it installs and precaches). */
  readonly cold: Transfer[];
  /** The page again in the same context, now controlled by the service worker. */
  readonly repeatWithWorker: Transfer[];
  /** Cold and then again with service workers blocked: the HTTP cache alone. */
  readonly coldNoWorker: Transfer[];
  readonly repeatHttpCache: Transfer[];
  /** Accept-Encoding of the page's first request, as Chromium sent it. */
  readonly acceptEncoding: string;
}

export interface EndpointSamples {
  readonly name: string;
  /** A column title. */
  readonly short: string;
  readonly us: number[];
  /** Server CPU (user + system) per request over the measured requests, µs. */
  readonly cpuUs: number;
  /** Body bytes of one answer, as sent (compressed when it was). */
  readonly bodyBytes: number;
  readonly headerBytes: number;
  readonly statuses: Record<string, number>;
}

export interface LatencyRound {
  readonly version: Version;
  readonly endpoints: EndpointSamples[];
  readonly load: LoadResult;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** Answers in each whole second of the load. */
  readonly perSecond: number[];
  /** Server CPU per request, µs. */
  readonly cpuUs: number;
  /** Client (this process) CPU per request, µs: it shares the cores with the server. */
  readonly clientCpuUs: number;
  readonly errors: number;
}

export interface ProfileSummary {
  readonly version: Version;
  readonly busyMs: number;
  readonly requests: number;
  /** Self time by where the code lives (a package, Node's internals, our server, GC). */
  readonly byOwner: { owner: string; ms: number }[];
  /** Time with a package anywhere on the stack (inclusive), for the packages worth naming. */
  readonly onStack: { owner: string; ms: number }[];
  readonly topFunctions: { name: string; owner: string; ms: number }[];
}

export interface HttpEdgeResult {
  readonly beforeCommit: string;
  readonly afterCommit: string;
  readonly machine: string;
  readonly pages: PageLoads[] | null;
  /** Chromium's version, when it ran. */
  readonly chromium: string | null;
  readonly rounds: LatencyRound[];
  readonly requests: number;
  readonly warmup: number;
  readonly clients: number;
  readonly profiles: ProfileSummary[];
  readonly assetPath: { before: string; after: string };
}

/** The production build of the worktree's own app, by its own `buildApp`, into `root/dist`. */
function buildIn(root: string): void {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const { buildApp } = await import('./e2e/browser.ts'); await buildApp(process.env.BENCH_OUT_DIR);",
    ],
    {
      cwd: root,
      env: { ...process.env, BENCH_OUT_DIR: join(root, 'dist') },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Transfer sizes in Chromium

function kindOf(path: string, contentType: string): Transfer['kind'] {
  if ((PAGES as readonly string[]).includes(path) || path.endsWith('.html')) return 'HTML';
  if (contentType.includes('text/html')) return 'HTML';
  if (/\.m?js$/.test(path) || contentType.includes('javascript')) return 'JS';
  if (path.endsWith('.css')) return 'CSS';
  if (path.endsWith('.wasm')) return 'wasm';
  return 'other';
}

/**
 * The size of the copy the server sent, from the build: Chromium reports no body size for the
 * service worker's own script (`sw.js`), and "before" sends it chunked, without Content-Length.
 */
function sentFileSize(dist: string, path: string, encoding: string): number {
  const suffix = encoding === 'br' ? '.br' : encoding === 'gzip' ? '.gz' : '';
  const file = join(dist, `${path.split('?')[0]}${suffix}`);
  return existsSync(file) ? readFileSync(file).length : 0;
}

/**
 * Records every finished request of a context (the pages' and the service worker's) until
 * `stop()`. A page watched with `watch()` also gets the status the network really answered
 * (Chromium reports a revalidated response as 200; the wire said 304).
 */
function recordTransfers(context: BrowserContext, dist: string) {
  const records: Promise<Transfer | null>[] = [];
  const wireStatus = new Map<string, number>();
  let lastActivity = performance.now();
  let on = true;
  const onFinished = (request: Request) => {
    if (!on) return;
    lastActivity = performance.now();
    records.push(
      (async () => {
        const response = await request.response();
        if (!response) return null;
        const url = new URL(request.url());
        if (url.protocol !== 'http:') return null;
        const sizes = await request.sizes().catch(() => null);
        const headers = await response.allHeaders();
        const encoding = headers['content-encoding'] ?? 'identity';
        let bodyBytes = sizes?.responseBodySize ?? 0;
        let headerBytes = sizes?.responseHeadersSize ?? 0;
        // Nothing received (encodedDataLength 0): the memory or disk cache answered.
        const fromCache = bodyBytes + headerBytes <= 0 && !response.fromServiceWorker();
        if (fromCache || response.fromServiceWorker()) {
          bodyBytes = 0;
          headerBytes = 0;
        }
        const status = wireStatus.get(request.url()) ?? response.status();
        let sizedFromFile = false;
        if (!fromCache && !response.fromServiceWorker() && bodyBytes === 0 && status === 200) {
          const length = Number(headers['content-length'] ?? Number.NaN);
          bodyBytes = Number.isFinite(length) ? length : sentFileSize(dist, url.pathname, encoding);
          sizedFromFile = bodyBytes > 0;
        }
        return {
          path: url.pathname + url.search,
          kind: kindOf(url.pathname, headers['content-type'] ?? ''),
          byServiceWorker: request.serviceWorker() !== null,
          fromServiceWorker: response.fromServiceWorker(),
          fromCache,
          status,
          encoding,
          bodyBytes,
          headerBytes,
          sizedFromFile,
        } satisfies Transfer;
      })(),
    );
  };
  context.on('requestfinished', onFinished);
  context.on('requestfailed', () => {
    lastActivity = performance.now();
  });
  return {
    /** The raw status lines of a page's own requests, from the network layer (CDP). */
    async watch(page: Page) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const urls = new Map<string, string>();
      cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
      cdp.on('Network.responseReceivedExtraInfo', (e) => {
        const url = urls.get(e.requestId);
        if (url) wireStatus.set(url, e.statusCode);
      });
    },
    /** Resolves when nothing finished for `quietMs` (bounded by `maxMs`). */
    async quiet(quietMs = 1000, maxMs = 30_000) {
      const deadline = performance.now() + maxMs;
      while (performance.now() - lastActivity < quietMs && performance.now() < deadline)
        await sleep(100);
    },
    async stop(): Promise<Transfer[]> {
      on = false;
      context.off('requestfinished', onFinished);
      return (await Promise.all(records)).filter((t): t is Transfer => t !== null);
    },
  };
}

/** Opens `url` in a new page of `context` and records until the network is quiet. */
async function load(context: BrowserContext, dist: string, url: string, waitForWorker: boolean) {
  const recorder = recordTransfers(context, dist);
  const page = await context.newPage();
  await recorder.watch(page);
  let acceptEncoding = '';
  page.once('request', async (r) => {
    acceptEncoding = (await r.allHeaders())['accept-encoding'] ?? '';
  });
  await page.goto(url, { waitUntil: 'networkidle', timeout: 60_000 });
  // The service worker installs (precaches) after the page has loaded; ready = activated.
  if (waitForWorker)
    await page.evaluate(() =>
      Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 30_000)),
      ]),
    );
  await recorder.quiet();
  const transfers = await recorder.stop();
  await page.close();
  return { transfers, acceptEncoding };
}

async function measurePage(
  browser: Browser,
  http: string,
  dist: string,
  version: Version,
  path: string,
): Promise<PageLoads> {
  const url = `${http}${path}`;
  // With the service worker: cold, then again in the same context.
  const withWorker = await browser.newContext();
  let cold: Awaited<ReturnType<typeof load>>;
  let repeatWithWorker: Transfer[];
  try {
    cold = await load(withWorker, dist, url, true);
    repeatWithWorker = (await load(withWorker, dist, url, false)).transfers;
  } finally {
    await withWorker.close();
  }
  // Without it: the HTTP cache alone.
  const noWorker = await browser.newContext({ serviceWorkers: 'block' });
  let coldNoWorker: Transfer[];
  let repeatHttpCache: Transfer[];
  try {
    coldNoWorker = (await load(noWorker, dist, url, false)).transfers;
    repeatHttpCache = (await load(noWorker, dist, url, false)).transfers;
  } finally {
    await noWorker.close();
  }
  return {
    version,
    page: path,
    cold: cold.transfers,
    repeatWithWorker,
    coldNoWorker,
    repeatHttpCache,
    acceptEncoding: cold.acceptEncoding,
  };
}

async function measurePages(
  roots: Record<Version, string>,
): Promise<{ loads: PageLoads[]; chromium: string } | null> {
  if (!hasChromium) return null;
  const browser = await launchChromium();
  const chromium = browser.version();
  const loads: PageLoads[] = [];
  try {
    for (const version of ['before', 'after'] as const) {
      const server = await startVersion(roots[version], { kiosks: 3 });
      try {
        for (const page of PAGES)
          loads.push(
            await measurePage(browser, server.http, join(roots[version], 'dist'), version, page),
          );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await browser.close();
  }
  return { loads, chromium };
}

// ---------------------------------------------------------------------------------------------
// Latency from a Node client

interface Answer {
  readonly status: number;
  readonly bodyBytes: number;
  readonly headerBytes: number;
}

function send(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', agent, headers },
      (res) => {
        let bodyBytes = 0;
        res.on('data', (chunk: Buffer) => {
          bodyBytes += chunk.length;
        });
        res.on('end', () => {
          let headerBytes = 0;
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            headerBytes += (res.rawHeaders[i] as string).length + 2;
          for (let i = 1; i < res.rawHeaders.length; i += 2)
            headerBytes += (res.rawHeaders[i] as string).length + 2;
          resolve({ status: res.statusCode ?? 0, bodyBytes, headerBytes });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface Endpoint {
  readonly name: string;
  readonly short: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

function endpointsFor(server: RunningVersion, asset: string): Endpoint[] {
  return [
    { name: 'GET /api/time', short: '/api/time', path: '/api/time', headers: {} },
    { name: 'GET /healthz', short: '/healthz', path: '/healthz', headers: {} },
    {
      name: 'GET /api/devices (staff token, 3 kiosks)',
      short: '/api/devices',
      path: '/api/devices',
      headers: { authorization: `Bearer ${server.staffToken}` },
    },
    {
      name: `GET ${asset.replace(/-[\w-]{8}\.js$/, '-….js')}, Accept-Encoding as Chromium`,
      short: 'asset, br',
      path: asset,
      headers: { 'accept-encoding': BROWSER_ACCEPT_ENCODING },
    },
    {
      name: `GET ${asset.replace(/-[\w-]{8}\.js$/, '-….js')}, no Accept-Encoding`,
      short: 'asset, identity',
      path: asset,
      headers: {},
    },
  ];
}

async function measureEndpoint(
  server: RunningVersion,
  endpoint: Endpoint,
  requests: number,
  warmup: number,
): Promise<EndpointSamples> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < warmup; i++)
      await send(agent, server.port, endpoint.path, endpoint.headers);
    const statuses: Record<string, number> = {};
    const us: number[] = [];
    let last: Answer = { status: 0, bodyBytes: 0, headerBytes: 0 };
    const pid = server.child.pid as number;
    const cpu = cpuMsOf(pid);
    for (let i = 0; i < requests; i++) {
      const t0 = process.hrtime.bigint();
      last = await send(agent, server.port, endpoint.path, endpoint.headers);
      us.push(Number(process.hrtime.bigint() - t0) / 1000);
      statuses[last.status] = (statuses[last.status] ?? 0) + 1;
    }
    const cpuUs = ((cpuMsOf(pid) - cpu) * 1000) / requests;
    return {
      name: endpoint.name,
      short: endpoint.short,
      us,
      cpuUs,
      bodyBytes: last.bodyBytes,
      headerBytes: last.headerBytes,
      statuses,
    };
  } finally {
    agent.destroy();
  }
}

/** `clients` keep-alive loops on `/api/time` for `seconds`; the monotonic window for profiles. */
async function loadTime(
  server: RunningVersion,
  clients: number,
  seconds: number,
): Promise<LoadResult & { fromUs: number; toUs: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  /** Every client sends its next request when the last is answered, until `ms` have passed. */
  const hammer = async (ms: number, onAnswer: (ok: boolean, at: number) => void) => {
    const until = performance.now() + ms;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < until) {
          const answer = await send(agent, server.port, '/api/time', {}).catch(() => null);
          onAnswer(answer?.status === 200, performance.now());
        }
      }),
    );
  };
  try {
    // A second of the same load first: sockets open, the route and the server's paths hot.
    await hammer(LOAD_WARMUP_MS, () => {});
    const pid = server.child.pid as number;
    const cpu = cpuMsOf(pid);
    const clientCpu = process.cpuUsage();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const from = performance.now();
    let done = 0;
    let errors = 0;
    const perSecond = Array.from({ length: seconds }, () => 0);
    await hammer(seconds * 1000, (ok, at) => {
      if (!ok) {
        errors++;
        return;
      }
      done++;
      const second = Math.floor((at - from) / 1000);
      if (second < seconds) perSecond[second] = (perSecond[second] ?? 0) + 1;
    });
    const elapsed = (performance.now() - from) / 1000;
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const used = process.cpuUsage(clientCpu);
    return {
      requests: done,
      seconds: elapsed,
      perSecond,
      cpuUs: ((cpuMsOf(pid) - cpu) * 1000) / done,
      clientCpuUs: (used.user + used.system) / done,
      errors,
      fromUs,
      toUs,
    };
  } finally {
    agent.destroy();
  }
}

/** The kiosk page's entry chunk, `assets/kiosk-<hash>.js`, of a build. */
function kioskAsset(root: string): string {
  const file = readdirSync(join(root, 'dist', 'assets')).find((f) => /^kiosk-.*\.js$/.test(f));
  if (!file) throw new Error(`no assets/kiosk-*.js in ${root}/dist`);
  return `/assets/${file}`;
}

// ---------------------------------------------------------------------------------------------
// Profiles

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, Node itself, this server, or V8's own work. */
function ownerOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(idle)') return '(idle)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'Node internals (http, net, streams)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] as string;
  if (url.includes('/sync-server/')) return 'sync-server (ours)';
  if (url.includes('/shared/')) return 'shared (ours)';
  return url.replace(/^.*\//, '');
}

/** Self and inclusive time of a profile's samples inside [fromUs, toUs] (monotonic µs). */
function summariseProfile(
  file: string,
  version: Version,
  fromUs: number,
  toUs: number,
  requests: number,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const fn = new Map<string, { name: string; owner: string; ms: number }>();
  const stack = new Map<string, number>();
  let busy = 0;
  let t = profile.startTime;
  let inWindow = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (t < fromUs || t > toUs) return;
    inWindow++;
    const node = byId.get(id);
    if (!node) return;
    const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
    if (owner === '(idle)') return;
    busy += delta;
    self.set(owner, (self.get(owner) ?? 0) + delta);
    const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url}:${node.callFrame.lineNumber + 1}`;
    const entry = fn.get(key) ?? {
      name: `${node.callFrame.functionName || '(anonymous)'} (${node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/tree\//, '')}:${node.callFrame.lineNumber + 1})`,
      owner,
      ms: 0,
    };
    entry.ms += delta;
    fn.set(key, entry);
    const owners = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame) owners.add(ownerOf(frame.url, frame.functionName));
    }
    for (const o of owners) stack.set(o, (stack.get(o) ?? 0) + delta);
  });
  if (inWindow === 0) throw new Error(`no samples of ${file} in the load's window`);
  const sorted = (m: Map<string, number>) =>
    [...m].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms);
  return {
    version,
    busyMs: busy,
    requests,
    byOwner: sorted(self),
    onStack: sorted(stack).filter(
      (o) => !['V8/native (program)', 'native', 'garbage collection'].includes(o.owner),
    ),
    topFunctions: [...fn.values()].sort((a, b) => b.ms - a.ms).slice(0, 12),
  };
}

async function profileVersion(
  version: Version,
  root: string,
  clients: number,
  seconds: number,
): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-edge-prof-'));
  try {
    const server = await startVersion(root, {
      kiosks: 3,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    let load: Awaited<ReturnType<typeof loadTime>>;
    try {
      load = await loadTime(server, clients, seconds);
    } finally {
      // SIGTERM: main.ts closes and exits, which writes the profile.
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the ${version} server wrote no profile`);
    return summariseProfile(join(dir, file), version, load.fromUs, load.toUs, load.requests);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

export async function measureHttpEdge(options: HttpEdgeOptions = {}): Promise<HttpEdgeResult> {
  const {
    roundsEach = 3,
    requests = 2000,
    warmup = 500,
    loadSeconds = 5,
    clients = 16,
    log = () => {},
  } = options;
  const { pages: withPages = true, profile = true } = options;
  const afterCommit =
    options.afterCommit ??
    execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`;
  log(`  worktrees of ${BEFORE_COMMIT} and ${afterCommit}…`);
  const before = prepareWorktree(BEFORE_COMMIT, BEFORE_RESTORED);
  let after: ReturnType<typeof prepareWorktree> | null = null;
  try {
    after = prepareWorktree(afterCommit);
    const roots: Record<Version, string> = { before: before.root, after: after.root };
    for (const version of ['before', 'after'] as const) {
      log(`  building the ${version} app…`);
      buildIn(roots[version]);
    }
    log('  transfer sizes in Chromium…');
    const measured = withPages ? await measurePages(roots) : null;
    const assetPath = { before: kioskAsset(roots.before), after: kioskAsset(roots.after) };
    const rounds: LatencyRound[] = [];
    for (let i = 0; i < roundsEach; i++) {
      for (const version of ['before', 'after'] as const) {
        const server = await startVersion(roots[version], { kiosks: 3 });
        try {
          const endpoints: EndpointSamples[] = [];
          for (const endpoint of endpointsFor(server, assetPath[version]))
            endpoints.push(await measureEndpoint(server, endpoint, requests, warmup));
          const {
            fromUs: _from,
            toUs: _to,
            ...load
          } = await loadTime(server, clients, loadSeconds);
          rounds.push({ version, endpoints, load });
          log(
            `  ${version} round ${i + 1}: /api/time p50 ${quantile(endpoints[0]?.us ?? [], 0.5).toFixed(0)} µs, ${Math.round(load.requests / load.seconds)} req/s with ${clients} clients`,
          );
        } finally {
          await server.stop();
        }
      }
    }
    log('  CPU profiles under the /api/time load…');
    const profiles: ProfileSummary[] = [];
    if (profile)
      for (const version of ['before', 'after'] as const)
        profiles.push(await profileVersion(version, roots[version], clients, loadSeconds));
    return {
      beforeCommit: BEFORE_COMMIT,
      afterCommit,
      machine,
      pages: measured?.loads ?? null,
      chromium: measured?.chromium ?? null,
      rounds,
      requests,
      warmup,
      clients,
      profiles,
      assetPath,
    };
  } finally {
    after?.remove();
    before.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Markdown

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ratio = (after: number, before: number) =>
  before === 0 ? '–' : `${(after / before).toFixed(2)}×`;

function sum(transfers: readonly Transfer[], pick: (t: Transfer) => number = (t) => t.bodyBytes) {
  return transfers.reduce((n, t) => n + pick(t), 0);
}

/** Bytes that crossed the network: not answered by the service worker or the HTTP cache. */
const overNetwork = (t: Transfer) => !t.fromServiceWorker && !t.fromCache;

export function printHttpEdge(print: (line?: string) => void, r: HttpEdgeResult): void {
  const b = `\`${r.beforeCommit}\``;
  const a = `\`${r.afterCommit}\``;
  print(`### HTTP edge: before (${b}, node:http) and after (${a}, Fastify 5)`);
  print();
  print(`Machine: ${r.machine}${r.chromium ? `; Chromium ${r.chromium}` : ''}`);
  print();
  print(
    `Both from git worktrees with their own production build. ${b} is run with ${Object.entries(
      BEFORE_RESTORED,
    )
      .map(([file, from]) => `\`${file}\` from \`${from}\``)
      .join(
        ', ',
      )}: 677ba4c deleted it by accident while server.ts and cli.ts still import it, so the committed tree cannot start; nothing else of the server changed between them.`,
  );
  print();
  if (r.pages) printPages(print, r.pages);
  else
    print('Transfer sizes skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH).');
  print();
  printLatency(print, r);
  printProfiles(print, r);
}

function printPages(print: (line?: string) => void, pages: PageLoads[]): void {
  const find = (version: Version, page: string) =>
    pages.find((p) => p.version === version && p.page === page) as PageLoads;
  print('#### First load, cold (headless Chromium, fresh context, until the network is idle)');
  print();
  const fromFile = [
    ...new Set(pages.flatMap((p) => p.cold.filter((t) => t.sizedFromFile).map((t) => t.path))),
  ];
  const precacheHits = (p: PageLoads) =>
    p.cold.filter((t) => t.byServiceWorker && t.fromCache).length;
  print(
    `Chromium sent \`Accept-Encoding: ${find('after', '/kiosk').acceptEncoding}\`. Bytes are response bodies as received over the network (compressed when the server compressed them; \`request.sizes()\`, i.e. Chromium's encodedDataLength less the headers), headers counted apart; a request answered by the HTTP cache costs nothing and is not counted. "Page" is what the page itself requests; "service worker" is what the service worker fetches to precache the whole app, both pages and the barcode reader's wasm included (it installs on the first load, after the page; ${precacheHits(find('after', '/kiosk'))} of its requests were answered by the HTTP cache with what the page had just loaded). Requests over the network in parentheses.${fromFile.length > 0 ? ` Chromium reports no body size for ${fromFile.map((f) => `\`${f}\``).join(', ')}: counted as the size of the file the server sent (its \`.br\` copy when the answer was brotli).` : ''}`,
  );
  print();
  const kinds: Transfer['kind'][] = ['HTML', 'JS', 'CSS', 'wasm', 'other'];
  for (const page of PAGES) {
    const before = find('before', page);
    const after = find('after', page);
    print(`\`${page}\`:`);
    print();
    print('| requested by | type | before | after | after / before |');
    print('| --- | --- | ---: | ---: | ---: |');
    const row = (who: string, what: string, pick: (p: PageLoads) => Transfer[], bold = false) => {
      const x = pick(before).filter(overNetwork);
      const y = pick(after).filter(overNetwork);
      const z = bold ? '**' : '';
      print(
        `| ${z}${who}${z} | ${z}${what}${z} | ${z}${kb(sum(x))}${z} (${x.length}) | ${z}${kb(sum(y))}${z} (${y.length}) | ${z}${ratio(sum(y), sum(x))}${z} |`,
      );
    };
    for (const [who, filter] of [
      ['page', (t: Transfer) => !t.byServiceWorker],
      ['service worker', (t: Transfer) => t.byServiceWorker],
    ] as const) {
      for (const kind of kinds) {
        const pick = (p: PageLoads) => p.cold.filter((t) => filter(t) && t.kind === kind);
        if ([...pick(before), ...pick(after)].some(overNetwork)) row(who, kind, pick);
      }
      row(who, 'bodies, all types', (p) => p.cold.filter(filter), true);
    }
    row('all', 'response headers', (p) => p.cold.map((t) => ({ ...t, bodyBytes: t.headerBytes })));
    const wire = (p: PageLoads) =>
      sum(p.cold.filter(overNetwork), (t) => t.bodyBytes + t.headerBytes);
    const pageWire = (p: PageLoads) =>
      sum(
        p.cold.filter((t) => overNetwork(t) && !t.byServiceWorker),
        (t) => t.bodyBytes + t.headerBytes,
      );
    print(
      `| page | bodies + headers | ${kb(pageWire(before))} | ${kb(pageWire(after))} | ${ratio(pageWire(after), pageWire(before))} |`,
    );
    print(
      `| **all** | **bodies + headers** | **${kb(wire(before))}** | **${kb(wire(after))}** | **${ratio(wire(after), wire(before))}** |`,
    );
    const encodings = (p: PageLoads) => {
      const counts = new Map<string, number>();
      for (const t of p.cold.filter(overNetwork))
        counts.set(t.encoding, (counts.get(t.encoding) ?? 0) + 1);
      return [...counts].map(([e, n]) => `${e} ${n}`).join(', ');
    };
    print(`| | Content-Encoding (responses) | ${encodings(before)} | ${encodings(after)} | |`);
    print();
  }
  print('#### Opening the page again (same context)');
  print();
  print(
    'With the service worker (what a tablet or phone does): the page is answered from its precache. With service workers blocked, the HTTP cache alone: pages and the service worker are `no-cache` (revalidated: a 304 needs an ETag, which only "after" sends), hashed `/assets/` are immutable and come from the cache without asking. "Over the network" counts every request the server answered; bytes are bodies + headers.',
  );
  print();
  print(
    '| page | opened again | before: over the network (304s) | before: bytes | after: over the network (304s) | after: bytes | after / before |',
  );
  print('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const page of PAGES) {
    for (const [label, pick] of [
      ['with the service worker', (p: PageLoads) => p.repeatWithWorker],
      ['HTTP cache only', (p: PageLoads) => p.repeatHttpCache],
    ] as const) {
      const cell = (p: PageLoads) => {
        const net = pick(p).filter(overNetwork);
        const bytes = sum(net, (t) => t.bodyBytes + t.headerBytes);
        const notModified = net.filter((t) => t.status === 304).length;
        return { text: `${net.length} (${notModified})`, bytes };
      };
      const x = cell(find('before', page));
      const y = cell(find('after', page));
      print(
        `| \`${page}\` | ${label} | ${x.text} | ${kb(x.bytes)} | ${y.text} | ${kb(y.bytes)} | ${ratio(y.bytes, x.bytes)} |`,
      );
    }
  }
  const coldNoWorker = (p: PageLoads) => sum(p.coldNoWorker, (t) => t.bodyBytes + t.headerBytes);
  print();
  print(
    `For reference, the cold load with service workers blocked (page only): kiosk ${kb(coldNoWorker(find('before', '/kiosk')))} before, ${kb(coldNoWorker(find('after', '/kiosk')))} after; dashboard ${kb(coldNoWorker(find('before', '/dashboard')))} before, ${kb(coldNoWorker(find('after', '/dashboard')))} after (bodies + headers).`,
  );
  print();
}

function printLatency(print: (line?: string) => void, r: HttpEdgeResult): void {
  const roundsOf = (version: Version) => r.rounds.filter((x) => x.version === version);
  const before = roundsOf('before');
  const after = roundsOf('after');
  print('#### API and static latency (Node client, one keep-alive socket, sequential)');
  print();
  print(
    `Each round starts a fresh server (fresh DATA_DIR, the admin from that version's CLI, three kiosks paired); per endpoint ${r.warmup} requests of warm-up, then ${r.requests} measured one after another; rounds alternate before/after, ${before.length} each, samples pooled per version. Times are the client's, from sending the request to the last byte of the answer, in µs. CPU is the server process's utime + stime (/proc) over the measured requests, per request (10 ms clock ticks: ±5 µs at this count). The static asset is the kiosk's entry chunk (\`${r.assetPath.after}\` after; it is the same source, hashed per build).`,
  );
  print();
  print(
    '| endpoint | before p50 / p95 / p99 | after p50 / p95 / p99 | after / before (p50 / p95 / p99) | server CPU per request, before → after | answer body (headers), before → after |',
  );
  print('| --- | ---: | ---: | ---: | ---: | ---: |');
  const names = before[0]?.endpoints.map((e) => e.name) ?? [];
  const shorts = before[0]?.endpoints.map((e) => e.short) ?? [];
  names.forEach((name, i) => {
    const pool = (rounds: LatencyRound[]) => rounds.map((x) => x.endpoints[i] as EndpointSamples);
    const pb = pool(before);
    const pa = pool(after);
    const qs = (eps: EndpointSamples[]) =>
      [0.5, 0.95, 0.99].map((q) =>
        quantile(
          eps.flatMap((e) => e.us),
          q,
        ),
      );
    const qb = qs(pb);
    const qa = qs(pa);
    const cpu = (eps: EndpointSamples[]) => eps.reduce((n, e) => n + e.cpuUs, 0) / eps.length;
    const statusNote = [...pb, ...pa].some((e) => Object.keys(e.statuses).some((s) => s !== '200'))
      ? ` (statuses: ${pb[0] ? JSON.stringify(pb[0].statuses) : ''} → ${pa[0] ? JSON.stringify(pa[0].statuses) : ''})`
      : '';
    print(
      `| ${name.replace(/^GET \/assets\/kiosk-….js/, 'GET /assets/kiosk-….js')}${statusNote} | ${qb.map((v) => v.toFixed(0)).join(' / ')} | ${qa.map((v) => v.toFixed(0)).join(' / ')} | ${qa.map((v, k) => ratio(v, qb[k] as number)).join(' / ')} | ${cpu(pb).toFixed(0)} → ${cpu(pa).toFixed(0)} µs (${ratio(cpu(pa), cpu(pb))}) | ${pb[0]?.bodyBytes ?? 0} (${pb[0]?.headerBytes ?? 0}) → ${pa[0]?.bodyBytes ?? 0} (${pa[0]?.headerBytes ?? 0}) B |`,
    );
  });
  print();
  print('p50 per round, µs (in the order run):');
  print();
  print(`| round | server | ${shorts.join(' | ')} |`);
  print(`| ---: | --- | ${shorts.map(() => '---:').join(' | ')} |`);
  r.rounds.forEach((round, k) => {
    print(
      `| ${k + 1} | ${round.version} | ${round.endpoints.map((e) => quantile(e.us, 0.5).toFixed(0)).join(' | ')} |`,
    );
  });
  print();
  print(`#### \`GET /api/time\` under load: ${r.clients} concurrent keep-alive clients`);
  print();
  print(
    `After ${LOAD_WARMUP_MS / 1000} s of the same load as warm-up, each client sends its next request as soon as the last is answered, for ${r.rounds[0]?.load.perSecond.length ?? 0} s, once per round. The clients run in this one Node process on the same two cores as the server, so the rate is the pair's, not the server's alone, and a neighbour's burst on the shared cores takes a whole second down with it: "median second" is the median over every second of every round of a version. Server CPU per request (/proc) is the steadier figure.`,
  );
  print();
  print(
    '| server | requests per second, round by round | median round | median second | server CPU per request, round by round | median | client CPU per request | errors |',
  );
  print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const median = (values: number[]) => quantile(values, 0.5);
  const loadRow = (version: Version, rounds: LatencyRound[]) => {
    const rps = rounds.map((x) => x.load.requests / x.load.seconds);
    const cpu = rounds.map((x) => x.load.cpuUs);
    const client = median(rounds.map((x) => x.load.clientCpuUs));
    const errors = rounds.reduce((n, x) => n + x.load.errors, 0);
    const second = median(rounds.flatMap((x) => x.load.perSecond));
    print(
      `| ${version} | ${rps.map((v) => Math.round(v)).join(', ')} | ${Math.round(median(rps))} | ${Math.round(second)} | ${cpu.map((v) => v.toFixed(0)).join(', ')} µs | ${median(cpu).toFixed(0)} µs | ${client.toFixed(0)} µs | ${errors} |`,
    );
    return { rps: median(rps), second, cpu: median(cpu) };
  };
  const lb = loadRow('before', before);
  const la = loadRow('after', after);
  print(
    `| after / before | | ${ratio(la.rps, lb.rps)} | ${ratio(la.second, lb.second)} | | ${ratio(la.cpu, lb.cpu)} | | |`,
  );
  print();
}

function printProfiles(print: (line?: string) => void, r: HttpEdgeResult): void {
  if (r.profiles.length === 0) return;
  print(`#### Where the server's time goes under that load (\`node --cpu-prof\`)`);
  print();
  print(
    'One more run per version with the profiler on (it slows the server; read shares, not totals). Only samples inside the load\'s window count; idle samples are left out. "Self" is time in a package\'s own code; "on the stack" is time with any of its functions anywhere on the stack (a package\'s callees included), per request.',
  );
  print();
  const owners = new Set<string>();
  for (const p of r.profiles) for (const o of p.byOwner.slice(0, 8)) owners.add(o.owner);
  print(
    `| self time, µs per request | ${r.profiles.map((p) => `${p.version} (${p.requests} requests)`).join(' | ')} |`,
  );
  print(`| --- | ${r.profiles.map(() => '---:').join(' | ')} |`);
  for (const owner of owners) {
    print(
      `| ${owner} | ${r.profiles
        .map((p) => {
          const ms = p.byOwner.find((o) => o.owner === owner)?.ms ?? 0;
          return `${((ms * 1000) / p.requests).toFixed(1)} (${((100 * ms) / p.busyMs).toFixed(0)} %)`;
        })
        .join(' | ')} |`,
    );
  }
  print(
    `| **busy, all** | ${r.profiles.map((p) => `**${((p.busyMs * 1000) / p.requests).toFixed(1)}**`).join(' | ')} |`,
  );
  print();
  const stackOwners = new Set<string>();
  for (const p of r.profiles) for (const o of p.onStack.slice(0, 10)) stackOwners.add(o.owner);
  print(`| on the stack, µs per request | ${r.profiles.map((p) => p.version).join(' | ')} |`);
  print(`| --- | ${r.profiles.map(() => '---:').join(' | ')} |`);
  for (const owner of stackOwners) {
    print(
      `| ${owner} | ${r.profiles
        .map((p) => {
          const ms = p.onStack.find((o) => o.owner === owner)?.ms ?? 0;
          return `${((ms * 1000) / p.requests).toFixed(1)} (${((100 * ms) / p.busyMs).toFixed(0)} %)`;
        })
        .join(' | ')} |`,
    );
  }
  print();
  for (const p of r.profiles) {
    print(`Top functions by self time, ${p.version}:`);
    print();
    print('| function | owner | µs per request | share of busy |');
    print('| --- | --- | ---: | ---: |');
    for (const f of p.topFunctions.slice(0, 10))
      print(
        `| \`${f.name}\` | ${f.owner} | ${((f.ms * 1000) / p.requests).toFixed(1)} | ${((100 * f.ms) / p.busyMs).toFixed(1)} % |`,
      );
    print();
  }
}
