/**
 * Tap → confirmation on the kiosk, in Chromium (issue #4 target: p95 ≤ 16 ms, one frame).
 * The built app runs against a real server; each sample is one member identifying on the
 * keypad: the decision, the write into the Yjs document (IndexedDB and sync follow
 * asynchronously) and Lit's render of the confirmation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasChromium, launchChromium } from '../e2e/browser';
import {
  activeMember,
  pairKiosk,
  SITE,
  seedSite,
  startTestServer,
  ZONE,
} from '../sync-server/testing/testServer';
import { type Percentiles, percentiles } from './percentiles';

export interface TapTimes {
  readonly samples: number;
  /** Tap until the confirmation is in the DOM, ms. */
  readonly rendered: Percentiles;
  /** Tap until the next animation frame after that, ms. */
  readonly framed: Percentiles;
}

/** `distDir` holds the built app (`buildApp`). */
export async function measureKioskTap(distDir: string, samples = 200): Promise<TapTimes | null> {
  if (!hasChromium) return null;
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-tap-'));
  const server = await startTestServer({}, dataDir, { distDir });
  const browser = await launchChromium();
  try {
    const members = Array.from({ length: samples }, (_, i) =>
      activeMember(String(5000 + i), `Member${i} Test`),
    );
    await seedSite(server, { timeZone: ZONE }, members);
    const kiosk = await pairKiosk(server);
    const page = await (await browser.newContext()).newPage();
    await page.addInitScript(
      (credential) => {
        localStorage.setItem('headcount.device', JSON.stringify(credential));
      },
      { deviceId: kiosk.deviceId, deviceSecret: kiosk.deviceSecret, siteId: SITE, name: 'Bench' },
    );
    await page.goto(`${server.wsUrl.replace('ws', 'http')}/kiosk`);
    await page.getByRole('button', { name: 'OK, check in or out' }).waitFor();
    // Let the roster and the day's documents arrive from the server before measuring.
    await page.waitForTimeout(500);
    const times = await page.evaluate(async (n) => {
      type App = HTMLElement & { updateComplete: Promise<boolean>; shadowRoot: ShadowRoot };
      const app = document.querySelector('hc-kiosk-app') as App;
      const rendered: number[] = [];
      const framed: number[] = [];
      for (let i = 0; i < n; i++) {
        const keypad = app.shadowRoot.querySelector('hc-keypad') as HTMLElement;
        const tap = performance.now();
        keypad.dispatchEvent(
          Object.assign(new Event('keypad-submit', { bubbles: true, composed: true }), {
            value: String(5000 + i),
          }),
        );
        await app.updateComplete;
        rendered.push(performance.now() - tap);
        await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
        framed.push(performance.now() - tap);
        const done = [...app.shadowRoot.querySelectorAll('.done button')].find(
          (b) => b.textContent?.trim() === 'Done',
        );
        (done as HTMLButtonElement).click();
        await app.updateComplete;
      }
      return { rendered, framed };
    }, samples);
    return {
      samples,
      rendered: percentiles(times.rendered),
      framed: percentiles(times.framed),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
