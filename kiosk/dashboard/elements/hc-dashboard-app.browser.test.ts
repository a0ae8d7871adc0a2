import { describe, expect, inject, it } from 'vitest';
import { type Locator, page } from 'vitest/browser';
import { memoryStore } from '../../device/KeyValueStore';
import { attentionCount } from '../attentionCount';
import type { DashboardController } from '../DashboardController';
import {
  addMembers,
  cleanUpAfterEach,
  connectionThatHoldsOn,
  databasesUnder,
  listedStore,
  mountScreen,
  newDashboard,
  newTestSite,
  signedInDashboard,
  siteItems,
  uniqueMember,
  uniqueName,
} from '../testing/dashboards';
import './hc-dashboard-app';

const accounts = inject('accounts');

cleanUpAfterEach();

/** The app as the page shows it: it follows the controller itself. */
const mount = (controller: DashboardController) =>
  mountScreen('hc-dashboard-app', controller, { followChanges: false });

async function signInWithForm(username: string, password: string) {
  await page.getByLabelText('Username').fill(username);
  await page.getByLabelText('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const tabs = () => page.getByRole('navigation', { name: 'Screens' }).getByRole('button');
const tab = (name: string) =>
  page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name });

describe('hc-dashboard-app', () => {
  it('asks staff to sign in, and says so when the password is wrong', async () => {
    const controller = newDashboard();
    await mount(controller);
    await expect.element(page.getByRole('form', { name: 'Staff sign-in' })).toBeVisible();
    await expect
      .element(page.getByLabelText('Username'))
      .toHaveAttribute('autocomplete', 'username');
    await expect
      .element(page.getByLabelText('Password'))
      .toHaveAttribute('autocomplete', 'current-password');
    expect(tabs().elements()).toEqual([]);

    await signInWithForm(accounts.staff.username, 'not the password');

    await expect.element(page.getByRole('alert')).toHaveTextContent('Wrong username or password.');
    expect(controller.staff).toBeNull();
    await expect.element(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  });

  it('says sign-in needs a network when the server cannot be reached', async () => {
    const unreachable = 'http://127.0.0.1:9';
    const controller = newDashboard({ baseUrl: unreachable });
    await mount(controller);

    await signInWithForm(accounts.staff.username, accounts.staff.password);

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent(/cannot be reached.*needs a network/);
  });

  it('signs in to the site, LIVE, on the Now screen with the tab bar below', async () => {
    const controller = newDashboard();
    const app = await mount(controller);

    await signInWithForm(accounts.staff.username, accounts.staff.password);

    await expect
      .element(page.getByRole('status').filter({ hasText: 'LIVE' }))
      .toHaveTextContent('● LIVE');
    expect(controller.staff).toMatchObject({ username: accounts.staff.username, role: 'staff' });
    await expect
      .element(page.getByRole('heading', { level: 1 }))
      .toHaveTextContent(controller.settings.name);
    await expect
      .element(page.getByRole('button', { name: `Sign out ${accounts.staff.username} (staff)` }))
      .toBeVisible();
    // Named by their words alone: the icons are hidden from screen readers.
    const names = ['Now', 'Activity', 'Issues', 'Members', 'Kiosks', 'Reports', 'Settings'];
    const buttons = tabs().all();
    expect(buttons).toHaveLength(names.length);
    for (const [i, name] of names.entries())
      await expect.element(buttons[i] as Locator).toHaveAccessibleName(name);
    await expect.element(tab('Now')).toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('main', { name: 'Now' })).toBeVisible();
    const root = app.shadowRoot as ShadowRoot;
    await expect.poll(() => root.querySelector('hc-live-view')).not.toBeNull();
    expect(root.querySelector('hc-arrival-notices')).not.toBeNull();
    // The tab bar is the last thing on the screen, where a thumb reaches.
    const nav = root.querySelector('nav')?.getBoundingClientRect();
    expect(nav?.bottom).toBeCloseTo(window.innerHeight, 0);
  });

  it('loads each other screen on first use and marks its tab as the current page', async () => {
    const controller = newDashboard();
    await controller.signIn(accounts.staff.username, accounts.staff.password);
    const app = await mount(controller);
    const root = app.shadowRoot as ShadowRoot;
    const lazy = [
      ['Issues', 'hc-attention-view'],
      ['Members', 'hc-members-view'],
      ['Kiosks', 'hc-devices-view'],
      ['Reports', 'hc-reports-view'],
      ['Settings', 'hc-settings-view'],
    ] as const;

    for (const [label, tag] of lazy) {
      // Nothing in this file has shown the screen yet: its code is not loaded.
      expect(customElements.get(tag), tag).toBeUndefined();
      await tab(label).click();
      await expect.element(tab(label)).toHaveAttribute('aria-current', 'page');
      await expect.element(page.getByRole('main', { name: label })).toBeVisible();
      expect(customElements.get(tag), tag).toBeDefined();
      expect(root.querySelector(tag)?.controller).toBe(controller);
      expect(root.querySelector('hc-live-view')).toBeNull();
      expect(
        tabs()
          .elements()
          .filter((b) => b.getAttribute('aria-current') === 'page'),
      ).toHaveLength(1);
    }

    await tab('Activity').click();
    await expect.element(page.getByRole('heading', { name: 'Activity today' })).toBeVisible();
    await tab('Now').click();
    await expect.poll(() => root.querySelector('hc-live-view')).not.toBeNull();
  });

  it('shows "Offline — as of" the last sync when the documents are no longer in sync', async () => {
    const controller = newDashboard();
    await controller.signIn(accounts.staff.username, accounts.staff.password);
    await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
    await mount(controller);
    const badge = page.getByRole('status').filter({ hasText: /LIVE|Offline/ });
    await expect.element(badge).toHaveTextContent('● LIVE');

    // The documents close (as when the socket is gone); the browser's "offline" event is what
    // makes the controller tell the screens. The server cannot be taken away from other files.
    controller.stop();
    window.dispatchEvent(new Event('offline'));

    await expect.element(badge).toHaveTextContent(/^⚠ Offline — as of \d{1,2}:\d{2}( [AP]M)?$/);
    expect(controller.status.asOf).not.toBeNull();
  });

  it('says it is signing out, and to close other tabs, until nothing is left; then the sign-in form', async () => {
    const store = listedStore();
    const prefix = `test-app-${crypto.randomUUID()}`;
    const controller = newDashboard({ store, storagePrefix: prefix });
    await mount(controller);
    await signInWithForm(accounts.staff.username, accounts.staff.password);
    await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
    // Another tab holds today's copy open and does not answer (frozen in the background).
    const otherTab = await connectionThatHoldsOn(`${prefix}:${controller.documents.at(-1)?.name}`);
    const signIn = page.getByRole('form', { name: 'Staff sign-in' });

    await page.getByRole('button', { name: /^Sign out/ }).click();

    await expect
      .element(page.getByRole('status'), { timeout: 10_000 })
      .toHaveTextContent('Signing out… Close other Headcount tabs on this phone to finish.');
    expect(signIn.query()).toBeNull();
    expect(tabs().elements()).toEqual([]);
    expect(await databasesUnder(prefix)).not.toEqual([]);

    otherTab.close();

    await expect.element(signIn, { timeout: 10_000 }).toBeVisible();
    expect(await databasesUnder(prefix)).toEqual([]);
    expect(siteItems(store)).toEqual([]);
  });

  it('[B4] counts what needs attention in the header, by name, and opens the list from there', async () => {
    const controller = newDashboard();
    await controller.signIn(accounts.staff.username, accounts.staff.password);
    await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
    // A check-out without a check-in: at least one thing needs attention ([V6]).
    const member = uniqueMember('Ada');
    await addMembers(controller, member);
    controller.checkOut(member.id);
    await mount(controller);
    const badge = page.getByRole('banner').getByRole('button', { name: /^Needs attention, \d+$/ });

    // The header counts from the day's numbers, without listing anything.
    await expect
      .poll(() => {
        const stats = controller.stats;
        const label = badge.query()?.getAttribute('aria-label');
        return stats !== null && label === `Needs attention, ${attentionCount(stats)}`;
      })
      .toBe(true);
    await expect.element(badge).toHaveTextContent(/^⚠ \d+$/);
    await badge.click();

    await expect.element(tab('Issues')).toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('main', { name: 'Issues' })).toBeVisible();
    await expect.element(page.getByRole('heading', { name: 'Needs attention' })).toBeVisible();
  });

  it('opens the Activity screen from "All activity" on the Now screen', async () => {
    const controller = newDashboard();
    await controller.signIn(accounts.staff.username, accounts.staff.password);
    await mount(controller);

    await page.getByRole('button', { name: 'All activity' }).click();

    await expect.element(tab('Activity')).toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('heading', { name: 'Activity today' })).toBeVisible();
  });

  it('fits all seven tabs side by side on a 320-px phone, each a target a thumb can hit', async () => {
    const controller = newDashboard();
    await controller.signIn(accounts.staff.username, accounts.staff.password);
    const app = await mount(controller);
    await page.viewport(320, 640);
    try {
      const nav = app.shadowRoot?.querySelector('nav') as HTMLElement;
      const buttons = tabs().elements();
      expect(buttons).toHaveLength(7);
      expect(nav.scrollWidth).toBeLessThanOrEqual(nav.clientWidth);
      for (const button of buttons) {
        const box = button.getBoundingClientRect();
        // WCAG 2.5.8 asks 24 × 24 px; the bar's tabs are taller for thumbs.
        expect(box.width).toBeGreaterThanOrEqual(44);
        expect(box.height).toBeGreaterThanOrEqual(44);
        expect(button.scrollWidth, button.textContent ?? '').toBeLessThanOrEqual(
          button.clientWidth,
        );
      }
    } finally {
      await page.viewport(414, 896);
    }
  });
});

