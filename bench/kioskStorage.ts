/**
 * `npx tsx bench/kioskStorage.ts [--days 30] [--per-day 1000]`: what the kiosk tablet stores
 * after many days of check-ins ([D6], issue #15 "No day left behind"), in Chromium, with the
 * built app against a real server. Prints Markdown for docs/BENCHMARKS.md.
 *
 * Each simulated day, `--per-day` members identify on the keypad (one check-in each) and the
 * bench waits until the server has acknowledged everything ("All check-ins synced") and the
 * tablet's day databases have settled, then measures what the tablet holds:
 * `navigator.storage.estimate()` (total and its IndexedDB part), every IndexedDB database with
 * the bytes of its records, and the origin's IndexedDB directory on disk.
 *
 * Two runs, each with a fresh server and a fresh browser profile:
 * - **bounded**: the app as built. A delivered day that is no longer today or yesterday is
 *   closed and its database deleted.
 * - **unbounded**: the same app with `indexedDB.deleteDatabase` made a no-op in the page (an
 *   init script), which is the behaviour before [D6]: days were closed and kept forever.
 *
 * Time. The server lets a kiosk open only days from a week back to tomorrow of its own clock
 * ([W3]), so 30 consecutive real days cannot be written against a server on the real clock. This
 * bench runs the server in a child process (this file with `--serve`) and moves that process's
 * clock with the simulated day: its `Date` is replaced by one shifted by a settable offset
 * (`Date.now()` and `new Date()`, which the window, the tokens and the JWT checks read), so the
 * server's "today" is the simulated day. The page gets the same instant with Playwright's clock
 * (`page.clock`), so the kiosk's measured server offset stays ~0. Not in this process:
 * Playwright's clock keeps a log stamped with this process's `Date.now()` and replays it against
 * the page's real clock on every new document, so a shifted `Date` here moves the page's clock
 * by the shift (a first version did, and recorded Monday's check-ins on Saturday). The simulated
 * days are the days ending today, each from 10:00 local time.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildApp, CHROMIUM_PATH, hasChromium } from '../e2e/browser';
import { addDays, instantAt, type LocalDay, localDayOf } from '../shared/localTime';
import {
  activeMember,
  pairKiosk,
  SITE,
  seedSite,
  startTestServer,
  type TestServer,
  ZONE,
} from '../sync-server/testing/testServer';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const DAYS = argument('days', 30);
const PER_DAY = argument('per-day', 1000);
/** Local time of day at which each simulated day's check-ins happen, minutes after midnight. */
const DAY_TIME = 10 * 60;

// --- The server, in a child process whose clock follows the simulated day. ----------------
type Request =
  | { type: 'start'; at: number; members: number }
  | { type: 'clock'; at: number }
  | { type: 'close' };
interface Started {
  readonly base: string;
  readonly kiosk: { deviceId: string; deviceSecret: string };
}

/** The child: a test server on a clock set by the parent. */
async function serve(): Promise<void> {
  const RealDate = Date;
  let shiftMs = 0;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + shiftMs);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return RealDate.now() + shiftMs;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  let server: TestServer | null = null;
  process.on('message', async (request: Request) => {
    if (request.type === 'clock') {
      shiftMs = request.at - RealDate.now();
      process.send?.({ ok: true });
    } else if (request.type === 'start') {
      shiftMs = request.at - RealDate.now();
      const dataDir = mkdtempSync(join(tmpdir(), 'headcount-storage-'));
      server = await startTestServer({ ACCESS_TOKEN_TTL: '3600' }, dataDir, {
        distDir: process.argv[process.argv.indexOf('--serve') + 1] as string,
      });
      const members = Array.from({ length: request.members }, (_, i) =>
        activeMember(String(100_000 + i), `Member${i} Test`),
      );
      await seedSite(server, { timeZone: ZONE, debounceSeconds: 0 }, members);
      const kiosk = await pairKiosk(server, 'Bench');
      const started: Started = {
        base: server.wsUrl.replace('ws', 'http'),
        kiosk: { deviceId: kiosk.deviceId, deviceSecret: kiosk.deviceSecret },
      };
      process.send?.(started);
    } else {
      await server?.close();
      process.exit(0);
    }
  });
}

