import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import type { DashboardController } from '../DashboardController';
import {
  cleanUpAfterEach,
  invitedAccount,
  mountScreen,
  newDashboard,
  signedInDashboard,
} from '../testing/dashboards';
import './hc-dashboard-app';

cleanUpAfterEach();

const NEW_PASSWORD = 'a long new password';

/** The app as the page shows it: it follows the controller itself. */
const mount = (controller: DashboardController) =>
  mountScreen('hc-dashboard-app', controller, { followChanges: false });

/** A phone of its own: a sign-out here must not reach the admin's dashboard in this browser. */
const newPhone = () => newDashboard({ storagePrefix: 'hc-account-setup-phone' });

async function choosePassword(password: string, repeat = password) {
  await page.getByLabelText(/^New password/).fill(password);
  await page.getByLabelText('Repeat the password').fill(repeat);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
}

describe('hc-account-setup on the sign-in screen', () => {
  it('[C5] fills the code in from a set-up link, takes it out of the address, and signs its person in', async () => {
    const admin = await signedInDashboard('admin');
    const made = await invitedAccount(admin, 'noa');
    const before = location.pathname + location.search;
    history.replaceState(history.state, '', `#setup=${made.setupCode}`);
    const phone = newPhone();
    const app = await mount(phone);

    await expect.element(page.getByLabelText('Set-up code')).toHaveValue(made.setupCode);
    // Out of the address (and its history entry) before anything else happens.
    expect(location.hash).toBe('');
    expect(location.pathname + location.search).toBe(before);
    await choosePassword(NEW_PASSWORD);

    await expect
      .element(page.getByRole('status').filter({ hasText: 'LIVE' }), { timeout: 10_000 })
      .toBeVisible();
    expect(phone.staff).toMatchObject({ username: made.account.username, role: 'staff' });
    await expect
      .element(page.getByRole('button', { name: `Sign out ${made.account.username} (staff)` }))
      .toBeVisible();

    // After a sign-out the phone asks for a username and password, not a code again.
    await phone.signOut();
    await expect.element(page.getByRole('form', { name: 'Staff sign-in' })).toBeVisible();
    expect(app.setupCode).toBeNull();
  });

  it('opens from "I have a set-up code" with the focus on the code, and goes back', async () => {
    const app = await mount(newPhone());

    await page.getByRole('button', { name: 'I have a set-up code' }).click();

    await expect.element(page.getByRole('form', { name: 'Set up your account' })).toBeVisible();
    const code = page.getByLabelText('Set-up code');
    await expect.element(code).toHaveValue('');
    const setup = app.shadowRoot?.querySelector('hc-account-setup');
    expect(setup?.shadowRoot?.activeElement).toBe(code.element());
    await expect
      .element(page.getByLabelText(/^New password/))
      .toHaveAttribute('autocomplete', 'new-password');

    await page.getByRole('button', { name: 'Back to sign-in' }).click();
    await expect.element(page.getByRole('form', { name: 'Staff sign-in' })).toBeVisible();
    expect(app.shadowRoot?.activeElement).toBe(page.getByLabelText('Username').element());
  });

  it('asks for a password of 10 characters typed the same twice before asking the server', async () => {
    await mount(newPhone());
    await page.getByRole('button', { name: 'I have a set-up code' }).click();
    await page.getByLabelText('Set-up code').fill('AAAA-BBBB-CCCC');

    await choosePassword('too short');
    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent('Choose a password of at least 10 characters.');
    await expect
      .element(page.getByLabelText(/^New password/))
      .toHaveAccessibleDescription('at least 10 characters');

    await choosePassword(NEW_PASSWORD, `${NEW_PASSWORD}!`);
    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent('The two passwords differ: type the same one twice.');
  });

  it('[C5] says a used code is unknown, used or expired, and to ask an admin for a new one', async () => {
    const admin = await signedInDashboard('admin');
    const made = await invitedAccount(admin, 'used');
    await newPhone().setUp(made.setupCode, NEW_PASSWORD);
    const phone = newPhone();
    await mount(phone);
    await page.getByRole('button', { name: 'I have a set-up code' }).click();
    await page.getByLabelText('Set-up code').fill(made.setupCode);

    await choosePassword('another long password');

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent(
        'This set-up code is unknown, used or expired. Ask an admin for a new one.',
      );
    expect(phone.staff).toBeNull();
  });
});