const siteChoice = () => page.getByRole('banner').getByRole('combobox', { name: 'Site' });

describe('hc-dashboard-app with several sites', () => {
  it('offers no choice of site to an account of one site', async () => {
    const desk = await signedInDashboard('staff');
    await mount(desk);

    await expect.element(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(siteChoice().query()).toBeNull();
  });

  it('[C3] switches site from the header: documents, numbers and screens start again there, and a reload stays there', async () => {
    const store = memoryStore();
    const admin = await signedInDashboard('admin', { store });
    const home = admin.currentSite;
    const hilltop = await newTestSite(admin, 'Hilltop', 'America/New_York');
    const app = await mount(admin);
    const root = app.shadowRoot as ShadowRoot;
    await tab('Kiosks').click();
    // The test site's kiosks (the global setup paired "Front door" there).
    await expect
      .element(page.getByRole('heading', { name: /^Paired kiosks \([1-9]/ }))
      .toBeVisible();
    const kiosksBefore = root.querySelector('hc-devices-view');
    await expect.element(siteChoice()).toHaveValue(home?.id);

    await siteChoice().selectOptions(hilltop.id);

    await expect.poll(() => admin.staff?.siteId).toBe(hilltop.id);
    await expect.element(page.getByRole('heading', { level: 1 })).toHaveTextContent(hilltop.name);
    await expect.element(siteChoice()).toHaveValue(hilltop.id);
    // The same screen, started again for the new site: its kiosks, none yet.
    await expect.element(tab('Kiosks')).toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('heading', { name: 'Paired kiosks (0)' })).toBeVisible();
    expect(root.querySelector('hc-devices-view')).not.toBe(kiosksBefore);
    await expect.poll(() => admin.status.live, { timeout: 10_000 }).toBe(true);
    expect(admin.documents.map((d) => d.name).every((name) => name.includes(hilltop.id))).toBe(
      true,
    );
    expect(admin.settings.timeZone).toBe('America/New_York');

    // The next start of the dashboard on this phone opens the site chosen last.
    admin.stop();
    const reloaded = newDashboard({ store });
    await reloaded.start();
    expect(reloaded.staff?.siteId).toBe(hilltop.id);
    await expect.poll(() => reloaded.status.live, { timeout: 10_000 }).toBe(true);
    expect(reloaded.documents.every((d) => d.name.includes(hilltop.id))).toBe(true);
  });

  it('says switching sites needs a connection, and stays on its site, when the server cannot be reached', async () => {
    const store = memoryStore();
    const signedIn = await signedInDashboard('admin', { store });
    const home = signedIn.currentSite;
    const far = await newTestSite(signedIn, 'Far');
    signedIn.stop();
    // The phone opens again without a network: it knows the account's sites from before.
    const offline = newDashboard({ store, baseUrl: 'http://127.0.0.1:9' });
    await offline.start();
    await mount(offline);

    await siteChoice().selectOptions(far.id);

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent(`Switching sites needs a connection. Still showing ${home?.name}.`);
    await expect.element(siteChoice()).toHaveValue(home?.id);
    await expect.element(siteChoice()).toBeEnabled();
    expect(offline.staff?.siteId).toBe(home?.id);
    expect(offline.staff).not.toBeNull();
  });

  it('[C2] marks an archived site in the choice, and shows it read only', async () => {
    const admin = await signedInDashboard('admin');
    const closed = await newTestSite(admin, 'Closed');
    expect((await admin.api('POST', `/api/sites/${closed.id}/archive`)).status).toBe(200);
    await admin.refreshSites();
    await mount(admin);
    await expect
      .element(siteChoice().getByRole('option', { name: `${closed.name} (archived)` }))
      .toBeInTheDocument();

    await siteChoice().selectOptions(closed.id);

    await expect.element(page.getByRole('banner')).toHaveTextContent('Archived · read only');
    await expect.poll(() => admin.status.live, { timeout: 10_000 }).toBe(true);
    expect(admin.canEdit).toBe(false);
    await tab('Settings').click();
    await expect
      .element(page.getByText('This site is archived: its settings can be read, not changed.'))
      .toBeVisible();
  });

  it('leads an admin from Settings to Sites, and from a site just added to its Settings', async () => {
    const admin = await signedInDashboard('admin');
    await mount(admin);
    const name = uniqueName('Lakeside');
    await tab('Settings').click();

    await page.getByRole('button', { name: 'Manage sites' }).click();
    await expect.element(page.getByRole('main', { name: 'Sites' })).toBeVisible();
    // Sites belongs under the Settings tab: the bar keeps its seven tabs.
    await expect.element(tab('Settings')).toHaveAttribute('aria-current', 'page');
    expect(tabs().elements()).toHaveLength(7);
    await page.getByLabelText('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('button', { name: `Switch to ${name}` }).click();

    await expect.element(page.getByRole('main', { name: 'Settings' })).toBeVisible();
    await expect.element(page.getByRole('heading', { level: 1 })).toHaveTextContent(name);
    await expect.element(page.getByLabelText('Name', { exact: true })).toHaveValue(name);
    expect(admin.currentSite?.name).toBe(name);
  });

  it('shows no Sites screen to a staff account in Settings', async () => {
    const desk = await signedInDashboard('staff');
    await mount(desk);
    await tab('Settings').click();

    await expect.element(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    expect(page.getByRole('button', { name: 'Manage sites' }).query()).toBeNull();
  });
});