/** The parent's handle on a child server. */
class ServerProcess {
  private readonly child: ChildProcess;

  constructor(distDir: string) {
    this.child = fork(fileURLToPath(import.meta.url), ['--serve', distDir], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  private ask<T>(request: Request): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`server exited with ${code}`));
      this.child.once('exit', onExit);
      this.child.once('message', (answer) => {
        this.child.off('exit', onExit);
        resolve(answer as T);
      });
      this.child.send(request);
    });
  }

  start(at: number, members: number): Promise<Started> {
    return this.ask({ type: 'start', at, members });
  }

  /** Makes the server's clock read `at` now (and run on from there). */
  async setClock(at: number): Promise<void> {
    await this.ask({ type: 'clock', at });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ type: 'close' } satisfies Request);
    });
  }
}

// --- What the tablet holds. --------------------------------------------------------------
interface Database {
  readonly name: string;
  /** Bytes of its records: stored Yjs updates and the acknowledged state vector. */
  readonly bytes: number;
}

interface Snapshot {
  readonly day: number;
  /** `navigator.storage.estimate().usage`, bytes: everything the origin stores. */
  readonly usage: number;
  /** Its IndexedDB part (`usageDetails.indexedDB`, Chromium). */
  readonly indexedDb: number;
  /** The origin's IndexedDB directory in the profile, bytes on disk. */
  readonly disk: number;
  readonly databases: readonly Database[];
}

/**
 * Runs in the page (a string, so no bundler helpers leak into it). Opening a database that was
 * deleted meanwhile would create it again: such an open is aborted in `onupgradeneeded`.
 */
const MEASURE = `(async () => {
  const estimate = await navigator.storage.estimate();
  const size = (value) =>
    value instanceof ArrayBuffer || ArrayBuffer.isView(value)
      ? value.byteLength
      : JSON.stringify(value ?? null).length;
  const databases = [];
  for (const { name } of await indexedDB.databases()) {
    if (!name) continue;
    const bytes = await new Promise((resolve) => {
      const request = indexedDB.open(name);
      request.onupgradeneeded = () => request.transaction.abort();
      request.onerror = () => resolve(null);
      request.onsuccess = () => {
        const db = request.result;
        const stores = [...db.objectStoreNames];
        if (stores.length === 0) {
          db.close();
          resolve(0);
          return;
        }
        let total = 0;
        const tx = db.transaction(stores, 'readonly');
        for (const store of stores) {
          const cursor = tx.objectStore(store).openCursor();
          cursor.onsuccess = () => {
            const at = cursor.result;
            if (!at) return;
            total += size(at.key) + size(at.value);
            at.continue();
          };
        }
        tx.oncomplete = () => {
          db.close();
          resolve(total);
        };
      };
    });
    if (bytes !== null) databases.push({ name, bytes });
  }
  databases.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    usage: estimate.usage ?? 0,
    indexedDb: estimate.usageDetails?.indexedDB ?? 0,
    databases,
  };
})()`;

/** The pre-[D6] behaviour: a day's database is never deleted (closing it is all that happens). */
const KEEP_EVERY_DATABASE = `(() => {
  IDBFactory.prototype.deleteDatabase = function () {
    const request = { result: undefined, error: null, readyState: 'done' };
    setTimeout(() => request.onsuccess?.({ target: request }), 0);
    return request;
  };
})()`;

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function diskBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return 0;
  }
}

const checkinsDatabases = (databases: readonly Database[]) =>
  databases.filter((db) => db.name.includes(':checkins/'));

