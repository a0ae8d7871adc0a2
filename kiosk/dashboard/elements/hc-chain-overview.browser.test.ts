import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { memoryStore } from '../../device/KeyValueStore';
import {
  addMembers,
  cleanUpAfterEach,
  mountScreen,
  newDashboard,
  newTestSite,
  signedInDashboard,
  textOf,
  uniqueMember,
} from '../testing/dashboards';
import './hc-chain-overview';
import './hc-dashboard-app';

cleanUpAfterEach();

const row = (name: string) => page.getByRole('row').filter({ hasText: name });

describe('hc-chain-overview', () => {
  it("[C3] shows each site's people in and visits today from the server's record, the total, and its time", async () => {
    const admin = await signedInDashboard('admin');
    const home = admin.currentSite;
    const site = await newTestSite(admin, 'Chain');
    // Someone checks in at the new site.
    await admin.switchSite(site.id);
    await expect.poll(() => admin.status.live, { timeout: 10_000 }).toBe(true);
    const member = uniqueMember('Chain', { homeSite: site.id });
    await addMembers(admin, member);
    admin.checkIn(member.id);
    const view = await mountScreen('hc-chain-overview', admin);
    view.refreshMs = 250;

    // The record follows the documents within seconds: the overview fetched again shows it.
    await expect
      .element(row(site.name), { timeout: 10_000 })
      .toHaveTextContent(/\(shown\)\s*1\s*1$/);
    await expect
      .element(page.getByRole('button', { name: `Switch to ${home?.name}` }))
      .toBeVisible();
    const overview = admin.overview;
    const sum = (key: 'currentlyIn' | 'visitsToday') =>
      overview?.sites.reduce((total, s) => total + s[key], 0);
    expect(textOf(row('Total').element())).toBe(
      `Total ${sum('currentlyIn')} ${sum('visitsToday')}`,
    );
    await expect
      .element(page.getByText(/As of/))
      .toHaveTextContent(
        /^As of \d\d:\d\d:\d\d( [AP]M)?\. From the server's record: a few seconds behind the live numbers of the site shown\.$/,
      );
    admin.checkOut(member.id);
  });

  it('keeps the last numbers with their time offline, and says it is offline', async () => {
    const store = memoryStore();
    const online = await signedInDashboard('admin', { store });
    await online.refreshOverview();
    const asOf = online.overview?.asOf;
    online.stop();
    const offline = newDashboard({ store, baseUrl: 'http://127.0.0.1:9' });
    await offline.start();
    await mountScreen('hc-chain-overview', offline);

    await expect
      .element(page.getByText(/Offline — as of/))
      .toHaveTextContent(
        /^Offline — as of \d\d:\d\d:\d\d( [AP]M)?\. From the server's record: a few seconds behind/,
      );
    expect(offline.overview?.asOf).toBe(asOf);
    await expect.element(row('Total')).toBeVisible();
  });

  it('switches to a site tapped in the overview, on Now, through the app', async () => {
    const admin = await signedInDashboard('admin');
    const site = await newTestSite(admin, 'Tapped');
    await mountScreen('hc-dashboard-app', admin, { followChanges: false });
    await expect.element(page.getByRole('heading', { name: 'All your sites' })).toBeVisible();

    await page.getByRole('button', { name: `Switch to ${site.name}` }).click();

    await expect.poll(() => admin.staff?.siteId).toBe(site.id);
    await expect.element(page.getByRole('main', { name: 'Now' })).toBeVisible();
    await expect.element(row(site.name)).toHaveTextContent('(shown)');
  });

  it('is not shown to an account of one site', async () => {
    const desk = await signedInDashboard('staff');
    await mountScreen('hc-dashboard-app', desk, { followChanges: false });

    await expect.element(page.getByRole('main', { name: 'Now' })).toBeVisible();
    expect(page.getByRole('heading', { name: 'All your sites' }).query()).toBeNull();
  });
});
