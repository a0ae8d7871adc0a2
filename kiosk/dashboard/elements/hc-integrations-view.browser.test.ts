import axe from 'axe-core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { WebhooksAnswer } from '../../../shared/integrationProtocol';
import { apiRequest, errorOf } from '../../apiRequest';
import type { DashboardController } from '../DashboardController';
import {
  cleanUpAfterEach,
  mountScreen,
  newTestSite,
  signedInDashboard,
  uniqueName,
} from '../testing/dashboards';
import './hc-integrations-view';
import './hc-dashboard-app';

const serverUrl = inject('serverUrl');

cleanUpAfterEach();

// Keys and endpoints stay on the shared server: each test names its own, and deletes the
// endpoints it made (before `cleanUpAfterEach` stops the dashboards: hooks run last-in first).
const madeUrls = new Set<string>();
let admin: DashboardController | null = null;
afterEach(async () => {
  if (admin === null || madeUrls.size === 0) return;
  const listed = (await admin.api('GET', '/api/integrations/webhooks')).body as WebhooksAnswer;
  for (const endpoint of listed.endpoints ?? [])
    if (madeUrls.has(endpoint.url))
      await admin.api('DELETE', `/api/integrations/webhooks/${endpoint.id}`);
  madeUrls.clear();
  admin = null;
});

async function signedInAdmin(): Promise<DashboardController> {
  admin = await signedInDashboard('admin');
  return admin;
}

/** A receiver's address no other test uses; nothing listens there. */
function newReceiverUrl(): string {
  const url = `https://${uniqueName('hooks')
    .replace(/[^a-z0-9]+/gi, '-')
    .toLowerCase()}.example.com/headcount`;
  madeUrls.add(url);
  return url;
}

/** Everything the screen shows as text. */
const shownText = (view: Element) => view.shadowRoot?.textContent ?? '';
const row = (text: string) => page.getByRole('listitem').filter({ hasText: text });
const keyForm = () => page.getByRole('form', { name: 'Make an API key' });
const webhookForm = () => page.getByRole('form', { name: 'Add a webhook' });
const members = (key: string) => apiRequest(serverUrl, 'GET', '/api/members', { token: key });

/** Makes an API key with the screen's form: the key it shows once. */
async function makeKey(name: string, scopes: readonly string[]): Promise<string> {
  await keyForm().getByLabelText(/^Name/).fill(name);
  for (const scope of scopes) await keyForm().getByLabelText(scope).click();
  await keyForm().getByRole('button', { name: 'Make key' }).click();
  const shown = page.getByRole('region', { name: `New API key: ${name}` });
  await expect.element(shown).toBeVisible();
  return (shown.getByLabelText('API key').element() as HTMLInputElement).value;
}

/** Adds a webhook with the screen's form, for check-ins at `siteId` (every site if not given). */
async function addWebhook(url: string, siteId = ''): Promise<string> {
  await webhookForm()
    .getByLabelText(/^Address/)
    .fill(url);
  await webhookForm().getByLabelText('Check-ins (kiosk or staff)').click();
  await webhookForm().getByLabelText('Site').selectOptions(siteId);
  await webhookForm().getByRole('button', { name: 'Add webhook' }).click();
  const shown = page.getByRole('region', { name: `Signing secret for ${url}` });
  await expect.element(shown).toBeVisible();
  return (shown.getByLabelText('Signing secret').element() as HTMLInputElement).value;
}

