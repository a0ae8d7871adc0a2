import axe from 'axe-core';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { KioskStatus, ScanResult } from '../KioskController';
import './hc-kiosk-app';
import type { KioskPort } from './hc-kiosk-app';

afterEach(() => {
  document.body.replaceChildren();
});

const WELCOME: ScanResult = { decision: { action: 'check-in', alerts: [] }, firstName: 'Ana' };

/**
 * A paired, online kiosk that records nothing: enough to exercise the screen itself. `changes`
 * alter its status (an archived site, check-ins waiting); every scan gets `result`.
 */
function standIn(
  changes: Partial<KioskStatus> = {},
  result: ScanResult = WELCOME,
): KioskPort & { scans: string[] } {
  const target = new EventTarget();
  const scans: string[] = [];
  const status: KioskStatus = {
    paired: true,
    online: true,
    pending: 0,
    oldestPendingAt: null,
    tooOld: 0,
    revoked: false,
    archived: false,
    elsewhere: false,
    lastSyncedAt: null,
    rosterComplete: true,
    ...changes,
  };
  return Object.assign(target, {
    scans,
    status,
    deviceName: 'Front door',
    timeZone: 'Europe/Amsterdam',
    scan(input: string): ScanResult {
      scans.push(input);
      return result;
    },
    pair: async () => {},
    search: (query: string) => (query.length >= 3 ? [{ id: '1042', label: 'Ana L.' }] : []),
  }) as unknown as KioskPort & { scans: string[] };
}

async function mount(
  idleMs: number,
  warningMs: number,
  status: Partial<KioskStatus> = {},
  result?: ScanResult,
) {
  const app = document.createElement('hc-kiosk-app');
  app.controller = standIn(status, result);
  app.idleMs = idleMs;
  app.warningMs = warningMs;
  document.body.append(app);
  await app.updateComplete;
  return app;
}

/** Serious and critical WCAG A/AA violations on the page now (axe-core). */
async function seriousViolations(): Promise<string[]> {
  const { violations } = await axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'],
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id);
}

const display = () => page.getByRole('status', { name: 'Member number' });

describe('hc-kiosk-app', () => {
  it('asks "Still there?" about a half-typed number, keeps it on one tap, and clears it otherwise', async () => {
    await mount(300, 1_000);
    await page.getByRole('button', { name: '4', exact: true }).click();
    await page.getByRole('button', { name: '2', exact: true }).click();
    await expect.element(page.getByRole('alertdialog', { name: 'Still there?' })).toBeVisible();
    expect(await seriousViolations()).toEqual([]);
    await page.getByRole('button', { name: "I'm still here" }).click();
    await expect.element(page.getByRole('alertdialog')).not.toBeInTheDocument();
    await expect.element(display()).toHaveTextContent('42');

    await expect.element(page.getByRole('alertdialog', { name: 'Still there?' })).toBeVisible();
    await expect
      .poll(async () => (await display().element().textContent)?.trim(), { timeout: 3_000 })
      .toBe('');
    await expect.element(page.getByRole('alertdialog')).not.toBeInTheDocument();
  });

  it('shows the result and goes back to the keypad on Done', async () => {
    await mount(30_000, 20_000);
    await page.getByRole('button', { name: '7', exact: true }).click();
    await page.getByRole('button', { name: 'OK, check in or out' }).click();
    await expect.element(page.getByText('Welcome, Ana')).toBeVisible();
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.element(page.getByRole('button', { name: 'OK, check in or out' })).toBeVisible();
  });

  it('finds a member by name after three letters and checks them in', async () => {
    const app = await mount(30_000, 20_000);
    await page.getByRole('button', { name: 'Search by name' }).click();
    await page.getByLabelText('Your name (3 letters or more)').fill('an');
    await expect.element(page.getByRole('button', { name: 'Ana L.' })).not.toBeInTheDocument();
    await page.getByLabelText('Your name (3 letters or more)').fill('ana');
    await page.getByRole('button', { name: 'Ana L.' }).click();
    await expect.element(page.getByText('Welcome, Ana')).toBeVisible();
    expect((app.controller as unknown as { scans: string[] }).scans).toEqual(['1042']);
  });

  it('[K4] says a card it does not know is not recognised here and sends the member to the desk', async () => {
    await mount(
      30_000,
      20_000,
      {},
      {
        decision: {
          action: 'deny',
          reason: 'unknown',
          alerts: [{ kind: 'unknown', action: 'deny' }],
        },
        firstName: null,
      },
    );
    await page.getByRole('button', { name: '9', exact: true }).click();
    await page.getByRole('button', { name: 'OK, check in or out' }).click();
    // A member of another club who is not admitted here ([M5]) is unknown at this kiosk: the
    // words must not say the card is invalid, only that it is not known here.
    const alert = page.getByRole('alert');
    await expect.element(alert).toHaveTextContent(/not recognised here/);
    await expect.element(alert).toHaveTextContent(/ask at the desk/);
    await expect.element(alert).toHaveTextContent(/members of our other clubs/);
    expect(await seriousViolations()).toEqual([]);
  });

  it('[K3] says it is still getting the member list, in its status and when a number is not found yet', async () => {
    await mount(
      30_000,
      20_000,
      { online: false, rosterComplete: false },
      { decision: { action: 'roster-loading' }, firstName: null },
    );
    await expect
      .element(page.getByRole('status', { name: 'Connection' }))
      .toHaveTextContent(/Getting the member list/);
    await page.getByRole('button', { name: '7', exact: true }).click();
    await page.getByRole('button', { name: 'OK, check in or out' }).click();
    const answer = page.getByRole('status').filter({ hasText: 'still getting the member list' });
    await expect.element(answer).toHaveTextContent(/try again in a moment/);
    // Not an alert: nothing is wrong with the member's card.
    expect(page.getByText('not recognised here').query()).toBeNull();
    expect(await seriousViolations()).toEqual([]);
  });

  it('[C2] says calmly that the club is archived, takes no check-in, and counts what waits on the tablet', async () => {
    const app = await mount(30_000, 20_000, {
      archived: true,
      online: false,
      pending: 2,
      oldestPendingAt: Date.now() - 60_000,
    });

    await expect
      .element(page.getByRole('status').filter({ hasText: 'archived in Headcount' }))
      .toHaveTextContent('This club is archived in Headcount — check-ins are not taken here');
    expect(page.getByRole('button', { name: 'OK, check in or out' }).query()).toBeNull();
    expect(page.getByRole('button', { name: 'Search by name' }).query()).toBeNull();
    // A scanner's burst (a wedge types fast, then Enter) records nothing.
    for (const key of ['1', '0', '4', '2', 'Enter'])
      window.dispatchEvent(new KeyboardEvent('keydown', { key }));
    expect((app.controller as unknown as { scans: string[] }).scans).toEqual([]);
    const strip = page.getByRole('status', { name: 'Connection' });
    await expect.element(strip).toHaveTextContent(/2 waiting to sync/);
    await expect.element(strip).toHaveTextContent(/stays on it until the club is restored/);
    expect(await seriousViolations()).toEqual([]);
  });
});
