import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import {
  cleanUpAfterEach,
  mountScreen,
  newTestSite,
  signedInDashboard,
  textOf,
  uniqueName,
} from '../testing/dashboards';
import type { SwitchSiteEvent } from './SwitchSiteEvent';
import './hc-sites-view';

// Sites cannot be deleted and every file shares the server: a test adds its own sites and
// archives only those, never the test site that other files use.
cleanUpAfterEach();

const row = (name: string) => page.getByRole('listitem').filter({ hasText: name });

describe('hc-sites-view', () => {
  it('lists every site with its id and time zone, and marks the archived ones', async () => {
    const admin = await signedInDashboard('admin');
    const open = await newTestSite(admin, 'Open', 'Asia/Tokyo');
    const closed = await newTestSite(admin, 'Closed');
    expect((await admin.api('POST', `/api/sites/${closed.id}/archive`)).status).toBe(200);
    await mountScreen('hc-sites-view', admin);

    await expect.element(row(open.name)).toHaveTextContent(`${open.id} · Asia/Tokyo`);
    expect(textOf(row(open.name).element())).not.toContain('Archived');
    await expect.element(row(closed.name)).toHaveTextContent('Archived');
    await expect
      .element(row(closed.name).getByRole('button', { name: `Restore ${closed.name}` }))
      .toBeVisible();
    // The site shown now says so.
    await expect.element(row('shown now')).toHaveTextContent(admin.staff?.siteId ?? '-');
  });

  it('fills the id in from the name until it is typed over, and refuses an id the server would refuse', async () => {
    const admin = await signedInDashboard('admin');
    const view = await mountScreen('hc-sites-view', admin);
    const id = page.getByLabelText(/^Id/);

    await page.getByLabelText('Name', { exact: true }).fill('Hilltop Côte 2');
    await expect.element(id).toHaveValue('hilltop-cote-2');
    await id.fill('Hill Top');
    await page.getByLabelText('Name', { exact: true }).fill('Something else');
    await expect.element(id).toHaveValue('Hill Top');
    await page.getByRole('button', { name: 'Add site' }).click();

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent('An id is 1 to 63 lower-case letters, digits and hyphens');
    await expect.element(id).toHaveAttribute('aria-invalid', 'true');
    await expect.element(id).toHaveAccessibleDescription(/lower-case letters, digits and hyphens/);
    expect(view.shadowRoot?.activeElement).toBe(id.element());
  });

  it("adds a site in this site's time zone unless another is chosen, and offers to switch to it", async () => {
    const admin = await signedInDashboard('admin');
    const view = await mountScreen('hc-sites-view', admin);
    const switches: SwitchSiteEvent[] = [];
    view.addEventListener('hc-switch-site', (event) => switches.push(event));
    const name = uniqueName('Harbour');
    await expect.element(page.getByLabelText('Time zone')).toHaveValue(admin.settings.timeZone);

    await page.getByLabelText('Name', { exact: true }).fill(name);
    await page.getByLabelText('Time zone').selectOptions('Australia/Sydney');
    await page.getByRole('button', { name: 'Add site' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Added “${name}”.`);
    await expect.poll(() => admin.sites.some((site) => site.name === name)).toBe(true);
    const added = admin.sites.find((site) => site.name === name);
    expect(added).toMatchObject({ timeZone: 'Australia/Sydney', archived: false, role: 'admin' });
    await expect.element(row(name)).toHaveTextContent(`${added?.id} · Australia/Sydney`);
    // The form is empty again for the next one.
    await expect.element(page.getByLabelText('Name', { exact: true })).toHaveValue('');
    await page.getByRole('button', { name: `Switch to ${name}` }).click();
    expect(switches.map((e) => [e.siteId, e.screen])).toEqual([[added?.id, 'settings']]);
  });

  it('says when a site with that id exists already, by the id field', async () => {
    const admin = await signedInDashboard('admin');
    const taken = await newTestSite(admin, 'Taken');
    await mountScreen('hc-sites-view', admin);

    await page.getByLabelText('Name', { exact: true }).fill('Another club');
    await page.getByLabelText(/^Id/).fill(taken.id);
    await page.getByRole('button', { name: 'Add site' }).click();

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent(`A site with the id “${taken.id}” exists already: choose another id.`);
    expect(admin.sites.filter((site) => site.id === taken.id)).toHaveLength(1);
  });

  it('[C2] archives a site only once the admin confirms what archiving does, and restores it', async () => {
    const admin = await signedInDashboard('admin');
    const site = await newTestSite(admin, 'Closing');
    await mountScreen('hc-sites-view', admin);

    await row(site.name)
      .getByRole('button', { name: `Archive ${site.name}` })
      .click();
    const confirm = page.getByRole('group', { name: `Confirm archiving ${site.name}` });
    await expect
      .element(confirm)
      .toHaveTextContent(
        /tablets stop taking check-ins and say the club is archived\. What they hold stays on them until the site is restored\. Its history stays in reports/,
      );
    // Nothing is archived before the confirmation.
    expect(admin.sites.find((s) => s.id === site.id)?.archived).toBe(false);
    await confirm.getByRole('button', { name: 'Archive', exact: true }).click();

    await expect.element(row(site.name)).toHaveTextContent('Archived');
    expect(admin.sites.find((s) => s.id === site.id)?.archived).toBe(true);

    await row(site.name)
      .getByRole('button', { name: `Restore ${site.name}` })
      .click();

    await expect
      .element(row(site.name).getByRole('button', { name: `Archive ${site.name}` }))
      .toBeVisible();
    expect(admin.sites.find((s) => s.id === site.id)?.archived).toBe(false);
  });

  it('tells a staff account that sites are for an admin, and offers nothing to change', async () => {
    const desk = await signedInDashboard('staff');
    await mountScreen('hc-sites-view', desk);

    await expect.element(page.getByText('Only an admin adds or archives sites.')).toBeVisible();
    expect(page.getByRole('button').elements()).toEqual([]);
  });
});