describe('hc-integrations-view', () => {
  it('[I1] makes an API key, shows it once, and the key reads members with its scope', async () => {
    const admin = await signedInAdmin();
    const view = await mountScreen('hc-integrations-view', admin);
    const name = uniqueName('Billing sync');

    const key = await makeKey(name, ['Read members']);

    expect(key).toMatch(/^hck_/);
    await expect
      .element(page.getByRole('region', { name: `New API key: ${name}` }))
      .toHaveTextContent(
        'Copy this key now: it is not shown again. Give it to the system that will use it; send it as Authorization: Bearer <key>.',
      );
    // Focus moves to the key, where a screen reader reads it from.
    expect(view.shadowRoot?.activeElement?.id).toBe('shown-title');
    await expect.element(page.getByRole('status')).toHaveTextContent(`Made the key ${name}.`);
    await expect.element(row(name)).toHaveTextContent(`${name} · Read members · made`);
    expect((await members(key)).status).toBe(200);

    await page.getByRole('button', { name: 'Done' }).click();

    expect(page.getByRole('region', { name: `New API key: ${name}` }).query()).toBeNull();
    expect(shownText(view)).not.toContain(key);
    // Opened again, the screen lists the key by name and scopes, never the key itself.
    document.body.replaceChildren();
    const again = await mountScreen('hc-integrations-view', admin);
    await expect.element(row(name)).toHaveTextContent(`${name} · Read members · made`);
    expect(shownText(again)).not.toContain(key);
    const fields = [...(again.shadowRoot?.querySelectorAll('input') ?? [])];
    expect(fields.map((f) => f.value)).not.toContain(key);
  });

  it('[I1] refuses a key without the scope a route needs', async () => {
    const admin = await signedInAdmin();
    await mountScreen('hc-integrations-view', admin);

    const key = await makeKey(uniqueName('Visits only'), ['Read visits and reports']);

    const answer = await members(key);
    expect(answer.status).toBe(403);
    expect(errorOf(answer).code).toBe('missing-scope');
  });

  it('[I1] revokes a key only once confirmed, from the keyboard, and the key stops working at once', async () => {
    const admin = await signedInAdmin();
    const view = await mountScreen('hc-integrations-view', admin);
    const name = uniqueName('Door system');
    const key = await makeKey(name, ['Read members']);
    expect((await members(key)).status).toBe(200);

    await page.getByRole('button', { name: `Revoke ${name}` }).click();
    const confirm = page.getByRole('group', { name: `Confirm revoking ${name}` });
    await expect.element(confirm).toHaveTextContent('Systems using this key stop working at once');
    expect((await members(key)).status).toBe(200);
    // The confirmation is next in the tab order, and Enter does it.
    await userEvent.tab();
    expect(view.shadowRoot?.activeElement).toBe(
      confirm.getByRole('button', { name: 'Revoke', exact: true }).element(),
    );
    await userEvent.keyboard('{Enter}');

    await expect.element(page.getByRole('status')).toHaveTextContent(`${name} is revoked`);
    await expect.element(row(name)).toHaveTextContent(`${name} revoked`);
    expect(page.getByRole('button', { name: `Revoke ${name}` }).query()).toBeNull();
    const refused = await members(key);
    expect(refused.status).toBe(401);
    expect(errorOf(refused).code).toBe('bad-api-key');
  });

  it('says what a key lacks before asking the server', async () => {
    const admin = await signedInAdmin();
    const view = await mountScreen('hc-integrations-view', admin);

    await keyForm().getByRole('button', { name: 'Make key' }).click();
    await expect.element(keyForm().getByRole('alert')).toHaveTextContent('A key needs a name');
    expect(view.shadowRoot?.activeElement).toBe(keyForm().getByLabelText(/^Name/).element());

    await keyForm().getByLabelText(/^Name/).fill(uniqueName('No scopes'));
    await keyForm().getByRole('button', { name: 'Make key' }).click();
    await expect
      .element(keyForm().getByRole('alert'))
      .toHaveTextContent('Tick what the key may do.');
  });

  it('[I3] adds a webhook for a site, shows its signing secret once, and pauses, resumes and deletes it', async () => {
    const admin = await signedInAdmin();
    const site = await newTestSite(admin, 'Hooks');
    const view = await mountScreen('hc-integrations-view', admin);
    const url = newReceiverUrl();

    const secret = await addWebhook(url, site.id);

    expect(secret).toMatch(/^whsec_/);
    await expect
      .element(page.getByRole('region', { name: `Signing secret for ${url}` }))
      .toHaveTextContent('Copy this signing secret now: it is not shown again.');
    await expect
      .element(row(url))
      .toHaveTextContent(`Nothing sent yet · Check-ins (kiosk or staff) · ${site.name}`);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(shownText(view)).not.toContain(secret);

    await page.getByRole('button', { name: `Pause ${url}` }).click();

    await expect.element(row(url)).toHaveTextContent('Paused: paused by an admin');
    await expect
      .element(page.getByText(/webhooks? (is|are) paused/))
      .toHaveTextContent(
        /\d+ webhooks? (is|are) paused — events for (it|them) are kept and sent when you resume\./,
      );
    // Focus stays on the same button, which now says the opposite.
    const resume = page.getByRole('button', { name: `Resume ${url}` });
    await expect.element(resume).toBeVisible();
    expect(view.shadowRoot?.activeElement).toBe(resume.element());

    await resume.click();

    await expect.element(row(url)).toHaveTextContent('Nothing sent yet');
    await expect.element(page.getByRole('status')).toHaveTextContent('is resumed');

    await page.getByRole('button', { name: `Delete ${url}` }).click();
    const confirm = page.getByRole('group', { name: `Confirm deleting ${url}` });
    await expect.element(confirm).toHaveTextContent('Nothing more is sent there');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();

    await expect
      .element(page.getByRole('status'))
      .toHaveTextContent(`The webhook to ${url} is deleted.`);
    expect(row(url).query()).toBeNull();
  });

  it('[I4] says why the server refuses an address, by the webhook form', async () => {
    const admin = await signedInAdmin();
    const view = await mountScreen('hc-integrations-view', admin);

    await webhookForm()
      .getByLabelText(/^Address/)
      .fill('http://example.com/hook');
    await webhookForm().getByLabelText('Check-ins (kiosk or staff)').click();
    await webhookForm().getByRole('button', { name: 'Add webhook' }).click();

    await expect
      .element(webhookForm().getByRole('alert'))
      .toHaveTextContent(
        'This address cannot be used: plain http is only allowed to this machine (localhost): use https://.',
      );
    expect(view.shadowRoot?.activeElement).toBe(
      webhookForm()
        .getByLabelText(/^Address/)
        .element(),
    );
    expect(keyForm().getByRole('alert').query()).toBeNull();
  });

  it('explains keys and webhooks, fits a 360-px phone, and passes axe with a key and a webhook listed', async () => {
    const admin = await signedInAdmin();
    const view = await mountScreen('hc-integrations-view', admin);
    view.style.width = '360px';
    await makeKey(uniqueName('Screen in the window'), ['Read visits and reports']);
    await addWebhook(newReceiverUrl());

    await expect
      .element(page.getByRole('link', { name: /^API reference/ }))
      .toHaveAttribute('href', '/api/openapi.json');
    await expect.element(page.getByText(/An API key lets a system/)).toBeVisible();
    await expect
      .element(page.getByLabelText("This receiver is on the gym's own network or this computer"))
      .toHaveAccessibleDescription(/Plain http:\/\/ is allowed only to this computer/);
    expect(view.scrollWidth).toBeLessThanOrEqual(view.clientWidth);
    expect(await seriousViolations(view)).toEqual([]);
  });

  it('tells a staff account or a viewer that integrations are for an admin, and offers nothing', async () => {
    for (const role of ['staff', 'viewer'] as const) {
      const desk = await signedInDashboard(role);
      await mountScreen('hc-integrations-view', desk);

      await expect
        .element(page.getByText('Only an admin manages API keys and webhooks.'))
        .toBeVisible();
      expect(page.getByRole('button').elements()).toEqual([]);
      expect(page.getByRole('textbox').elements()).toEqual([]);
      document.body.replaceChildren();
    }
  });

  it("opens Integrations from the Settings screen's button, under the Settings tab", async () => {
    const admin = await signedInAdmin();
    const app = await mountScreen('hc-dashboard-app', admin, { followChanges: false });
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('button', { name: 'Settings' }).click();
    await expect.element(page.getByRole('main', { name: 'Settings' })).toBeVisible();
    expect(app.shadowRoot?.querySelector('hc-settings-view')).toBeTruthy();
    await page.getByRole('button', { name: 'Manage integrations' }).click();

    await expect.element(page.getByRole('main', { name: 'Integrations' })).toBeVisible();
    await expect
      .element(nav.getByRole('button', { name: 'Settings' }))
      .toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('heading', { name: 'Make an API key' })).toBeVisible();
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
