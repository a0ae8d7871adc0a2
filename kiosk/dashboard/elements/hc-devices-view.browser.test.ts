import axe from 'axe-core';
import { describe, expect, inject, it } from 'vitest';
import { page } from 'vitest/browser';
import { apiRequest } from '../../apiRequest';
import { createBarcodeReader } from '../../device/barcodeReader';
import type { DashboardController } from '../DashboardController';
import {
  cleanUpAfterEach,
  mountScreen,
  pairKioskDevice,
  rasterizeSvg,
  signedInDashboard,
  uniqueName,
} from '../testing/dashboards';
import './hc-devices-view';

const serverUrl = inject('serverUrl');
const kiosk = inject('kiosk');

// Other files use the site's paired test kiosk: these tests pair, rename and revoke only
// kiosks of their own, named so that no one else has them.
cleanUpAfterEach();

/** Pairs a kiosk through the API, as a tablet typing the code would: its id. */
async function pair(desk: DashboardController, name: string): Promise<string> {
  return (await pairKioskDevice(desk, name, '9.9.9')).deviceId;
}

const listed = (desk: DashboardController, id: string) =>
  desk.devices.find((d) => d.id === id && d.revokedAt === null);

describe('hc-devices-view', () => {
  it('shows a pairing code as text and as a QR code that reads back as the code', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-devices-view', desk);
    const name = uniqueName('Back door');

    await page.getByLabelText('Kiosk name').fill(name);
    await page.getByRole('button', { name: 'Get a pairing code' }).click();

    await expect
      .element(page.getByRole('heading', { name: `Pairing code for “${name}”` }))
      .toBeVisible();
    const shown = page.getByText(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    await expect.element(shown).toBeVisible();
    const code = shown.element().textContent?.trim() ?? '';
    expect(await seriousViolations(document.body)).toEqual([]);
    // Spelled out for a screen reader, one character at a time, and the code as shown hidden
    // from it (an aria-label on a paragraph is not reliably read).
    await expect
      .element(page.getByText(`Pairing code ${code.split('').join(' ')}`, { exact: true }))
      .toBeInTheDocument();
    await expect.element(shown).toHaveAttribute('aria-hidden', 'true');
    const qr = page.getByRole('img', { name: 'Pairing code as a QR code' });
    await expect.element(qr).toBeVisible();
    const svg = qr.element() as unknown as SVGSVGElement;
    const reader = await createBarcodeReader({ preferNative: false });
    expect(await reader.detect(await rasterizeSvg(svg, 300))).toEqual([code]);

    // The code works once, for the kiosk named here.
    const paired = await apiRequest(serverUrl, 'POST', '/api/devices/pair', { body: { code } });
    expect(paired.body).toMatchObject({ name });
  });

  it('lists a newly paired kiosk after "Done", with its app version', async () => {
    const desk = await signedInDashboard();
    await mountScreen('hc-devices-view', desk);
    const name = uniqueName('Gate');
    await page.getByLabelText('Kiosk name').fill(name);
    await page.getByRole('button', { name: 'Get a pairing code' }).click();
    const shown = page.getByText(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const code = (await shown.findElement()).textContent?.trim();
    await apiRequest(serverUrl, 'POST', '/api/devices/pair', {
      body: { code, appVersion: '9.9.9' },
    });

    await page.getByRole('button', { name: 'Done' }).click();

    await expect.element(page.getByText(name, { exact: true })).toBeVisible();
    await expect.element(page.getByRole('button', { name: 'Get a pairing code' })).toBeVisible();
    const row = page.getByRole('listitem').filter({ hasText: name });
    await expect.element(row).toHaveTextContent(/last seen .* · app 9\.9\.9/);
  });

  it('renames a kiosk', async () => {
    const desk = await signedInDashboard();
    const name = uniqueName('Lobby');
    const id = await pair(desk, name);
    await mountScreen('hc-devices-view', desk);
    const renamed = uniqueName('Main lobby');

    await page.getByRole('button', { name: `Rename ${name}` }).click();
    const field = page.getByLabelText('New name');
    await expect.element(field).toHaveValue(name);
    await field.fill(renamed);
    await page.getByRole('button', { name: 'Save' }).click();

    await expect.element(page.getByText(renamed, { exact: true })).toBeVisible();
    await expect.element(page.getByText(name, { exact: true })).not.toBeInTheDocument();
    expect(listed(desk, id)?.name).toBe(renamed);
    const fromServer = await desk.api('GET', '/api/devices');
    expect(fromServer.body.devices).toContainEqual(expect.objectContaining({ id, name: renamed }));
  });

  it('revokes a kiosk only after the confirmation, and no longer lists it', async () => {
    const desk = await signedInDashboard();
    const name = uniqueName('Side');
    const id = await pair(desk, name);
    await mountScreen('hc-devices-view', desk);
    const ask = page.getByRole('button', { name: `Revoke ${name}` });

    await ask.click();
    const confirm = page.getByRole('group', { name: `Confirm revoking ${name}` });
    await expect.element(confirm).toHaveTextContent(`Revoke “${name}”?`);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.element(confirm).not.toBeInTheDocument();
    await desk.refreshDevices();
    expect(listed(desk, id)).toBeDefined();

    await ask.click();
    await confirm.getByRole('button', { name: 'Revoke', exact: true }).click();

    // Gone from the paired kiosks; kept, folded away, under the revoked ones.
    await expect.element(page.getByText(name, { exact: true })).not.toBeVisible();
    expect(listed(desk, id)).toBeUndefined();
    await page.getByText(/^Revoked kiosks \(\d+\)$/).click();
    await expect.element(page.getByText(name, { exact: true })).toBeVisible();
    const token = await apiRequest(serverUrl, 'POST', '/api/devices/token', {
      body: { deviceId: id, deviceSecret: 'whatever' },
    });
    expect(token.body).toMatchObject({ error: { code: 'revoked' } });
  });

  it('shows a viewer the kiosks with nothing to pair, rename or revoke', async () => {
    const viewer = await signedInDashboard('viewer');
    await mountScreen('hc-devices-view', viewer);

    await expect
      .element(page.getByRole('heading', { name: /^Paired kiosks \(\d+\)$/ }))
      .toBeVisible();
    await expect.poll(() => viewer.devices.some((d) => d.id === kiosk.deviceId)).toBe(true);
    await expect.element(page.getByText('Front door', { exact: true }).first()).toBeVisible();
    expect(page.getByRole('button', { name: 'Get a pairing code' }).query()).toBeNull();
    expect(page.getByRole('button', { name: /^(Rename|Revoke) / }).elements()).toEqual([]);
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
