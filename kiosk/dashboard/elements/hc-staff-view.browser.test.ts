import { describe, expect, inject, it } from 'vitest';
import { page } from 'vitest/browser';
import type { AccountsAnswer } from '../../../shared/apiProtocol';
import {
  cleanUpAfterEach,
  invitedAccount,
  mountScreen,
  newDashboard,
  signedInDashboard,
  uniqueUsername,
} from '../testing/dashboards';
import './hc-staff-view';
import './hc-dashboard-app';

const accounts = inject('accounts');

// Every file shares the server and its accounts: a test makes its own accounts and changes only
// those, never the desk accounts other files sign in with.
cleanUpAfterEach();

const NEW_PASSWORD = 'a long new password';
/**
 * The phone of the person an account is for. Its own IndexedDB names: a sign-out tells every
 * dashboard of the same names in this browser to sign out too, the admin's included.
 */
const theirPhone = () => newDashboard({ storagePrefix: 'hc-staff-view-theirs' });
const siteChoice = () => page.getByRole('combobox', { name: /^Site/ });
const row = (name: string) => page.getByRole('listitem').filter({ hasText: name });

describe('hc-staff-view', () => {
  it('[C5] adds a staff account for a site and shows its one-time code, with which its person chooses a password and is signed in', async () => {
    const admin = await signedInDashboard('admin');
    const view = await mountScreen('hc-staff-view', admin);
    const username = uniqueUsername('kim');
    const home = admin.currentSite;
    await expect.element(page.getByRole('heading', { name: /^Accounts \(\d+\)/ })).toBeVisible();

    await page.getByLabelText(/^Username/).fill(username);
    await page.getByLabelText('Role').selectOptions('staff');
    await expect.element(siteChoice()).toHaveValue(home?.id);
    await page.getByRole('button', { name: 'Add account' }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`Added ${username}.`);
    const issued = page.getByRole('region', { name: `Set-up code for ${username}` });
    await expect.element(issued).toHaveTextContent(/Works once, until .*It is shown only now/);
    // Focus moves to the code, where a screen reader reads it from.
    expect(view.shadowRoot?.activeElement?.id).toBe('issued-title');
    const code = view.shadowRoot?.querySelector('.code')?.textContent?.trim() ?? '';
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await expect
      .element(page.getByLabelText('Set-up link'))
      .toHaveValue(`${location.origin}/dashboard/#setup=${code}`);
    await expect
      .element(row(username))
      .toHaveTextContent(`waiting for set-up · staff · ${home?.name}`);

    // The person, on their own phone, with the code.
    const theirs = theirPhone();
    await theirs.setUp(code, NEW_PASSWORD);
    expect(theirs.staff).toMatchObject({ username, role: 'staff', siteId: home?.id });
    await expect.poll(() => theirs.status.live, { timeout: 10_000 }).toBe(true);
    // From then on they sign in with their password; the code is used up.
    const again = theirPhone();
    await again.signIn(username, NEW_PASSWORD);
    await expect(theirPhone().setUp(code, NEW_PASSWORD)).rejects.toMatchObject({
      code: 'bad-setup-link',
    });
  });

  it('asks no site of an admin account, which is for every site', async () => {
    const admin = await signedInDashboard('admin');
    await mountScreen('hc-staff-view', admin);
    await expect.element(siteChoice()).toBeVisible();

    await page.getByLabelText('Role').selectOptions('admin');

    expect(siteChoice().query()).toBeNull();
    await expect.element(row(accounts.admin.username)).toHaveTextContent('admin · every site');
  });

  it('says a username is taken in the words of the server, by the username field', async () => {
    const admin = await signedInDashboard('admin');
    const view = await mountScreen('hc-staff-view', admin);

    await page.getByLabelText(/^Username/).fill(accounts.staff.username);
    await page.getByRole('button', { name: 'Add account' }).click();

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent(
        `The server did not take this: username: ${accounts.staff.username} is taken.`,
      );
    expect(view.shadowRoot?.activeElement).toBe(page.getByLabelText(/^Username/).element());
  });

  it('[C4] disables an account, which shows it disabled and signs its person out, and enables it again', async () => {
    const admin = await signedInDashboard('admin');
    const made = await invitedAccount(admin, 'lee');
    const theirs = theirPhone();
    await theirs.setUp(made.setupCode, NEW_PASSWORD);
    await expect.poll(() => theirs.status.live, { timeout: 10_000 }).toBe(true);
    const view = await mountScreen('hc-staff-view', admin);
    const name = made.account.username;
    await expect.element(row(name)).toHaveTextContent('active');

    await page.getByRole('button', { name: `Disable ${name}` }).click();

    await expect.element(row(name)).toHaveTextContent(`${name} disabled`);
    await expect.element(page.getByRole('status')).toHaveTextContent(`${name} is disabled`);
    // Focus stays on the same button, which now says the opposite.
    const enable = page.getByRole('button', { name: `Enable ${name}` });
    await expect.element(enable).toBeVisible();
    expect(view.shadowRoot?.activeElement).toBe(enable.element());
    await expect.poll(() => theirs.status.signedOut, { timeout: 10_000 }).toBe(true);

    await enable.click();
    await expect.element(row(name)).toHaveTextContent(`${name} active`);
  });

  it('[C4] says so when the change would leave no admin who can sign in', async () => {
    const admin = await signedInDashboard('admin');
    // The test server's one admin: nothing here makes another, so disabling it is refused.
    const listed = await admin.api('GET', '/api/accounts');
    const admins = (listed.body as AccountsAnswer).accounts.filter(
      (a) => a.role === 'admin' && a.disabledAt === null,
    );
    expect(admins.map((a) => a.username)).toEqual([accounts.admin.username]);
    await mountScreen('hc-staff-view', admin);

    await page.getByRole('button', { name: `Disable ${accounts.admin.username}` }).click();

    await expect
      .element(page.getByRole('alert'))
      .toHaveTextContent(
        'This is the last admin who can sign in: make another account admin first.',
      );
    await expect.element(row(accounts.admin.username)).toHaveTextContent('active');
    expect(admin.status.signedOut).toBe(false);
  });

  it('[C4] changes the site of an account', async () => {
    const admin = await signedInDashboard('admin');
    const made = await invitedAccount(admin, 'ana', 'viewer');
    const other = admin.sites.find((site) => site.id !== admin.staff?.siteId && !site.archived);
    await mountScreen('hc-staff-view', admin);
    const name = made.account.username;

    await page.getByRole('button', { name: `Change ${name}` }).click();
    const form = page.getByRole('form', { name: `Change ${name}` });
    await form.getByLabelText('Role').selectOptions('staff');
    if (other) await form.getByRole('combobox', { name: /^Site/ }).selectOptions(other.id);
    await form.getByRole('button', { name: 'Save' }).click();

    const site = other ?? admin.currentSite;
    await expect.element(row(name)).toHaveTextContent(`staff · ${site?.name}`);
    await expect
      .element(page.getByRole('status'))
      .toHaveTextContent(`${name} is now staff of ${site?.name}.`);
  });

  it('[C5] resets a password only once confirmed, and shows the new code', async () => {
    const admin = await signedInDashboard('admin');
    const made = await invitedAccount(admin, 'ray');
    await theirPhone().setUp(made.setupCode, NEW_PASSWORD);
    await mountScreen('hc-staff-view', admin);
    const name = made.account.username;

    await page.getByRole('button', { name: `Reset the password of ${name}` }).click();
    const confirm = page.getByRole('group', { name: `Confirm resetting ${name}` });
    await expect.element(confirm).toHaveTextContent('Their password stops working now');
    await confirm.getByRole('button', { name: 'Reset password' }).click();

    const issued = page.getByRole('region', { name: `Set-up code for ${name}` });
    await expect.element(issued).toHaveTextContent('Their old password stopped working.');
    await expect.element(row(name)).toHaveTextContent('waiting for set-up');
    await expect(theirPhone().signIn(name, NEW_PASSWORD)).rejects.toMatchObject({
      code: 'bad-credentials',
    });
  });

  it('[C4] deletes an account only once confirmed, saying what it recorded stays', async () => {
    const admin = await signedInDashboard('admin');
    const made = await invitedAccount(admin, 'sol');
    await mountScreen('hc-staff-view', admin);
    const name = made.account.username;

    await page.getByRole('button', { name: `Delete ${name}` }).click();
    const confirm = page.getByRole('group', { name: `Confirm deleting ${name}` });
    await expect.element(confirm).toHaveTextContent('What they recorded stays');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();

    await expect.element(page.getByRole('status')).toHaveTextContent(`${name} is deleted.`);
    expect(row(name).query()).toBeNull();
  });

  it('tells a staff account that accounts are for an admin, and offers nothing to change', async () => {
    const desk = await signedInDashboard('staff');
    await mountScreen('hc-staff-view', desk);

    await expect
      .element(page.getByText('Only an admin adds or changes staff accounts.'))
      .toBeVisible();
    expect(page.getByRole('button').elements()).toEqual([]);
  });

  it('leads an admin from Settings to Staff, under the Settings tab', async () => {
    const admin = await signedInDashboard('admin');
    await mountScreen('hc-dashboard-app', admin, { followChanges: false });
    await page
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('button', { name: 'Settings' })
      .click();

    await page.getByRole('button', { name: 'Manage staff' }).click();

    await expect.element(page.getByRole('main', { name: 'Staff' })).toBeVisible();
    await expect
      .element(
        page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Settings' }),
      )
      .toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('heading', { name: 'Add an account' })).toBeVisible();
  });
});
