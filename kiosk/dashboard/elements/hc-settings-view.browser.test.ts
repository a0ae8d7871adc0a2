import { afterEach, describe, expect, inject, it } from 'vitest';
import { page } from 'vitest/browser';
import { memoryStore } from '../../device/KeyValueStore';
import { DashboardController } from '../DashboardController';
import { StaffSession } from '../StaffSession';
import './hc-settings-view';

const serverUrl = inject('serverUrl');
const accounts = inject('accounts');

// The site's settings are shared by every test of the run: a test that changes one puts it back,
// and changes none that shape the day (zone, maximum stay, closing time, repeat-scan window).
const running: DashboardController[] = [];

afterEach(() => {
  document.body.replaceChildren();
  for (const controller of running.splice(0)) controller.stop();
});

/** A dashboard on its own "phone" (its own storage), signed in as `role` and live. */
async function signedIn(role: 'staff' | 'viewer' = 'staff'): Promise<DashboardController> {
  const store = memoryStore();
  const controller = new DashboardController({
    baseUrl: serverUrl,
    store,
    session: new StaffSession({ baseUrl: serverUrl, store }),
  });
  running.push(controller);
  await controller.signIn(accounts[role].username, accounts[role].password);
  await expect.poll(() => controller.status.live, { timeout: 10_000 }).toBe(true);
  return controller;
}

/** The screen as the app shows it: a new revision on every change of the controller. */
async function mount(controller: DashboardController) {
  const view = document.createElement('hc-settings-view');
  view.controller = controller;
  controller.addEventListener('change', () => view.revision++);
  document.body.append(view);
  await view.updateComplete;
  return view;
}

const run = Math.random().toString(36).slice(2, 7);

describe('hc-settings-view', () => {
  it("shows the site's settings in the form", async () => {
    const desk = await signedIn();
    const view = await mount(desk);
    const s = desk.settings;
    await expect.element(page.getByLabelText('Name', { exact: true })).toHaveValue(s.name);
    await expect.element(page.getByLabelText('Time zone')).toHaveValue(s.timeZone);
    await expect.element(page.getByLabelText(/^Maximum stay/)).toHaveValue(s.maxStayMinutes);
    await expect.element(page.getByLabelText(/^Repeat-scan window/)).toHaveValue(s.debounceSeconds);
    await expect.element(page.getByLabelText(/^Keep visit records/)).toHaveValue(s.retentionDays);
    const expired = view.shadowRoot?.querySelector<HTMLSelectElement>(
      'select[name="alert.expired"]',
    );
    expect(expired?.value).toBe(s.alertPolicy.expired);
  });

  it('writes the settings into the site document, where another phone reads them', async () => {
    const desk = await signedIn();
    const other = await signedIn();
    const before = desk.settings;
    const name = `Riverside ${run}`;
    const retentionDays = before.retentionDays === 365 ? 366 : 365;
    try {
      await mount(desk);
      await page.getByLabelText('Name', { exact: true }).fill(name);
      await page.getByLabelText(/^Keep visit records/).fill(String(retentionDays));
      await page.getByRole('button', { name: 'Save settings' }).click();

      await expect
        .element(page.getByRole('status'))
        .toHaveTextContent('Saved. Kiosks use the new settings as soon as they are in sync.');
      expect(desk.settings).toMatchObject({ name, retentionDays });
      await expect
        .poll(() => other.settings, { timeout: 10_000 })
        .toMatchObject({ name, retentionDays });
      // What was not touched is written as it was.
      expect(other.settings).toMatchObject({
        timeZone: before.timeZone,
        maxStayMinutes: before.maxStayMinutes,
        debounceSeconds: before.debounceSeconds,
        alertPolicy: before.alertPolicy,
      });
    } finally {
      desk.saveSettings({ name: before.name, retentionDays: before.retentionDays });
    }
  });

  it('writes a changed door policy', async () => {
    const desk = await signedIn();
    const before = desk.settings;
    const frozen = before.alertPolicy.frozen === 'warn' ? 'deny' : 'warn';
    try {
      const view = await mount(desk);
      await page.getByLabelText('Membership frozen').selectOptions(frozen);
      await page.getByRole('button', { name: 'Save settings' }).click();

      await expect.element(page.getByRole('status')).toHaveTextContent(/^Saved\./);
      expect(desk.settings.alertPolicy).toEqual({ ...before.alertPolicy, frozen });
      expect(view.shadowRoot?.querySelector('[role="alert"]')).toBeNull();
    } finally {
      desk.saveSettings({ alertPolicy: before.alertPolicy });
    }
  });

  it('keeps an out-of-range value in the form and writes nothing', async () => {
    const desk = await signedIn();
    const before = desk.settings;
    await mount(desk);
    const maxStay = page.getByLabelText(/^Maximum stay/);
    let invalid = 0;
    maxStay.element().addEventListener('invalid', () => invalid++);

    await maxStay.fill('5');
    await page.getByRole('button', { name: 'Save settings' }).click();

    expect(invalid).toBe(1);
    expect(page.getByRole('status').query()).toBeNull();
    expect(desk.settings.maxStayMinutes).toBe(before.maxStayMinutes);
  });

  it('shows a viewer the settings in a disabled form without a Save button', async () => {
    const viewer = await signedIn('viewer');
    const view = await mount(viewer);

    await expect
      .element(page.getByText('Your account can read these settings, not change them.'))
      .toBeVisible();
    await expect
      .element(page.getByLabelText('Name', { exact: true }))
      .toHaveValue(viewer.settings.name);
    await expect.element(page.getByLabelText('Name', { exact: true })).toBeDisabled();
    await expect.element(page.getByLabelText('Membership expired')).toBeDisabled();
    const fieldsets = Array.from(view.shadowRoot?.querySelectorAll('fieldset') ?? []);
    expect(fieldsets.length).toBe(2);
    expect(fieldsets.every((f) => f.disabled)).toBe(true);
    expect(page.getByRole('button').elements()).toEqual([]);
  });
});