async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One member after another identifies on the keypad; returns how many were welcomed in. */
function scanMembers(page: Page, from: number, count: number): Promise<number> {
  return page.evaluate(
    async ({ from, count }) => {
      type App = HTMLElement & { updateComplete: Promise<boolean>; shadowRoot: ShadowRoot };
      const app = document.querySelector('hc-kiosk-app') as App;
      let welcomed = 0;
      for (let i = 0; i < count; i++) {
        const keypad = app.shadowRoot.querySelector('hc-keypad') as HTMLElement;
        keypad.dispatchEvent(
          Object.assign(new Event('keypad-submit', { bubbles: true, composed: true }), {
            value: String(from + i),
          }),
        );
        await app.updateComplete;
        if (app.shadowRoot.querySelector('.result')?.textContent?.includes('Welcome')) welcomed++;
        const done = [...app.shadowRoot.querySelectorAll('.done button')].find(
          (b) => b.textContent?.trim() === 'Done',
        );
        (done as HTMLButtonElement).click();
        await app.updateComplete;
      }
      return welcomed;
    },
    { from, count },
  );
}

const footer = async (page: Page): Promise<string> =>
  (await page
    .getByRole('status', { name: 'Connection' })
    .textContent({ timeout: 2000 })
    .catch(() => '')) ?? '';

async function run(
  distDir: string,
  keepEveryDatabase: boolean,
  log: (line: string) => void,
): Promise<Snapshot[]> {
  const today = localDayOf(Date.now(), ZONE);
  const days: LocalDay[] = Array.from({ length: DAYS }, (_, i) => addDays(today, i - DAYS + 1));
  const first = days[0] as LocalDay;
  const start = instantAt(first, DAY_TIME - 5, ZONE);
  const server = new ServerProcess(distDir);
  const profile = mkdtempSync(join(tmpdir(), 'headcount-storage-profile-'));
  let context: BrowserContext | null = null;
  try {
    const { base, kiosk } = await server.start(start, PER_DAY);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      timezoneId: ZONE,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    // DEBUG_PAGE=1 prints the page's console and errors.
    if (process.env.DEBUG_PAGE) {
      page.on('console', (m) => console.error('page:', m.type(), m.text()));
      page.on('pageerror', (e) => console.error('pageerror:', e.message));
    }
    await page.addInitScript(
      (credential) => localStorage.setItem('headcount.device', JSON.stringify(credential)),
      { deviceId: kiosk.deviceId, deviceSecret: kiosk.deviceSecret, siteId: SITE, name: 'Bench' },
    );
    if (keepEveryDatabase) await page.addInitScript(KEEP_EVERY_DATABASE);
    await server.setClock(start);
    await page.clock.install({ time: start });
    await page.goto(`${base}/kiosk`);
    await until(
      async () => (await footer(page)).includes('All check-ins synced'),
      'the kiosk in sync',
    );
    await until(
      async () =>
        (await page.evaluate(() => localStorage.getItem('headcount.clock'))) !== null &&
        (await page.evaluate(
          () =>
            document.querySelector('hc-kiosk-app')?.shadowRoot?.querySelector('hc-keypad') !== null,
        )),
      'the clock offset and the keypad',
    );
    const indexedDbDir = join(profile, 'Default', 'IndexedDB');
    const measure = async (day: number): Promise<Snapshot> => {
      const inPage = (await page.evaluate(MEASURE)) as Omit<Snapshot, 'day' | 'disk'>;
      return { day, ...inPage, disk: diskBytes(indexedDbDir) };
    };
    // Before the first check-in, once the site document (roster, settings) is stored.
    let before = await measure(0);
    await until(async () => {
      before = await measure(0);
      return before.databases.some((db) => db.name.includes(':site/') && db.bytes > 0);
    }, 'the site document stored');
    const snapshots: Snapshot[] = [before];

    for (const [index, day] of days.entries()) {
      const at = instantAt(day, DAY_TIME, ZONE);
      await server.setClock(at);
      await page.clock.setSystemTime(at);
      const welcomed = await scanMembers(page, 100_000, PER_DAY);
      if (welcomed !== PER_DAY) throw new Error(`${day}: ${welcomed} of ${PER_DAY} checked in`);
      await until(
        async () => (await footer(page)).includes('All check-ins synced'),
        `${day} delivered`,
        120_000,
      ).catch(async (error) => {
        throw new Error(`${(error as Error).message}; the kiosk says: ${await footer(page)}`);
      });
      // Bounded: today and yesterday; unbounded: every day seen, and the day before the first.
      const expected = keepEveryDatabase ? index + 2 : 2;
      let snapshot = await measure(index + 1);
      await until(async () => {
        snapshot = await measure(index + 1);
        return checkinsDatabases(snapshot.databases).length === expected;
      }, `${day}: ${expected} day databases`);
      snapshots.push(snapshot);
      const held = checkinsDatabases(snapshot.databases);
      log(
        `${keepEveryDatabase ? 'unbounded' : 'bounded'} day ${index + 1}/${DAYS} ${day}: ${held.length} day databases, ${kb(sum(held))} in them, estimate ${kb(snapshot.usage)} (IndexedDB ${kb(snapshot.indexedDb)}), disk ${kb(snapshot.disk)}`,
      );
    }
    return snapshots;
  } finally {
    await context?.close();
    await server.close();
  }
}

