import type { Page } from 'playwright-core';
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
