/**
 * A new check-in on the staff dashboard with a 10 000-event day loaded, in Chromium (issue
 * target: the numbers and the feed updated within 16 ms of the update arriving). The built app
 * runs against a real server on a phone-sized page; a kiosk's provider in Node writes each
 * check-in into today's document, and the page times the DOM change from the moment the update's
 * WebSocket message reached it: Yjs, the ledger, `stats`, IndexedDB bookkeeping and Lit's render.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { hasChromium, launchChromium } from '../e2e/browser';
import { type RawEntry, readEntries, watchEntries } from '../shared/checkinsDoc';
import { DayLedger } from '../shared/DayLedger';
import { dayConfigFor } from '../shared/deriveDay';
import { checkinsDocName } from '../shared/docName';
import { dayWindow, localDayOf } from '../shared/localTime';
import type { Member } from '../shared/member';
import { DEFAULT_SETTINGS } from '../shared/siteDoc';
import {
  activeMember,
  connect,
  kioskCheckIn,
  pairKiosk,
  SITE,
  seedSite,
  startTestServer,
  until,
  ZONE,
} from '../sync-server/testing/testServer';
import {
  BENCH_DAY,
  BENCH_ZONE,
  recordDay,
  type SyntheticEvent,
  syntheticDay,
} from './dayGenerator';
import { type Percentiles, percentiles } from './percentiles';

export interface DashboardTimes {
  readonly samples: number;
  readonly events: number;
  /** Local time up to which the day was filled, with the zone. */
  readonly until: string;
  /** People on the "In the gym" list when the measurement began. */
  readonly currentlyIn: number;
  /** Per screen, from the update's message reaching the page, ms. */
  readonly now: ScreenTimes;
  readonly activity: ScreenTimes;
  /** The same ledger in Node: `add(entry)` + `stats(now, { roster, feedSize: 50 })`, ms. */
  readonly ledger: Percentiles;
}

const PASSWORD = 'correct horse battery';
const PHONE = { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true };

/** What the init script and the probes keep on `window`. */
interface Probe {
  benchArrivals: number[];
  benchResult: Promise<Sample>;
}

/** One check-in, times since its message arrived, ms. */
interface Sample {
  /** The controller's `change` event: numbers and feed derived. */
  readonly derived: number;
  /** The screen's DOM shows the check-in. */
  readonly rendered: number;
  /** The next animation frame after that. */
  readonly framed: number;
}

export interface ScreenTimes {
  readonly derived: Percentiles;
  readonly rendered: Percentiles;
  readonly framed: Percentiles;
}

