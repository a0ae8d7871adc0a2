/**
 * `npm run bench`: measures the document model and the derivations and prints Markdown for
 * docs/BENCHMARKS.md. Timings are medians of repeated runs after warm-up; they vary by machine,
 * so the command and machine are printed with them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as Y from 'yjs';
import { buildApp } from '../e2e/browser';
import { type RawEntry, readEntries, recordEvent, watchEntries } from '../shared/checkinsDoc';
import { DayLedger } from '../shared/DayLedger';
import { deriveDay } from '../shared/deriveDay';
import { newEventId } from '../shared/eventId';
import { dayWindow } from '../shared/localTime';
import { measureDashboardUpdate } from './dashboardUpdate';
import { BENCH_DAY, BENCH_ZONE, recordDay, syntheticDay } from './dayGenerator';
import { measureHttpEdge, printHttpEdge } from './httpEdge';
import { measureIntegrations, printIntegrations } from './integrations';
import { measureKioskTap } from './kioskTap';
import { pageScripts } from './pageScripts';
import type { Percentiles } from './percentiles';
import { measurePublicOccupancy, printPublicOccupancy } from './publicOccupancy';
import { measureRoster, printRoster } from './roster';
import { measureServerRecord } from './serverRecord';
import { measureServerUpdates, printServerComparison } from './serverUpdates';

const config = {
  day: BENCH_DAY,
  timeZone: BENCH_ZONE,
  maxStayMs: 4 * 3_600_000,
  closingTime: '23:00',
  debounceMs: 120_000,
};
const now = dayWindow(BENCH_DAY, BENCH_ZONE).start + 23.5 * 3_600_000;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(run: () => void, repeats: number): number {
  for (let i = 0; i < Math.min(3, repeats); i++) run();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const fmt = (ms: number, digits = 2) => ms.toFixed(digits);
const lines: string[] = [];
const print = (line = '') => {
  lines.push(line);
  console.log(line);
};

print(
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`,
);
print();

/** Encoded bytes at 5 000 visits a day. */
function measureSize(): void {
  print('### Document size (5 000 visits a day, three kiosks, three sessions each)');
  print();
  print('| content | events | encoded update (v1) | bytes per event | bytes per visit |');
  print('| --- | ---: | ---: | ---: | ---: |');
  const visits = 5000;
  const pairs = syntheticDay(visits * 3)
    .filter((e) => e.event.kind === 'checkIn')
    .slice(0, visits);
  const checkInsOnly = recordDay(pairs);
  const size1 = Y.encodeStateAsUpdate(checkInsOnly).length;
  print(
    `| check-ins only | ${visits} | ${size1} B | ${fmt(size1 / visits, 1)} | ${fmt(size1 / visits, 1)} |`,
  );
  const withOut = pairs.flatMap((e) => [
    e,
    {
      ...e,
      event: { kind: 'checkOut' as const, memberId: (e.event as { memberId: string }).memberId },
      at: e.at + 3_600_000,
    },
  ]);
  withOut.sort((a, b) => a.at - b.at);
  const both = recordDay(withOut);
  const size2 = Y.encodeStateAsUpdate(both).length;
  print(
    `| check-in + check-out | ${withOut.length} | ${size2} B | ${fmt(size2 / withOut.length, 1)} | ${fmt(size2 / visits, 1)} |`,
  );
  print();
}

/** Full derivation from a loaded document. */
function measureFull(): void {
  print('### Full derivation from a loaded document');
  print();
  print(
    '`readEntries` walks the Y.Doc; "numbers" is a fresh `DayLedger` filled with every entry plus',
  );
  print(
    '`stats(now)` (what a dashboard does on open); `deriveDay` also lists every flag, problem and visit.',
  );
  print();
  print('| events | readEntries | numbers | deriveDay |');
  print('| ---: | ---: | ---: | ---: |');
  for (const n of [1_000, 10_000, 100_000]) {
    const doc = recordDay(syntheticDay(n));
    const entries = readEntries(doc, BENCH_DAY);
    const repeats = n >= 100_000 ? 7 : 25;
    const read = time(() => readEntries(doc, BENCH_DAY), repeats);
    const numbers = time(() => {
      const ledger = new DayLedger(config);
      ledger.add(entries);
      ledger.stats(now);
    }, repeats);
    const derive = time(() => deriveDay(config, entries, now), repeats);
    print(
      `| ${n.toLocaleString('en')} | ${fmt(read)} ms | ${fmt(numbers)} ms | ${fmt(derive)} ms |`,
    );
  }
  print();
}