const sum = (databases: readonly Database[]) => databases.reduce((n, db) => n + db.bytes, 0);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  if (!hasChromium) {
    console.log('Skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH).');
    return;
  }
  const distDir = join(mkdtempSync(join(tmpdir(), 'headcount-storage-dist-')), 'dist');
  await buildApp(distDir);
  const log = (line: string) => console.error(line);
  const bounded = await run(distDir, false, log);
  const unbounded = await run(distDir, true, log);

  const lines: string[] = [];
  const print = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  print(
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
  );
  print();
  print(
    `### Kiosk storage: ${DAYS} days of ${PER_DAY.toLocaleString('en')} check-ins (Chromium, built app, real server)`,
  );
  print();
  print(
    '| after day | run | day databases | their records | all IndexedDB records | estimate: IndexedDB | estimate: total | IndexedDB on disk |',
  );
  print('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const shown = new Set([0, 1, 2, 3, 7, 14, 21, DAYS]);
  for (let day = 0; day <= DAYS; day++) {
    if (!shown.has(day)) continue;
    for (const [label, snapshots] of [
      ['bounded', bounded],
      ['unbounded', unbounded],
    ] as const) {
      const s = snapshots[day];
      if (!s) continue;
      const held = checkinsDatabases(s.databases);
      print(
        `| ${day} | ${label} | ${held.length} | ${kb(sum(held))} | ${kb(sum(s.databases))} | ${kb(s.indexedDb)} | ${kb(s.usage)} | ${kb(s.disk)} |`,
      );
    }
  }
  print();
  const last = (snapshots: Snapshot[]) => snapshots[snapshots.length - 1] as Snapshot;
  const perDay = checkinsDatabases(last(unbounded).databases)
    .map((db) => db.bytes)
    .filter((bytes) => bytes > 0);
  const median = [...perDay].sort((a, b) => a - b)[Math.floor(perDay.length / 2)] ?? 0;
  print(
    `One day of ${PER_DAY.toLocaleString('en')} check-ins holds ${kb(median)} of records (median over the unbounded run's days). After ${DAYS} days the bounded tablet holds ${kb(last(bounded).indexedDb)} of IndexedDB by the estimate (${kb(last(bounded).disk)} on disk), the unbounded one ${kb(last(unbounded).indexedDb)} (${kb(last(unbounded).disk)} on disk).`,
  );
  print();
  print('Databases at the end (bounded run):');
  print();
  for (const db of last(bounded).databases) print(`- \`${db.name}\`: ${kb(db.bytes)}`);
  print();
}

if (process.argv.includes('--serve')) await serve();
else await main();