export async function measureDashboardUpdate(
  distDir: string,
  samples = 200,
  events = 10_000,
): Promise<DashboardTimes | null> {
  if (!hasChromium) return null;
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-dashboard-bench-'));
  const server = await startTestServer({}, dataDir, { distDir });
  const browser = await launchChromium();
  try {
    const front = await pairKiosk(server, 'Front');
    const back = await pairKiosk(server, 'Back');
    const side = await pairKiosk(server, 'Side');
    const now = Date.now();
    const today = localDayOf(now, ZONE);
    const day = squeezedIntoToday(syntheticDay(events), now, {
      front: front.deviceId,
      back: back.deviceId,
      side: side.deviceId,
    });
    const newcomers = Array.from({ length: 2 * samples }, (_, i) =>
      activeMember(`B${1000 + i}`, `Bench${i} Member`),
    );
    const roster = new Map<string, Member>(
      [...new Set(day.map((e) => (e.event as { memberId: string }).memberId))]
        .map((id) => activeMember(id, `Member ${id}`))
        .concat(newcomers)
        .map((m) => [m.id, m]),
    );
    await seedSite(server, { timeZone: ZONE }, [...roster.values()]);

    // The day as the server holds it once every kiosk delivered its own entries (each writes only
    // its own array, [W1]); the front kiosk holds it too and stays connected to write the
    // measured check-ins.
    const name = checkinsDocName(SITE, today);
    const recorded = recordDay(day);
    await server.server.documents.store(name, Y.encodeStateAsUpdate(recorded));
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(recorded));
    const kiosk = connect(server, name, front.token, copy);
    await kiosk.outcome;
    const serverDoc = () => server.server.hocuspocus.documents.get(name);
    await until(
      () => {
        const doc = serverDoc();
        return doc !== undefined && readEntries(doc, today).length >= events;
      },
      'the day on the server',
      30_000,
    );
    const ledger = new DayLedger(dayConfigFor({ ...DEFAULT_SETTINGS, timeZone: ZONE }, today));
    ledger.add(readEntries(kiosk.doc, today));
    const expectedVisits = ledger.stats(Date.now()).visitsToday;
    const fresh: RawEntry[] = [];
    watchEntries(kiosk.doc, today, (added) => fresh.push(...added));

    await server.server.staff.create({
      username: 'bench-desk',
      password: PASSWORD,
      role: 'staff',
      siteId: SITE,
    });
    const context = await browser.newContext(PHONE);
    await context.addInitScript(() => {
      const arrivals: number[] = [];
      (window as unknown as Probe).benchArrivals = arrivals;
      const Native = WebSocket;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          // Added before the app sets its handler, so this runs first for every message.
          this.addEventListener('message', () => arrivals.push(performance.now()));
        }
      };
    });
    const page = await context.newPage();
    await page.goto(`${server.wsUrl.replace('ws', 'http')}/dashboard`);
    await page.getByLabel('Username').fill('bench-desk');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const visits = page.locator('.tile', { hasText: 'Visits today' }).locator('.value');
    await until(
      async () =>
        (await visits.textContent({ timeout: 1000 }).catch(() => null)) === String(expectedVisits),
      'the day on the dashboard',
      60_000,
    );
    const currentlyIn = Number(await page.locator('.tile.current .value').textContent());
    // Let the page settle (IndexedDB writes of the loaded day, the kiosk list) before measuring.
    await page.waitForTimeout(1000);

    let next = 0;
    const measure = async (screen: 'now' | 'activity'): Promise<ScreenTimes> => {
      const times: Sample[] = [];
      for (let i = 0; i < samples; i++) {
        const member = newcomers[next++] as Member;
        await page.evaluate(arm, { screen, name: member.name });
        kioskCheckIn(kiosk.doc, front.deviceId, member.id);
        times.push(await page.evaluate(() => (window as unknown as Probe).benchResult));
      }
      return {
        derived: percentiles(times.map((t) => t.derived)),
        rendered: percentiles(times.map((t) => t.rendered)),
        framed: percentiles(times.map((t) => t.framed)),
      };
    };
    const nowScreen = await measure('now');
    await page
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('button', { name: 'Activity' })
      .click();
    await page.locator('ol[aria-label="Newest first"] > li').first().waitFor();
    await page.waitForTimeout(500);
    const activity = await measure('activity');

    // The same work in Node, on the same entries: what the dashboard does per update, minus
    // Yjs, IndexedDB and rendering.
    const ledgerTimes = fresh.map((entry) => {
      const t0 = performance.now();
      ledger.add([entry]);
      ledger.stats(Date.now(), { roster, feedSize: 50 });
      return performance.now() - t0;
    });
    kiosk.destroy();
    return {
      samples,
      events,
      until: `${new Date(now).toLocaleTimeString('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' })} ${ZONE}`,
      currentlyIn,
      now: nowScreen,
      activity,
      ledger: percentiles(ledgerTimes),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * Runs in the page before each check-in: watches the screen's shadow DOM and resolves
 * `benchResult` when it shows the check-in — the numbers change ("Now") or the newest feed item
 * names the member ("Activity") — with the times since the last WebSocket message.
 */
function arm({ screen, name }: { screen: 'now' | 'activity'; name: string }): void {
  const probe = window as unknown as Probe;
  const app = document.querySelector('hc-dashboard-app');
  const view = app?.shadowRoot?.querySelector(
    screen === 'now' ? 'hc-live-view' : 'hc-activity-view',
  );
  const root = view?.shadowRoot;
  if (!app?.controller || !root) throw new Error(`no ${screen} screen`);
  // The last `change` before the DOM changes came in the same task as the update's message.
  let derived: number | undefined;
  const listening = new AbortController();
  app.controller.addEventListener(
    'change',
    () => {
      derived = performance.now();
    },
    { signal: listening.signal },
  );
  // No named functions in here: tsx would wrap them in a helper the page does not have.
  const selector = screen === 'now' ? '.tiles' : 'ol[aria-label="Newest first"] > li';
  const before = root.querySelector(selector)?.textContent;
  probe.benchArrivals.length = 0;
  probe.benchResult = new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error('no update within 10 s')), 10_000);
    const observer = new MutationObserver(() => {
      const changed = performance.now();
      // Without a message since arming, this is the dashboard's own 30 s refresh: not ours.
      const arrived = probe.benchArrivals.at(-1);
      const text = root.querySelector(selector)?.textContent ?? '';
      if (arrived === undefined || (screen === 'now' ? text === before : !text.includes(name)))
        return;
      observer.disconnect();
      listening.abort();
      clearTimeout(timeout);
      requestAnimationFrame(() =>
        resolve({
          derived: (derived ?? changed) - arrived,
          rendered: changed - arrived,
          framed: performance.now() - arrived,
        }),
      );
    });
    observer.observe(root, { subtree: true, childList: true, characterData: true });
  });
}

/**
 * The synthetic day squeezed into today so far (midnight to a minute ago, in the site's zone),
 * written by the paired kiosks, so every event is in the past of the dashboard's `now`.
 */
function squeezedIntoToday(
  day: readonly SyntheticEvent[],
  now: number,
  kioskIds: Record<string, string>,
): SyntheticEvent[] {
  const from = dayWindow(BENCH_DAY, BENCH_ZONE).start;
  const to = dayWindow(localDayOf(now, ZONE), ZONE).start;
  const scale = Math.max(60_000, now - 60_000 - to) / 86_400_000;
  return day.map((e) => ({
    writer: { role: 'kiosk', id: kioskIds[e.writer.id] ?? e.writer.id },
    event: e.event,
    at: Math.round(to + (e.at - from) * scale),
  }));
}