/** Incremental cost per new event as the day grows. */
function measureIncremental(): void {
  print('### Incremental: one new check-in or check-out on a day that already holds N events');
  print();
  print('| N | ledger.add (1 entry) | Yjs update → watcher → ledger | stats(now) after it |');
  print('| ---: | ---: | ---: | ---: |');
  for (const n of [1_000, 10_000, 50_000, 100_000]) {
    const day = syntheticDay(n + 2000, 7);
    const base = day.slice(0, n);
    const extra = day.slice(n);
    const dashboard = recordDay(base);
    const ledger = new DayLedger(config);
    ledger.add(readEntries(dashboard, BENCH_DAY));

    // Ledger only: entries prepared in a side document.
    const side = new Y.Doc();
    Y.applyUpdate(side, Y.encodeStateAsUpdate(dashboard));
    // The watcher hands over exactly the entries each new scan adds.
    const fresh: RawEntry[] = [];
    watchEntries(side, BENCH_DAY, (added) => fresh.push(...added));
    for (const e of extra.slice(0, 1000)) {
      recordEvent(side, e.writer, e.event, {
        id: newEventId(e.at),
        at: e.at,
        clockTrusted: true,
        method: 'qr',
      });
    }
    const t0 = performance.now();
    for (const entry of fresh) ledger.add([entry]);
    const ledgerPerEvent = (performance.now() - t0) / fresh.length;

    // End to end: a kiosk's update arrives, the watcher extracts the entry, the ledger applies it.
    const kiosk = new Y.Doc();
    Y.applyUpdate(kiosk, Y.encodeStateAsUpdate(dashboard));
    const live = new DayLedger(config);
    live.add(readEntries(dashboard, BENCH_DAY));
    watchEntries(dashboard, BENCH_DAY, (added, removed) => {
      live.add(added);
      live.remove(removed);
    });
    const updates: Uint8Array[] = [];
    kiosk.on('update', (u: Uint8Array) => updates.push(u));
    for (const e of extra.slice(1000, 2000)) {
      recordEvent(kiosk, e.writer, e.event, {
        id: newEventId(e.at),
        at: e.at,
        clockTrusted: true,
        method: 'qr',
      });
    }
    const t1 = performance.now();
    for (const u of updates) Y.applyUpdate(dashboard, u);
    const endToEnd = (performance.now() - t1) / updates.length;
    const stats = time(() => live.stats(now), 20);
    print(
      `| ${n.toLocaleString('en')} | ${fmt(ledgerPerEvent, 3)} ms | ${fmt(endToEnd, 3)} ms | ${fmt(stats)} ms |`,
    );
  }
  print();
}

/**
 * JavaScript each page loads at start, and what it loads later (issue #4: kiosk ≤ 60 KB gzip;
 * the dashboard issue: ≤ 80 KB gzip).
 */
