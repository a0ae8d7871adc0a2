import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { staffToken, type TestServer } from '../sync-server/testing/testServer';

/** A pairing code for a new tablet, made by a staff member as the dashboard does. */
export async function newPairingCode(server: TestServer, name: string): Promise<string> {
  const staff = await staffToken(server);
  const { body } = await server.api<{ code: string }>(
    'POST',
    '/api/pairing-codes',
    { name },
    staff.token,
  );
  return body.code;
}

/** Opens the kiosk on `page` and pairs it through its own screen with `code`. */
export async function pairThroughScreen(page: Page, base: string, code: string): Promise<void> {
  await page.goto(`${base}/kiosk`);
  await page.getByLabel('Pairing code from the staff dashboard').fill(code);
  await page.getByRole('button', { name: 'Pair this tablet' }).click();
}

/** Types a member number on the kiosk's keypad and submits it. */
export async function typeOnKeypad(page: Page, number: string): Promise<void> {
  for (const digit of number) await page.getByRole('button', { name: digit, exact: true }).click();
  await page.getByRole('button', { name: 'OK, check in or out' }).click();
}

/** Identifies a member on the keypad, waits for `expected`, and taps Done as the next one would. */
export async function scanAtKiosk(
  page: Page,
  number: string,
  expected: string,
  timeoutMs?: number,
): Promise<void> {
  await memberListArrived(page);
  await typeOnKeypad(page, number);
  await expect
    .poll(() => page.getByText(expected).count(), timeoutMs ? { timeout: timeoutMs } : {})
    .toBe(1);
  await page.getByRole('button', { name: 'Done' }).click();
}

/** The kiosk's connection footer: online or not, what waits to sync, the last sync ('' mid-reload). */
export function kioskStatus(page: Page): Promise<string> {
  return page
    .getByRole('status', { name: 'Connection' })
    .textContent({ timeout: 2000 })
    .then((text) => text ?? '')
    .catch(() => '');
}

/** The kiosk's words while it has never had its whole member list ([K3]). */
export const GETTING_MEMBER_LIST = 'Getting the member list';

/**
 * Waits until a newly paired kiosk has had its site's whole member list, as the desk would
 * before the first member: until then a number it cannot find is "try again in a moment" ([K3]).
 */
export async function memberListArrived(page: Page, timeoutMs = 30_000): Promise<void> {
  await expect
    .poll(async () => (await kioskStatus(page)).includes(GETTING_MEMBER_LIST), {
      timeout: timeoutMs,
    })
    .toBe(false);
}
