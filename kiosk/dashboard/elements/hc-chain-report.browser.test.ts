import axe from 'axe-core';
import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { ChainVisitsAnswer } from '../../../shared/apiProtocol';
import { addDays, localDayOf } from '../../../shared/localTime';
import {
  addMembers,
  cleanUpAfterEach,
  mountScreen,
  newTestSite,
  signedInDashboard,
  textOf,
  uniqueMember,
} from '../testing/dashboards';
import './hc-chain-report';
import './hc-reports-view';

cleanUpAfterEach();

/** The table row whose header is exactly `name` (the by-home line under a site has no header). */
const siteRow = (name: string) =>
  page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

async function showRange(from: string, to: string): Promise<void> {
  await page.getByLabelText('From').fill(from);
  await page.getByLabelText('To').fill(to);
  await page.getByRole('button', { name: 'Show' }).click();
}

describe('hc-chain-report', () => {
  it("[C6] counts a visit where it happened, as an away visit by the member's home site, with the explanation", async () => {
    const admin = await signedInDashboard('admin');
    const home = await newTestSite(admin, 'Home');
    const away = await newTestSite(admin, 'Away');
    await admin.switchSite(home.id);
    await expect.poll(() => admin.status.live, { timeout: 10_000 }).toBe(true);
    const member = uniqueMember('Roamer', { homeSite: home.id, access: 'all' });
    await addMembers(admin, member);
    await admin.switchSite(away.id);
    await expect.poll(() => admin.status.live, { timeout: 10_000 }).toBe(true);
    admin.checkIn(member.id);
    // The record follows the documents within seconds: wait for it before asking on screen.
    const today = localDayOf(Date.now(), away.timeZone);
    const awayRow = async () => {
      const answer = await admin.api('GET', `/api/reports/chain?from=${today}&to=${today}`);
      return (answer.body as ChainVisitsAnswer).sites.find((s) => s.siteId === away.id)?.visits;
    };
    await expect.poll(awayRow, { timeout: 10_000 }).toBe(1);
    await mountScreen('hc-chain-report', admin);

    // The default range: the last 30 days up to today.
    await expect.element(page.getByLabelText('From')).toHaveValue(addDays(today, -29));
    await expect.element(page.getByLabelText('To')).toHaveValue(today);
    await page.getByRole('button', { name: 'Show' }).click();

    await expect.element(siteRow(away.name)).toBeVisible();
    expect(textOf(siteRow(away.name).element())).toBe(`${away.name} 1 1 1`);
    expect(textOf(siteRow(home.name).element())).toBe(`${home.name} 0 0 0`);
    await expect
      .element(page.getByRole('cell', { name: `Away visits: 1 from ${home.name}` }))
      .toBeVisible();
    await expect.element(page.getByRole('rowheader', { name: 'Total' })).toBeVisible();
    const explanation = page.getByText(/Away: visits by members whose home is another site/);
    await expect.element(explanation).toBeVisible();
    expect(textOf(explanation.element())).toBe(
      "Away: visits by members whose home is another site. A member who visited several sites counts once in the chain's total of members.",
    );
    admin.checkOut(member.id);
  });

  it('shows every site and the total at zero for days without visits, fits a 360-px phone, and passes axe', async () => {
    const admin = await signedInDashboard('admin');
    const report = await mountScreen('hc-chain-report', admin);
    report.style.width = '360px';

    await showRange('2001-01-01', '2001-01-31');

    await expect.element(page.getByText('No visits from 2001-01-01 to 2001-01-31.')).toBeVisible();
    await expect.element(page.getByRole('table')).toHaveAccessibleName(/2001-01-01 to 2001-01-31/);
    expect(admin.sites.length).toBeGreaterThan(0);
    for (const site of admin.sites)
      expect(textOf(siteRow(site.name).element())).toBe(`${site.name} 0 0 0`);
    expect(textOf(siteRow('Total').element())).toBe('Total 0 0 0');
    const table = report.shadowRoot?.querySelector('table') as HTMLTableElement;
    expect(table.scrollWidth).toBeLessThanOrEqual(report.clientWidth);
    expect(report.scrollWidth).toBeLessThanOrEqual(report.clientWidth);
    expect(await seriousViolations(report)).toEqual([]);
  });

  it("shows the server's message for a range it refuses, and no table", async () => {
    const admin = await signedInDashboard('admin');
    await mountScreen('hc-chain-report', admin);

    await showRange('2001-01-01', '2003-01-01');

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent('to: 2001-01-01 to 2003-01-01 is 731 days; at most 366 are allowed');
    expect(page.getByRole('table').query()).toBeNull();
  });

  it('is on Reports for an admin, and never for staff or a viewer', async () => {
    const heading = () => page.getByRole('heading', { name: 'Visits across the chain' });
    const admin = await signedInDashboard('admin');
    await mountScreen('hc-reports-view', admin);
    await expect.element(heading()).toBeVisible();
    document.body.replaceChildren();

    for (const role of ['staff', 'viewer'] as const) {
      const desk = await signedInDashboard(role);
      await mountScreen('hc-reports-view', desk);
      await expect.element(page.getByRole('heading', { name: 'Reports' })).toBeVisible();
      expect(heading().query()).toBeNull();
      expect(
        document.querySelector('hc-reports-view')?.shadowRoot?.querySelector('hc-chain-report'),
      ).toBeNull();
      document.body.replaceChildren();
    }
  });
});

/** Serious and critical WCAG A/AA violations in `root` now (axe-core). */
async function seriousViolations(root: Element): Promise<string[]> {
  const { violations, incomplete } = await axe.run(root, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'],
  });
  // "Needs review" counts too: an aria-label where it is not read is only ever a "maybe" to axe.
  return [...violations, ...incomplete]
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id);
}