function measureBundles(distDir: string): void {
  const size = (file: string) => {
    const bytes = readFileSync(join(distDir, file));
    return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const label = (file: string) => file.replace(/-[\w-]{8}\.js$/, '.js');
  const pages = [
    ['Kiosk', 'kiosk/index.html'],
    ['Dashboard', 'kiosk/dashboard/index.html'],
  ] as const;
  for (const [title, html] of pages) {
    // registerSW({ immediate: true }) imports workbox-window as soon as the page starts.
    const { atStart, later } = pageScripts(distDir, html, /workbox-window/);
    print(`### ${title} bundle (production build, gzip -9)`);
    print();
    print('| file | raw | gzip |');
    print('| --- | ---: | ---: |');
    let total = 0;
    for (const file of atStart) {
      const { raw, gzip } = size(file);
      total += gzip;
      print(`| ${label(file)} | ${kb(raw)} | ${kb(gzip)} |`);
    }
    print(`| **page JavaScript at start** | | **${kb(total)}** |`);
    for (const files of later.values()) {
      const sizes = files.map(size);
      const sum = (key: 'raw' | 'gzip') => sizes.reduce((n, s) => n + s[key], 0);
      print(
        `| loaded later: ${files.map(label).join(' + ')} | ${kb(sum('raw'))} | ${kb(sum('gzip'))} |`,
      );
    }
    print();
  }
  const sw = size('sw.js');
  print(`Service worker \`sw.js\` (not page JavaScript): ${kb(sw.raw)}, ${kb(sw.gzip)} gzip.`);
  print();
}

/** Tap → confirmation on the kiosk in Chromium. */
async function measureTap(distDir: string): Promise<void> {
  const times = await measureKioskTap(distDir);
  print('### Kiosk: tap → confirmation (Chromium, built app, real server)');
  print();
  if (!times) {
    print('Skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH).');
    print();
    return;
  }
  const row = (name: string, t: { p50: number; p95: number; max: number }) =>
    print(`| ${name} | ${fmt(t.p50, 1)} ms | ${fmt(t.p95, 1)} ms | ${fmt(t.max, 1)} ms |`);
  print(`${times.samples} members identify one after another on the keypad.`);
  print();
  print('| measured until | p50 | p95 | max |');
  print('| --- | ---: | ---: | ---: |');
  row('confirmation in the DOM', times.rendered);
  row('the next animation frame', times.framed);
  print();
}

/** A new check-in on the dashboard with a 10 000-event day loaded, in Chromium. */
async function measureDashboard(distDir: string): Promise<void> {
  const times = await measureDashboardUpdate(distDir);
  print(
    '### Dashboard: a new check-in with a 10 000-event day loaded (Chromium, built app, real server)',
  );
  print();
  if (!times) {
    print('Skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH).');
    print();
    return;
  }
  print(
    `${times.samples} check-ins per screen, one after another, written by a kiosk's provider in Node into today's document of ${times.events.toLocaleString('en')} events (the synthetic day squeezed into 00:00–${times.until}). The dashboard runs on a 360 × 780 phone page, signed in as staff, with ${times.currentlyIn} people on the "In the gym" list. Times run from the update's WebSocket message reaching the page.`,
  );
  print();
  print('| screen | measured until | p50 | p95 | max |');
  print('| --- | --- | ---: | ---: | ---: |');
  const row = (screen: string, until: string, t: Percentiles, digits = 1) =>
    print(
      `| ${screen} | ${until} | ${fmt(t.p50, digits)} ms | ${fmt(t.p95, digits)} ms | ${fmt(t.max, digits)} ms |`,
    );
  for (const [screen, shown, t] of [
    ['Now', 'numbers in the DOM', times.now],
    ['Activity', 'newest feed item in the DOM', times.activity],
  ] as const) {
    row(screen, "numbers and feed derived (the controller's `change`)", t.derived);
    row(screen, shown, t.rendered);
    row(screen, 'the next animation frame', t.framed);
  }
  row(
    'Node, same ledger',
    '`add(entry)` + `stats(now, { roster, feedSize: 50 })`',
    times.ledger,
    2,
  );
  print();
}

/** The server's record per store of a 10 000-entry day, incremental against a full rewrite. */
async function measureRecord(): Promise<void> {
  const cost = await measureServerRecord();
  print('### Server record: one store of a 10 000-entry day (issue 14, [R2], [R3])');
  print();
  print(
    `${cost.entries.toLocaleString('en')} entries in the day's document; SQLite in WAL mode in a temp dir. "Longest slice" is the longest synchronous stretch on the event loop between two yields.`,
  );
  print();
  print('| what | p50 | p95 | max | longest slice | longest GC pause meanwhile |');
  print('| --- | ---: | ---: | ---: | ---: | ---: |');
  print(
    `| first store after a start (ledger built, every row written) | ${fmt(cost.buildWallMs, 0)} ms | | | ${fmt(cost.buildLongestSliceMs, 1)} ms | ${fmt(cost.buildLongestGcMs, 1)} ms |`,
  );
  print(
    `| a later store with ${cost.batch} new entries (incremental) | ${fmt(cost.follow.p50)} ms | ${fmt(cost.follow.p95)} ms | ${fmt(cost.follow.max)} ms | ${fmt(cost.followLongestSliceMs, 1)} ms | ${fmt(cost.followLongestGcMs, 1)} ms |`,
  );
  print(
    `| the whole day rebuilt (what every store did before) | ${fmt(cost.rewrite.p50, 0)} ms | ${fmt(cost.rewrite.p95, 0)} ms | ${fmt(cost.rewrite.max, 0)} ms | | |`,
  );
  print();
}

if (process.argv.includes('--record')) {
  // `npm run bench -- --record`: only the server record per store (issue 14), ~30 seconds.
  await measureRecord();
  process.exit(0);
}
if (process.argv.includes('--http')) {
  // `npm run bench -- --http`: only the HTTP edge before/after Fastify (issue #10), ~4 minutes.
  printHttpEdge(print, await measureHttpEdge({ log: console.error }));
  process.exit(0);
}
if (process.argv.includes('--integrations')) {
  // `npm run bench -- --integrations`: member sync and webhooks (issue 13), ~5 minutes.
  printIntegrations(print, await measureIntegrations({ log: console.error }));
  process.exit(0);
}
if (process.argv.includes('--public')) {
  // `npm run bench -- --public`: only the public "how busy" answer under a flood ([P3]), ~1 minute.
  printPublicOccupancy(print, await measurePublicOccupancy({ log: console.error }));
  process.exit(0);
}
if (process.argv.includes('--roster')) {
  // `npm run bench -- --roster`: only the chain roster ([D7]), 5 000 and 50 000 members.
  printRoster(print, await measureRoster({ log: console.error }));
  process.exit(0);
}
if (process.argv.includes('--server')) {
  // `npm run bench -- --server`: only the server comparison (issue #9), about three minutes.
  printServerComparison(print, await measureServerUpdates({ log: console.error }));
  process.exit(0);
}
measureSize();
measureFull();
measureIncremental();
await measureRecord();
// One production build of the app serves the size and the browser measurements.
const distDir = join(mkdtempSync(join(tmpdir(), 'headcount-bench-')), 'dist');
await buildApp(distDir);
measureBundles(distDir);
await measureTap(distDir);
await measureDashboard(distDir);
