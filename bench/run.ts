/**
 * `npm run bench`: measures the document model and the derivations and prints Markdown for
 * docs/BENCHMARKS.md. Timings are medians of repeated runs after warm-up; they vary by machine,
 * so the command and machine are printed with them.
 */
import { cpus, totalmem } from 'node:os';
import * as Y from 'yjs';
import { type RawEntry, readEntries, recordEvent, watchEntries } from '../shared/checkinsDoc';
import { DayLedger } from '../shared/DayLedger';
import { deriveDay } from '../shared/deriveDay';
import { newEventId } from '../shared/eventId';
import { dayWindow } from '../shared/localTime';
import { BENCH_DAY, BENCH_ZONE, recordDay, syntheticDay } from './dayGenerator';
import { measureKioskTap } from './kioskTap';

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

/** Kiosk JavaScript shipped to a tablet (issue #4 target: ≤ 60 KB gzip). */
async function measureBundle(): Promise<void> {
  const { mkdtempSync, readdirSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { gzipSync } = await import('node:zlib');
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'headcount-bundle-'));
  process.env.NODE_ENV = 'production';
  await build({ logLevel: 'silent', mode: 'production', build: { outDir, emptyOutDir: true } });
  print('### Kiosk bundle (production build, gzip -9)');
  print();
  print('| file | raw | gzip |');
  print('| --- | ---: | ---: |');
  let total = 0;
  let lazy = 0;
  const files = [
    ...readdirSync(join(outDir, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => join('assets', f)),
    'sw.js',
  ];
  for (const file of files) {
    const bytes = readFileSync(join(outDir, file));
    const gz = gzipSync(bytes, { level: 9 }).length;
    // The barcode reader (ponyfill and its loader) is fetched only when the camera is first used.
    if (/ponyfill|zxing/.test(file)) lazy += gz;
    else if (file !== 'sw.js') total += gz;
    print(
      `| ${file.replace(/-[\w-]{8}\.js$/, '.js')} | ${(bytes.length / 1024).toFixed(1)} KB | ${(gz / 1024).toFixed(1)} KB |`,
    );
  }
  print(`| **page JavaScript at start** | | **${(total / 1024).toFixed(1)} KB** |`);
  print(
    `| loaded with the camera (plus the 1.1 MB reader wasm) | | ${(lazy / 1024).toFixed(1)} KB |`,
  );
  print();
}

/** Tap → confirmation on the kiosk in Chromium. */
async function measureTap(): Promise<void> {
  const times = await measureKioskTap();
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

measureSize();
measureFull();
measureIncremental();
await measureBundle();
await measureTap();
